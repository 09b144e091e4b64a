"""Symbolic Jacobians and Hessians of expressions and files, exact and laid out like JAX."""

from __future__ import annotations

import jax
import numpy as np
import pytest
import sympy
from symbolic_cases import bind, close, jax_jacobian, reference, traced_file

from jaccli._load import from_expression
from jaccli._symbolic import hessian, jacobian, to_sympy
from jaccli.errors import UsageError


def test_expression_jacobian_is_exact():
    x, y = sympy.symbols("x y", real=True)
    sym = to_sympy(from_expression("[x**2*y, sin(x) + exp(y)]"))
    matrix = jacobian(sym).matrix
    assert matrix == sympy.Matrix([[2 * x * y, x**2], [sympy.cos(x), sympy.exp(y)]])
    assert jacobian(sym, wrt="y").matrix == sympy.Matrix([[x**2], [sympy.exp(y)]])


def test_expression_bound_to_a_longer_point_keeps_jax_layout():
    function = from_expression("x[0]*x[1] + y", ["y", "x"])
    problem = bind(function, y=0.5, x=[2.0, 3.0, 4.0])
    ref = reference(problem)
    assert set(ref) == {"y", "x"}
    close(ref["x"], [3.0, 2.0, 0.0])
    close(ref["y"], 1.0)
    close(ref, jax_jacobian(problem))


def test_expression_with_where_max_and_indexing():
    function = from_expression("[where(x[0] > 1, x[0]**2, -x[1]), max(x[0], x[1]), relu(x[1])]")
    problem = bind(function, x=[2.0, -3.0])
    close(reference(problem), [[4.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    close(reference(problem), jax_jacobian(problem))


# --- Hessians ---------------------------------------------------------------------------------


def test_hessian_of_a_file_and_of_an_expression(tmp_path):
    f = traced_file(tmp_path, "def f(x):\n    return x[0] ** 2 * x[1] + jnp.sin(x[0] * x[1])\n")
    a, b = 0.5, 2.0
    problem = bind(f, x=[a, b])
    hess = hessian(to_sympy(problem))
    s, c = np.sin(a * b), np.cos(a * b)
    expected = [[2 * b - b * b * s, 2 * a + c - a * b * s], [2 * a + c - a * b * s, -a * a * s]]
    close(hess.evaluate(), expected)
    close(hess.evaluate(), jax.jit(jax.hessian(problem.call))(*problem.primals))

    expression = from_expression("x**2*y + sin(x*y)")
    by_name = hessian(to_sympy(bind(expression, x=a, y=b))).evaluate()
    close(by_name["x"]["y"], expected[0][1])
    close(by_name["y"]["y"], expected[1][1])


def test_hessian_needs_a_scalar_output():
    sym = to_sympy(from_expression("[x, y]"))
    with pytest.raises(UsageError, match="scalar-valued"):
        hessian(sym)
