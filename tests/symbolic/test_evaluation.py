"""The SymPy reference evaluated at a point: exact where float64 cancels, NaN where undefined."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from symbolic_cases import bind, close, jax_jacobian, reference, traced_file

from jaccli._symbolic import evaluate, to_sympy
from jaccli.errors import UsageError


def test_evaluation_survives_cancellation(tmp_path):
    # d/dx (exp(x) - 1 - x) = exp(x) - 1, which float64 loses half its digits on at 1e-8.
    f = traced_file(tmp_path, "def f(x):\n    return jnp.exp(x) - 1 - x\n")
    problem = bind(f, x=1e-8)
    ref = float(reference(problem))
    assert ref == pytest.approx(np.expm1(1e-8), rel=1e-15)
    assert abs(float(jax_jacobian(problem)) / np.expm1(1e-8) - 1) > 1e-10


def test_evaluation_of_undefined_entries_is_nan():
    x = sympy.Symbol("x", real=True)
    values = evaluate(
        [sympy.log(x), sympy.sqrt(x), 1 / (x + 2), sympy.Piecewise((x, x > 0))], {x: -2.0}
    )
    assert np.isnan(values).all()
    with pytest.raises(UsageError, match="no value"):
        evaluate(x + 1, {})


def test_function_values_agree_with_jax(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            return jax.nn.softplus(x) + jnp.hypot(x, 1.0) + jax.nn.gelu(x) + jnp.sinc(x)
        """,
    )
    problem = bind(f, x=[0.25, -1.5])
    sym = to_sympy(problem)
    close(sym.evaluate(), problem.call(*problem.primals))
    close(reference(problem), jax_jacobian(problem))
