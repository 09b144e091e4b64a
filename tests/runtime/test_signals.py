"""Signals end a run with their exit code even where their exception is lost (jaccli._runtime)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import pytest

# The signal's exception lands in a garbage-collection callback, where Python prints
# "Exception ignored" and carries on; the sleep stands for the rest of a long run.
SWALLOWED_SIGNAL = """\
import gc, os, signal, sys, time
from jaccli import _runtime as runtime

signal.signal(signal.SIGINT, signal.default_int_handler)


def callback(phase, info):
    if phase == "start":
        os.kill(os.getpid(), int(sys.argv[1]))
        for _ in range(10_000):  # the handler runs here, between two bytecodes
            pass


with runtime.terminate_on_sigterm():
    gc.callbacks.append(callback)
    gc.collect()
    gc.callbacks.remove(callback)
    time.sleep(60)
"""


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("sig", "code", "says"),
    [(signal.SIGINT, 130, "jaccli: interrupted"), (signal.SIGTERM, 143, "jaccli: terminated")],
)
def test_a_signal_whose_exception_is_swallowed_still_ends_the_run(sig, code, says):
    start = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-c", SWALLOWED_SIGNAL, str(int(sig))],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == code
    # The exception was lost in the callback (the sleep would run on); Python's "Exception
    # ignored" report is silenced, and the watchdog ended the run.
    assert "Exception ignored" not in run.stderr and "Traceback" not in run.stderr
    assert run.stderr.endswith(says + "\n")
    assert time.monotonic() - start < 20
