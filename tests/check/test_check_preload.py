"""Before the function loads, a check makes SymPy ready: it starts the SymPy process
(jaccli._symbolic.remote), for a file's function and for an expression alike."""

from __future__ import annotations

import pytest

from jaccli import _check, _symbolic
from jaccli._cli import pipeline


@pytest.fixture
def order(monkeypatch):
    """What ran, in order: the start of SymPy's process, and the loading of the problem."""
    seen: list[str] = []
    load = pipeline.problem
    monkeypatch.setattr(_symbolic, "start", lambda: seen.append("process"))

    def problem(request):
        seen.append("problem")
        return load(request)

    monkeypatch.setattr(pipeline, "problem", problem)
    return seen


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("check", "samples/elementwise.py"), ["process", "problem"]),
        (("check", "samples/elementwise.py", "--against", "fd,complex"), ["problem"]),
        (("jacobian", "samples/elementwise.py", "--check"), ["process", "problem"]),
        (("jacobian", "samples/elementwise.py"), ["problem"]),
        (("check", "-e", "[x**2, sin(y)]"), ["process", "problem"]),
        (("jacobian", "-e", "[x**2, sin(y)]", "--check"), ["process", "problem"]),
    ],
)
def test_sympy_is_made_ready_before_the_function_when_the_check_uses_it(cli, order, args, expected):
    command, *options = args
    run = cli(command, *options, "--at", "2,1", "--format", "json")
    assert run.code == 0, run.stderr
    assert order == expected


def test_an_unknown_reference_is_left_to_the_check_to_refuse(order):
    _check.preload("sympy,bogus")
    assert order == []
