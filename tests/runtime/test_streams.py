"""Writing finished output to stdout (jaccli._runtime.streams)."""

from __future__ import annotations

import sys

import pytest

from jaccli import _runtime as runtime
from jaccli.errors import UsageError


def test_write_stdout_with_stdout_closed(monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    with pytest.raises(UsageError, match="stdout is closed"):
        runtime.write_stdout("{}\n")


def test_stdout_closed_hint_names_the_callers_output_option(monkeypatch):
    monkeypatch.setattr(sys, "stdout", None)
    with pytest.raises(UsageError) as info:
        runtime.write_stdout("{}\n", "--output")
    assert info.value.hint == "give stdout somewhere to go, or write a file with --output FILE"
    with pytest.raises(UsageError) as info:
        runtime.write_stdout("{}\n")
    assert info.value.hint == "give stdout somewhere to go"
