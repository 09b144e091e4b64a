"""The keeper of half-written files, for a parent killed outright (jaccli._runtime.leftovers)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from jaccli._runtime.leftovers import Leftovers

# Forked in a fresh interpreter: the test process has JAX's threads, which make fork unsafe.
PARENT = """\
import os
import sys
from jaccli._runtime.leftovers import Leftovers

begun, finished, how = sys.argv[1:]
left = Leftovers()
left.begun(begun)
left.begun(finished)
left.finished(finished)
if how == "over":
    left.close()
os._exit(0)  # without a word to the keeper, as when killed
"""


@pytest.mark.subprocess
@pytest.mark.parametrize("how", ["killed", "over"])
def test_the_keeper_removes_what_was_half_written_only_when_the_parent_left_without_a_word(
    tmp_path, how
):
    begun, finished = tmp_path / "begun.tmp", tmp_path / "finished.tmp"
    begun.write_bytes(b"half")
    finished.write_bytes(b"whole")
    done = subprocess.run(
        [sys.executable, "-c", PARENT, str(begun), str(finished), how], timeout=60, check=True
    )
    assert done.returncode == 0
    ends = time.monotonic() + 10
    while how == "killed" and begun.exists() and time.monotonic() < ends:
        time.sleep(0.005)
    assert begun.exists() == (how == "over")
    assert finished.exists()


def test_no_keeper_without_a_file_begun():
    left = Leftovers()
    left.finished("never-begun.tmp")
    left.close()
    assert left.keeper is None
