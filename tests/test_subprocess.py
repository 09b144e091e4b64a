"""The installed console script, run as a user would: start-up, pipes, timeouts and signals."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT

JACCLI = Path(sys.executable).with_name("jaccli")
pytestmark = pytest.mark.subprocess


def jaccli(*args: str, **kwargs):
    return subprocess.run(
        [str(JACCLI), *args], cwd=ROOT, capture_output=True, text=True, timeout=120, **kwargs
    )


def test_console_script_json_round_trips_through_json_tool():
    run = jaccli("jacobian", "samples/elementwise.py", "--at", "2,1")
    assert run.returncode == 0, run.stderr
    tool = subprocess.run(
        [sys.executable, "-m", "json.tool"], input=run.stdout, capture_output=True, text=True
    )
    assert tool.returncode == 0
    assert json.loads(tool.stdout)["result"][0] == [4.0, 0.0]


def test_python_dash_m_works():
    run = subprocess.run(
        [sys.executable, "-m", "jaccli", "grad", "samples/rosenbrock.py", "--at", "1,1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["result"] == [0.0, 0.0]


def test_help_imports_neither_jax_nor_sympy():
    probe = (
        "import sys\n"
        "from jaccli.cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in ('jax', 'sympy', 'jaccli.compute') if m in sys.modules]\n"
        "sys.stderr.write(repr(loaded))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.stderr == "[]"
    assert "jacobian" in run.stdout


def test_timeout_stops_a_function_that_never_returns(tmp_path):
    loop = tmp_path / "loop.py"
    loop.write_text("def f(x):\n    while True:\n        pass\n")
    start = time.monotonic()
    run = jaccli("jacobian", str(loop), "--at", "1", "--timeout", "2")
    assert run.returncode == 4
    assert run.stdout == ""
    assert "timeout" in run.stderr and "Traceback" not in run.stderr
    assert time.monotonic() - start < 60


def test_timeout_leaves_no_partial_output_file(tmp_path):
    loop = tmp_path / "loop.py"
    loop.write_text("def f(x):\n    while True:\n        pass\n")
    target = tmp_path / "out"
    target.mkdir()
    run = jaccli("jacobian", str(loop), "--at", "1", "--timeout", "1", "-o", str(target / "J.npy"))
    assert run.returncode == 4
    assert list(target.iterdir()) == []


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signals_exit_cleanly(tmp_path, sig, code):
    slow = tmp_path / "slow.py"
    slow.write_text(
        "import sys, time\n"
        "def f(x):\n"
        "    sys.stderr.write('ready\\n'); sys.stderr.flush()\n"
        "    time.sleep(60)\n"
        "    return x\n"
    )
    proc = subprocess.Popen(
        [str(JACCLI), "jacobian", str(slow), "--at", "1"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr.readline().strip() == "ready"
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code
    assert out == ""
    assert "Traceback" not in err


def test_closed_pipe_is_quiet():
    run = subprocess.run(
        f"'{JACCLI}' jacobian samples/matrix.py --at '[[1,0,0,0],[0,1,0,0],[0,0,1,0]]' "
        "--format csv | head -c 1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.stdout == "o"
    assert "Traceback" not in run.stderr


def test_stdout_on_a_full_disk_is_an_error():
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [str(JACCLI), "jacobian", "samples/elementwise.py", "--at", "2,1"],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert run.returncode == 2
    assert run.stderr.startswith("jaccli: error: cannot write the result to stdout")
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr
