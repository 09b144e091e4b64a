"""Shared test setup: float64 everywhere, as in the CLI, and an in-process CLI runner."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jax
import pytest

jax.config.update("jax_enable_x64", True)
# The console script keeps compiled programs in the user's cache directory; tests (and the
# commands they start) leave it alone unless a test points it somewhere on purpose.
os.environ["JACCLI_NO_CACHE"] = "1"

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class CliRun:
    """What one in-process run of the command line produced."""

    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run ``jaccli ARGS...`` in-process through the real entry point, from the repo root."""
    from jaccli._cli import main

    monkeypatch.chdir(ROOT)
    # Tables are as wide as the terminal pytest runs in; give every run the same width.
    monkeypatch.setenv("COLUMNS", "100")

    def run(*args: str) -> CliRun:
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            main(list(args))
        out, err = capsys.readouterr()
        return CliRun(int(exit_info.value.code or 0), out, err)

    return run


def writing_into(directory: Path, pid: int) -> bool:
    """Whether a process forked by ``pid`` holds a file open in ``directory``: an output being
    written, whether it has a name yet or not (Linux's /proc; O_TMPFILE files show as
    ``directory/#N (deleted)``)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as listing:
            children = listing.read().split()
    except OSError:
        return False
    for child in children:
        try:
            links = [os.readlink(fd) for fd in Path(f"/proc/{child}/fd").iterdir()]
        except OSError:
            continue
        if any(link.startswith(f"{directory}/") for link in links):
            return True
    return False
