"""The size limits: symbolic work refused before it runs away."""

from __future__ import annotations

import time

import pytest
import sympy
from symbolic_cases import bind, traced_file

from jaccli._load import from_expression
from jaccli._symbolic import SymbolicTooLarge, SymbolicUnavailable, jacobian, to_sympy, tree_size
from jaccli.errors import ResourceError


def test_too_many_entries_is_refused(monkeypatch):
    monkeypatch.setattr("jaccli._symbolic.limits.MAX_ENTRIES", 5)
    sym = to_sympy(from_expression("[x*y, y*z]"))
    with pytest.raises(SymbolicTooLarge, match="6 entries") as info:
        jacobian(sym)
    assert info.value.exit_code == 4
    assert isinstance(info.value, ResourceError)
    assert isinstance(info.value, SymbolicUnavailable)


def test_too_many_equations_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("jaccli._symbolic.interpreter.MAX_EQUATIONS", 50)
    f = traced_file(
        tmp_path, "def f(x):\n    return jax.lax.fori_loop(0, 100, lambda i, c: c * x, x)\n"
    )
    with pytest.raises(SymbolicTooLarge, match="equations"):
        to_sympy(bind(f, x=[1.0]))


def test_exponentially_large_expressions_are_refused_early(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            for _ in range(40):
                x = jnp.sin(x) * x + x**2
            return x
        """,
    )
    with pytest.raises(SymbolicTooLarge, match="nodes"):
        to_sympy(bind(f, x=[0.1]))


def test_differentiation_work_is_bounded_before_it_runs_away(cli):
    # The Hessian of a product of 99 factors: each of its ~5,000 entries is a product of ~99
    # factors, which SymPy sorts and merges one by one (about a minute of work unbounded).
    # CPU time, not wall time: other processes on a busy machine must not fail the test.
    product = "*".join(f"sin(x{i}*x{i + 1})" for i in range(99))
    start = time.process_time()
    run = cli("symbolic", "-e", product, "--order", "2")
    assert run.code == 4 and run.stdout == ""
    assert "the Hessian needs more than 300,000 SymPy operations" in run.stderr
    assert time.process_time() - start < 20
    # The same product's Jacobian is well within the budget, and right.
    sym = to_sympy(from_expression(product))
    jac = jacobian(sym).matrix
    named = {str(symbol): symbol for symbol in jac.free_symbols}  # jaccli's real symbols
    x = [named[f"x{i}"] for i in range(100)]
    factors = (sympy.sin(x[i] * x[i + 1]) for i in range(1, 99))
    expected = sympy.cos(x[0] * x[1]) * x[1] * sympy.Mul(*factors)
    assert sympy.expand(jac[0, 0] - expected) == 0


def test_differentiation_budget_counts_constructor_operands(monkeypatch):
    monkeypatch.setattr("jaccli._symbolic.differentiation.MAX_DIFFERENTIATION", 20)
    sym = to_sympy(from_expression("x*y*z*w*v"))
    with pytest.raises(SymbolicTooLarge, match="the Jacobian needs more than 20 SymPy operations"):
        jacobian(sym)
    monkeypatch.setattr("jaccli._symbolic.differentiation.MAX_DIFFERENTIATION", 60)
    assert jacobian(sym).matrix.shape == (1, 5)


def test_tree_size_counts_shared_subexpressions_as_trees():
    x = sympy.Symbol("x")
    expr = x
    for _ in range(60):
        expr = sympy.sin(expr) * sympy.cos(expr)
    size, depth = tree_size([expr])
    assert size > 2**60
    assert depth == 121
