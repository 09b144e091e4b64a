"""The one fork-and-watch primitive under --timeout and --distributed (jaccli._runtime)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Forked in a fresh interpreter: the test process has JAX's threads, which make fork unsafe.
WATCHED = """\
import json, os, signal, sys, time
from jaccli._runtime.supervision import fork_watched


def child(job):
    def run(fd):
        if job == "exit":
            os.write(fd, b"half")
            os.write(fd, b"-written")
            os._exit(3)
        if job == "killed":
            os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(60)
        os._exit(0)

    return run


seen = {}
for job, deadline in [("exit", None), ("killed", None), ("stuck", 0.2)]:
    data = bytearray()
    ended = fork_watched(
        child(job), data.extend, None if deadline is None else time.monotonic() + deadline
    )
    seen[job] = [ended.exit_code, ended.signum, ended.expired, data.decode()]
sys.stdout.write(json.dumps(seen))
"""


@pytest.mark.subprocess
def test_fork_watched_reports_how_the_child_ended():
    run = subprocess.run(
        [sys.executable, "-c", WATCHED], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout) == {
        "exit": [3, None, False, "half-written"],
        "killed": [143, 15, False, ""],
        "stuck": [137, 9, True, ""],
    }
