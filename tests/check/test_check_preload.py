"""A check imports SymPy before the function loads, so that the console's garbage collector,
still paused then, freezes it with JAX (jaccli._runtime.collector)."""

from __future__ import annotations

import pytest

from jaccli import _check, _symbolic
from jaccli._cli import pipeline


@pytest.fixture
def order(monkeypatch):
    """What ran, in order: SymPy's preload and the loading of the problem."""
    seen: list[str] = []
    load = pipeline.problem
    monkeypatch.setattr(_symbolic, "preload", lambda: seen.append("sympy"))

    def problem(request):
        seen.append("problem")
        return load(request)

    monkeypatch.setattr(pipeline, "problem", problem)
    return seen


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("check",), ["sympy", "problem"]),
        (("check", "--against", "fd,complex"), ["problem"]),
        (("jacobian", "--check"), ["sympy", "problem"]),
        (("jacobian",), ["problem"]),
    ],
)
def test_sympy_is_imported_before_the_function_when_the_check_uses_it(cli, order, args, expected):
    command, *options = args
    run = cli(command, "samples/elementwise.py", "--at", "2,1", "--format", "json", *options)
    assert run.code == 0, run.stderr
    assert order == expected


def test_an_unknown_reference_is_left_to_the_check_to_refuse(order):
    _check.preload("sympy,bogus")
    assert order == []
