"""The installed console script, run as a user would: start-up, pipes, timeouts and signals."""

from __future__ import annotations

import json
import re
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
        "from jaccli._cli import main\n"
        "try:\n"
        "    main(['--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "loaded = [m for m in ('jax', 'sympy', 'jaccli._derivatives.compute') if m in sys.modules]\n"
        "sys.stderr.write(repr(loaded))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.stderr == "[]"
    assert "jacobian" in run.stdout


def test_what_the_function_file_leaves_open_is_still_flushed_at_exit(tmp_path):
    # The console pauses the collector while the libraries load and freezes them; the user's
    # objects stay the collector's, so a file held in a reference cycle is closed at exit.
    log = tmp_path / "log.txt"
    source = tmp_path / "f.py"
    source.write_text(
        "import jax.numpy as jnp\n"
        "class Holder:\n"
        "    def __init__(self):\n"
        "        self.me = self\n"
        f"        self.file = open({str(log)!r}, 'w')\n"
        "        self.file.write('written')\n"
        "HOLDER = Holder()\n"
        "def f(x):\n"
        "    return jnp.sin(x)\n"
    )
    run = jaccli("grad", str(source), "--at", "1")
    assert run.returncode == 0, run.stderr
    assert log.read_text() == "written"


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


def _run_with_terminal_stderr(args: list[str], tmp_path: Path) -> tuple[int, bytes, bytes]:
    """Run jaccli with stderr on a pseudo-terminal and stdout to a file."""
    import os
    import pty

    primary, secondary = pty.openpty()
    with open(tmp_path / "stdout", "wb") as out:
        proc = subprocess.Popen([str(JACCLI), *args], cwd=tmp_path, stdout=out, stderr=secondary)
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal closes when the process exits
            break
        if not chunk:
            break
        seen += chunk
    os.close(primary)
    code = proc.wait(timeout=120)
    return code, (tmp_path / "stdout").read_bytes(), seen


def test_a_long_batch_shows_a_progress_bar_on_a_terminal_and_none_in_a_pipe(tmp_path):
    # Python control flow forces the point-by-point path; the sleep makes the run long enough.
    (tmp_path / "slow.py").write_text(
        "import time\n"
        "def f(x):\n"
        "    time.sleep(0.004)\n"
        "    return x[0] ** 2 if x[0] > 0 else -x[0]\n"
    )
    import numpy as np

    np.save(tmp_path / "x.npy", np.linspace(1, 2, 100).reshape(50, 2))
    args = ["grad", "slow.py", "--batch", "x.npy", "--output", "g.npy"]
    code, stdout, painted = _run_with_terminal_stderr(args, tmp_path)
    assert code == 0 and stdout == b""
    # The bar is coloured on a terminal: read its text without the escape sequences.
    stderr = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", painted)
    assert b"grad at 50 points" in stderr and re.search(rb"\b\d+/50\b", stderr)
    np.testing.assert_allclose(np.load(tmp_path / "g.npy")[:, 0], 2 * np.linspace(1, 2, 100)[::2])
    piped = subprocess.run(
        [str(JACCLI), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert piped.returncode == 0 and "points" in piped.stderr
    assert not re.search(r"\b\d+/50\b", piped.stderr)


def test_a_repeat_run_loads_its_programs_from_the_compilation_cache(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JACCLI_", "JAX_"))}
    env["JACCLI_CACHE_DIR"] = str(tmp_path / "cache")
    args = ("jacobian", "samples/elementwise.py", "--at", "2,1")
    first = jaccli(*args, env=env)
    assert first.returncode == 0, first.stderr
    cached = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert any(name.startswith("jit_") for name in cached)
    again = jaccli(*args, env=env)
    assert again.returncode == 0 and again.stdout == first.stdout
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == cached

    env["JACCLI_CACHE_DIR"] = str(tmp_path / "off")
    assert jaccli(*args, "--no-cache", env=env).returncode == 0
    assert not (tmp_path / "off").exists()
    env["JACCLI_NO_CACHE"] = "1"
    assert jaccli(*args, env=env).returncode == 0
    assert not (tmp_path / "off").exists()


def test_the_cache_works_without_filelock_and_warns_nothing(tmp_path):
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JACCLI_", "JAX_"))}
    env["JACCLI_CACHE_DIR"] = str(tmp_path / "cache")
    probe = (
        "import sys\n"
        "sys.modules['filelock'] = None\n"
        "from jaccli._cli import main\n"
        "main(['jacobian', 'samples/elementwise.py', '--at', '2,1'])\n"
    )
    for _ in range(2):
        run = subprocess.run(
            [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert run.returncode == 0 and run.stderr == "", run.stderr
        assert json.loads(run.stdout)["result"][0] == [4.0, 0.0]
    assert any((tmp_path / "cache").iterdir())


def test_a_program_cached_without_its_access_time_does_not_stop_the_cache(tmp_path):
    # A run ended between JAX writing KEY-cache and KEY-atime leaves an orphan; JAX 0.10's
    # bounded cache then failed every later write, with a warning on every run.
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("JACCLI_", "JAX_"))}
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "jit_orphan-0123-cache").write_bytes(b"not a program")
    env["JACCLI_CACHE_DIR"] = str(cache)
    run = jaccli("jacobian", "samples/elementwise.py", "--at", "2,1", env=env)
    assert run.returncode == 0 and run.stderr == "", run.stderr
    assert json.loads(run.stdout)["result"][0] == [4.0, 0.0]
    names = {p.name for p in cache.iterdir()}
    assert (cache / "jit_orphan-0123-atime").read_bytes() == bytes(8)  # the oldest entry
    written = {name for name in names if name.endswith("-cache")} - {"jit_orphan-0123-cache"}
    assert written, names  # the cache still grows
