"""Derivatives as text for `jaccli symbolic`: read back, LaTeX, simplified, with common
subexpressions."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from symbolic_cases import bind, close, jax_jacobian, traced_file

from jaccli._load import from_expression
from jaccli._symbolic import evaluate, jacobian, to_sympy, to_text
from jaccli.errors import UsageError


def test_text_reads_back_as_the_same_expressions(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(p, x):
            return jnp.stack([p["w"][0] * jnp.sin(x), p["w"][1] * x**2 / 4 + 0.1])
        """,
    )
    problem = bind(f, p={"w": [2.0, 3.0]}, x=0.5)
    sym = to_sympy(problem)
    jac = jacobian(sym)
    text = to_text(jac, simplify=False)
    assert text.format == "text"
    assert text.replacements == ()
    assert set(text.result) == {"p", "x"}
    read = jac.layout(jac.matrix)
    for key, strings in (("x", text.result["x"]), ("w", text.result["p"]["w"])):
        expected = read["x"] if key == "x" else read["p"]["w"]
        parsed = np.array(
            [sympy.sympify(s, locals=sym.namespace) for s in np.ravel(strings)], dtype=object
        )
        assert all(a == b for a, b in zip(parsed, np.ravel(expected), strict=True))


def test_latex_output():
    jac = jacobian(to_sympy(from_expression("[cos(x[0])*y_1, x[1]]")))
    text = to_text(jac, format="latex")
    assert text.result["x"][0][0] == r"- y_{1} \sin{\left(x_{0} \right)}"
    assert text.result["y_1"] == [r"\cos{\left(x_{0} \right)}", "0"]
    with pytest.raises(UsageError, match="text or latex"):
        to_text(jac, format="html")


def test_simplification_is_applied_to_small_entries():
    sym = to_sympy(from_expression("(sin(x)**2 + cos(x)**2) * y"))
    assert to_text(jacobian(sym)).result == {"x": "0", "y": "1"}
    unsimplified = to_text(jacobian(sym), simplify=False).result["y"]
    assert (
        sympy.sympify(unsimplified, locals=sym.namespace)
        == sympy.sin(sympy.Symbol("x", real=True)) ** 2
        + sympy.cos(sympy.Symbol("x", real=True)) ** 2
    )


def test_common_subexpressions_for_large_jacobians(tmp_path, monkeypatch):
    monkeypatch.setattr("jaccli._symbolic.text.CSE_ENTRIES", 10)
    f = traced_file(tmp_path, "def f(x):\n    return jax.nn.softmax(x)\n")
    problem = bind(f, x=[-1.0, 0.5, 2.0, 0.25])
    sym = to_sympy(problem)
    jac = jacobian(sym)
    text = to_text(jac, simplify=False)
    assert len(text.replacements) > 0
    assert to_text(jac, simplify=False, cse=False).replacements == ()
    # Computing the replacements in order, then the entries, gives the Jacobian back.
    names = {name: sympy.Symbol(name) for name, _ in text.replacements}
    env = dict(sym.namespace, **names)
    values = dict(sym.point)
    for name, value in text.replacements:
        values[names[name]] = float(evaluate(sympy.sympify(value, locals=env), values))
    rebuilt = [sympy.sympify(s, locals=env) for s in np.ravel(text.result)]
    close(evaluate(rebuilt, values).reshape(4, 4), jac.evaluate())
    close(jac.evaluate(), jax_jacobian(problem))
