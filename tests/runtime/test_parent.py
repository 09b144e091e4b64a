"""The supervising parent of a command-line run (jaccli._runtime.parent): signals at any moment,
a parent killed outright, stdout shared with the user's function, and functions that end or
crash the process. Each case runs the console script, as a user would."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import writing_into

pytestmark = pytest.mark.subprocess

JACCLI = Path(sys.executable).with_name("jaccli")
LINUX = sys.platform.startswith("linux")


def start(tmp_path: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(JACCLI), *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(JACCLI), *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )


def children_of(pid: int) -> list[int]:
    """The processes ``pid`` forked (Linux's /proc)."""
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(child) for child in listing.read().split()]


def child_of(pid: int, within: float = 60) -> int:
    """The process ``pid`` forked to run the command."""
    ends = time.monotonic() + within
    while time.monotonic() < ends:
        found = children_of(pid)
        if found:
            return found[0]
        time.sleep(0.005)
    raise AssertionError("the command was never forked")


def wait_for(condition, within: float = 60) -> None:
    ends = time.monotonic() + within
    while not condition():
        assert time.monotonic() < ends, "waited in vain"
        time.sleep(0.005)


def maps_of(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/maps") as maps:
            return maps.read()
    except OSError:
        return ""


def one_error(stderr: str, says: str) -> None:
    lines = stderr.splitlines()
    assert lines and lines[0].startswith("jaccli: error: "), stderr
    assert len(lines) == 1 or (len(lines) == 2 and lines[1].startswith("hint: ")), stderr
    assert says in lines[0], stderr


def ended_by(proc: subprocess.Popen, sig: signal.Signals, within: float) -> tuple[str, str]:
    """Send ``sig`` to jaccli; it must end within ``within`` seconds with 128+sig, nothing on
    stdout and one line on stderr."""
    sent = time.monotonic()
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    took = time.monotonic() - sent
    assert proc.returncode == 128 + sig, (proc.returncode, stderr)
    assert stdout == ""
    assert stderr.splitlines()[-1] == (
        "jaccli: interrupted" if sig == signal.SIGINT else "jaccli: terminated"
    ), stderr
    assert "Traceback" not in stderr
    assert took < within, took
    return stdout, stderr


# --- 1. a signal at any moment ends the run promptly with 130 or 143 --------------------------

ELEMENTWISE = "import jax.numpy as jnp\n\n\ndef f(x):\n    return jnp.sin(x) * x\n"

# Traced op by op, so that the signal lands while JAX traces and XLA compiles.
LONG_TRACE = """\
import sys
import jax.numpy as jnp


def f(x):
    sys.stderr.write("tracing\\n")
    sys.stderr.flush()
    for _ in range(20000):
        x = jnp.sin(x) * 1.0001
    return x
"""

# CPython computes the power in C without releasing the GIL: no Python handler can run.
HOLDS_THE_GIL = """\
import sys


def f(x):
    sys.stderr.write("holding\\n")
    sys.stderr.flush()
    return x * (10 ** 10**9 % 7)
"""


def catches(pid: int, sig: signal.Signals) -> bool:
    """Whether process ``pid`` has a handler for ``sig`` (Linux's /proc)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            caught = next(line for line in status if line.startswith("SigCgt:"))
    except (OSError, StopIteration):
        return False
    return bool(int(caught.split()[1], 16) >> (sig - 1) & 1)


@pytest.mark.skipif(not LINUX, reason="reads the signal handlers from /proc")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_as_soon_as_python_has_started(tmp_path, sig):
    # Before the command line's modules have loaded, and before the command is forked: as soon
    # as jaccli's entry has its handlers (Python's own start-up is no longer jaccli's to end).
    (tmp_path / "f.py").write_text(ELEMENTWISE)
    proc = start(tmp_path, "jacobian", "f.py", "--at", "2,1", "-o", "J.json")
    wait_for(lambda: catches(proc.pid, signal.SIGTERM))
    ended_by(proc, sig, within=5)
    assert [p.name for p in tmp_path.iterdir()] == ["f.py"]


@pytest.mark.skipif(not LINUX, reason="finds the child through /proc")
@pytest.mark.parametrize(
    ("sig", "timeout"), [(signal.SIGTERM, []), (signal.SIGINT, ["--timeout", "60"])]
)
def test_a_signal_while_jax_loads(tmp_path, sig, timeout):
    (tmp_path / "f.py").write_text(ELEMENTWISE)
    proc = start(tmp_path, "jacobian", "f.py", "--at", "2,1", *timeout)
    child_of(proc.pid)  # forked before JAX is imported: the child is loading it now
    ended_by(proc, sig, within=5)


@pytest.mark.parametrize(
    ("sig", "timeout"), [(signal.SIGTERM, []), (signal.SIGINT, ["--timeout", "60"])]
)
def test_a_signal_while_jax_traces_and_compiles(tmp_path, sig, timeout):
    (tmp_path / "f.py").write_text(LONG_TRACE)
    proc = start(tmp_path, "jacobian", "f.py", "--at", "1", *timeout)
    assert proc.stderr.readline() == "tracing\n"
    time.sleep(0.3)
    ended_by(proc, sig, within=5)


def test_a_signal_while_a_c_call_holds_the_gil(tmp_path):
    # The child cannot run its handler; the parent kills it after a grace period.
    (tmp_path / "f.py").write_text(HOLDS_THE_GIL)
    proc = start(tmp_path, "jacobian", "f.py", "--at", "1")
    assert proc.stderr.readline() == "holding\n"
    ended_by(proc, signal.SIGINT, within=5)


def waiting_for_peers(tmp_path: Path) -> tuple[subprocess.Popen, int]:
    """A --distributed run's process 0 waiting for a second process that never comes, and the
    pid of its worker (the child of the supervised command's child)."""
    (tmp_path / "f.py").write_text(ELEMENTWISE)
    (tmp_path / "points.json").write_text("[[1, 2], [3, 4]]")
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    proc = start(
        tmp_path,
        *("jacobian", "f.py", "--batch", "points.json", "--distributed", "-o", "J.json"),
        *("--coordinator", f"127.0.0.1:{port}", "--num-processes", "2", "--process-id", "0"),
        *("--distributed-timeout", "60"),
    )
    worker = child_of(child_of(proc.pid))
    wait_for(lambda: "jaxlib" in maps_of(worker))
    time.sleep(1)  # JAX's distributed client is waiting for the coordinator's barrier
    return proc, worker


@pytest.mark.skipif(not LINUX, reason="finds the worker through /proc")
def test_a_signal_while_waiting_for_the_peers_of_a_distributed_run(tmp_path):
    proc, _ = waiting_for_peers(tmp_path)
    ended_by(proc, signal.SIGTERM, within=5)


# --- 2. a parent killed outright leaves no worker that writes later ---------------------------

SLOW = """\
import sys
import time


def f(x):
    sys.stderr.write("computing\\n")
    sys.stderr.flush()
    time.sleep(1.5)
    return x * 2.0
"""


@pytest.mark.skipif(not LINUX, reason="the kernel's parent-death signal is Linux's")
@pytest.mark.parametrize("timeout", [[], ["--timeout", "60"]], ids=["", "timeout"])
def test_a_parent_killed_with_sigkill_takes_its_worker_with_it(tmp_path, timeout):
    (tmp_path / "f.py").write_text(SLOW)
    proc = start(tmp_path, "jacobian", "f.py", "--at", "1", "-o", "J.json", *timeout)
    child = child_of(proc.pid)
    assert proc.stderr.readline() == "computing\n"
    proc.kill()
    proc.communicate(timeout=60)
    wait_for(lambda: not os.path.exists(f"/proc/{child}"), within=10)
    time.sleep(2)  # past the moment the worker would have written the file
    assert [p.name for p in tmp_path.iterdir()] == ["f.py"]


# Point by point (Python control flow on a value), slowly, so that the stacked --output file is
# half written for a while.
SLOW_BATCH = """\
import time


def f(x):
    if x[0] > 0:
        time.sleep(0.05)
    return x * 2.0
"""


# The console script with its output written through a named temp file, as where the file
# system has no O_TMPFILE.
NAMED_TEMP = (
    "import sys; from jaccli._runtime import files; files._unnamed_file = lambda directory: None; "
    "from jaccli.__main__ import main; main()"
)


@pytest.mark.skipif(not LINUX, reason="the kernel's parent-death signal is Linux's")
@pytest.mark.parametrize("named", [False, True], ids=["unnamed", "named-temp"])
def test_a_parent_killed_with_sigkill_leaves_nothing_of_a_half_written_file(tmp_path, named):
    (tmp_path / "f.py").write_text(SLOW_BATCH)
    (tmp_path / "points.json").write_text(json.dumps([[1.0, 2.0]] * 400))
    out = tmp_path / "out"
    out.mkdir()
    args = ("jacobian", "f.py", "--batch", "points.json", "-o", "out/J.npy")
    command = [sys.executable, "-c", NAMED_TEMP] if named else [str(JACCLI)]
    proc = subprocess.Popen(
        [*command, *args, "--max-bytes", "64", "--quiet"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    child = child_of(proc.pid)
    wait_for(lambda: writing_into(out, proc.pid))
    if named:
        # Once the file is begun, jaccli forks a keeper for its name: the second child.
        wait_for(lambda: len(children_of(proc.pid)) == 2)
        assert [p.name.startswith(".jaccli-") for p in out.iterdir()] == [True]
    else:
        assert list(out.iterdir()) == []  # nothing has a name until the file is whole
    proc.kill()
    proc.communicate(timeout=60)
    wait_for(lambda: not os.path.exists(f"/proc/{child}"), within=10)
    wait_for(lambda: not any(out.iterdir()), within=10)


@pytest.mark.skipif(not LINUX, reason="the kernel's parent-death signal is Linux's")
def test_a_parent_killed_with_sigkill_takes_a_distributed_worker_with_it(tmp_path):
    proc, worker = waiting_for_peers(tmp_path)
    proc.kill()
    proc.communicate(timeout=60)
    wait_for(lambda: not os.path.exists(f"/proc/{worker}"), within=10)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.py", "points.json"]


def test_a_process_whose_parent_is_gone_renames_nothing_into_place(tmp_path):
    # As if the kernel's parent-death signal had not (yet) arrived.
    probe = (
        "from jaccli._runtime import atomic_write, channel\n"
        "channel.set_parent(1 if __import__('os').getppid() != 1 else 2)\n"
        "atomic_write('out.json', b'{}')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, timeout=60)
    assert done.returncode == 4
    assert list(tmp_path.iterdir()) == []


# --- 4. stdout belongs to jaccli's results ----------------------------------------------------

NOISY = """\
import ctypes
import os
import sys

import jax
import jax.numpy as jnp

os.write(1, b"os.write at import\\n")
print("sys.__stdout__ at import", file=sys.__stdout__, flush=True)
LIBC = ctypes.CDLL(None)


def noise(x):
    jax.debug.print("jax.debug.print {}", x)
    jax.debug.callback(lambda v: print("callback", file=sys.__stdout__, flush=True), x)
    os.write(1, b"os.write in f\\n")
    print("sys.__stdout__ in f", file=sys.__stdout__, flush=True)
    print("print in f")
    LIBC.write(1, b"libc write\\n", 11)


def f(x):
    noise(x)
    return jnp.sin(x) * 2.0


def g(x):
    noise(x)
    return jnp.sum(jnp.sin(x))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["jacobian", "f.py", "--at", "0.5,1"],
        ["jacobian", "f.py", "--batch", "-"],
        ["grad", "f.py:g", "--at", "0.5,1", "-o", "/dev/stdout", "--format", "json"],
    ],
    ids=["point", "batch", "dev-stdout"],
)
def test_what_the_function_writes_to_stdout_goes_to_stderr(tmp_path, args):
    (tmp_path / "f.py").write_text(NOISY)
    done = subprocess.run(
        [str(JACCLI), *args],
        cwd=tmp_path,
        input="[0.5, 1]\n[1, 2]\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["command"] for line in done.stdout.splitlines()] == (
        [args[0]] * (2 if "-" in args else 1)
    )
    for said in ("os.write at import", "sys.__stdout__ in f", "print in f", "libc write"):
        assert said in done.stderr and said not in done.stdout
    assert "jax.debug.print" in done.stderr and "callback" in done.stderr


# The child's side: a result of argv[2] numbers, its exit code reported, then argv[3] seconds of
# shutting down (a slow interpreter shutdown, an atexit handler).
RESULT_THEN_EXIT = """\
import sys
import time
from jaccli._runtime import channel, parent, streams

code = parent.supervise(float(sys.argv[1]), lambda: RuntimeError("timed out"))
if code is None:
    streams.write_stdout(b"[" + b"0," * int(sys.argv[2]) + b"0]\\n")
    channel.report_exit(0)
    time.sleep(float(sys.argv[3]))
    raise SystemExit(0)
raise SystemExit(code)
"""


def supervised(deadline: float, numbers: int, shutdown: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", RESULT_THEN_EXIT, str(deadline), str(numbers), str(shutdown)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_a_result_goes_out_whole_however_slowly_the_reader_takes_it():
    proc = supervised(deadline=0.5, numbers=500_000, shutdown=0)
    time.sleep(1.5)  # the reader takes nothing until well past the deadline
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert len(json.loads(stdout)) == 500_001


def test_a_child_that_reported_before_the_deadline_is_not_timed_out_while_it_shuts_down():
    proc = supervised(deadline=0.5, numbers=3, shutdown=30)
    stdout, stderr = proc.communicate(timeout=20)
    assert (proc.returncode, stdout, stderr) == (0, b"[0,0,0,0]\n", b"")


# --- 5. functions that end, crash or unsettle the process -------------------------------------


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("import os\nos._exit(0)\n\n\ndef f(x):\n    return x\n", "exit status 0"),
        ("import os\n\n\ndef f(x):\n    os._exit(0)\n", "exit status 0"),
        ("import os\n\n\ndef f(x):\n    os._exit(7)\n", "exit status 7"),
        (
            "import ctypes\n\n\ndef f(x):\n    ctypes.string_at(0)\n    return x\n",
            "crashed the process (SIGSEGV)",
        ),
        ("import ctypes\nctypes.string_at(0)\n\n\ndef f(x):\n    return x\n", "(SIGSEGV)"),
        ("import os\n\n\ndef f(x):\n    os.abort()\n", "crashed the process (SIGABRT)"),
    ],
    ids=[
        "exit-at-import",
        "exit-in-f",
        "exit-7-in-f",
        "segfault-in-f",
        "segfault-at-import",
        "abort-in-f",
    ],
)
def test_a_function_that_ends_or_crashes_the_process(tmp_path, source, says):
    (tmp_path / "f.py").write_text(source)
    done = run(tmp_path, "jacobian", "f.py", "--at", "1")
    assert done.returncode == 3
    assert done.stdout == ""
    one_error(done.stderr, says)


# Point by point (Python control flow on a value), crashing once the --output file is begun.
CRASHES_MID_BATCH = """\
import ctypes

CALLS = []


def f(x):
    if x[0] > 0:
        CALLS.append(1)
        if len(CALLS) > 3:
            ctypes.string_at(0)
    return x * 2.0
"""


def test_a_crash_mid_batch_leaves_no_half_written_file(tmp_path):
    (tmp_path / "f.py").write_text(CRASHES_MID_BATCH)
    (tmp_path / "points.json").write_text(json.dumps([[1.0, 2.0]] * 20))
    (tmp_path / "out").mkdir()
    done = run(
        tmp_path,
        *("jacobian", "f.py", "--batch", "points.json", "-o", "out/J.npy"),
        *("--max-bytes", "64", "--quiet"),
    )
    assert done.returncode == 3 and done.stdout == ""
    one_error(done.stderr, "crashed the process (SIGSEGV)")
    assert list((tmp_path / "out").iterdir()) == []


def test_a_child_killed_outright_is_a_resource_failure(tmp_path):
    # SIGKILL is what the system's out-of-memory killer sends.
    (tmp_path / "f.py").write_text(
        "import os\nimport signal\n\nos.kill(os.getpid(), signal.SIGKILL)\n\n\n"
        "def f(x):\n    return x\n"
    )
    done = run(tmp_path, "jacobian", "f.py", "--at", "1", "-o", "J.json")
    assert done.returncode == 4 and done.stdout == ""
    one_error(done.stderr, "the computation was killed (SIGKILL)")
    assert [p.name for p in tmp_path.iterdir()] == ["f.py"]


def test_a_crash_is_reported_in_json_when_asked(tmp_path):
    (tmp_path / "f.py").write_text("import os\n\n\ndef f(x):\n    os._exit(0)\n")
    done = run(tmp_path, "jacobian", "f.py", "--at", "1", "--format", "json")
    assert done.returncode == 3 and done.stdout == ""
    error = json.loads(done.stderr)["error"]
    assert error["code"] == 3 and error["type"] == "function"
    assert "ended the process" in error["message"]
