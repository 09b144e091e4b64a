"""Global sensitivity without a point: the arguments' shapes read from the names in the bounds
(vector entries ``x[0]``, dict keys ``p.a``, ``p.w[0]``, ``p.u.v``), and a clean hint where the
bounds leave an argument a scalar that the function indexes. Truth: DGSM's ν_i = E[(∂f/∂x_i)²]
is exact for a linear function (its gradient is constant)."""

from __future__ import annotations

import numpy as np
import pytest

import jaccli
from jaccli._load import entry_shapes
from jaccli.errors import ShapeError


def _linear_in_dict(p):
    return p["a"] + 10 * p["b"]


def _vector_leaf(p, y):
    return p["w"][0] + 2 * p["w"][1] + 3 * p["b"] + y


def _nested(p):
    return 3 * p["layer"]["w"] - p["bias"]


@pytest.mark.parametrize(
    ("fn", "bounds", "inputs", "nu"),
    [
        (_linear_in_dict, "p.a=0:1,p.b=0:1", ["p.a", "p.b"], [1.0, 100.0]),
        (_linear_in_dict, "p.b=5:7,p.a=-1:1", ["p.a", "p.b"], [1.0, 100.0]),  # any order
        (_linear_in_dict, "p.a=0:1,p.b=normal(0,1)", ["p.a", "p.b"], [1.0, 100.0]),
        (_vector_leaf, "p.w[1]=0:1,p.b=0:1,-1:1", ["p.b", "p.w[0]", "p.w[1]", "y"], [9, 1, 4, 1]),
        (_nested, "p.layer.w=0:1,p.bias=2:3", ["p.bias", "p.layer.w"], [1.0, 9.0]),
    ],
)
def test_dict_arguments_take_their_shape_from_the_keys_the_bounds_name(fn, bounds, inputs, nu):
    result = jaccli.sensitivity(fn, bounds=bounds, method="dgsm", samples=32).to_dict()
    assert result["inputs"] == inputs
    np.testing.assert_allclose(result["indices"]["vi"], nu, rtol=1e-12)


def test_without_a_point_and_with_one_the_numbers_are_the_same(cli):
    bounds = "p.a=0:1,p.b=2:4"
    at = {"p": {"a": 0.3, "b": 3.0}}
    alone = jaccli.sensitivity(_linear_in_dict, bounds=bounds, samples=64).to_dict()
    pointed = jaccli.sensitivity(_linear_in_dict, at["p"], bounds=bounds, samples=64).to_dict()
    assert alone["indices"] == pointed["indices"] and alone["bounds"] == pointed["bounds"]


def test_dict_bounds_on_the_command_line(cli, tmp_path):
    path = tmp_path / "model.py"
    path.write_text("def f(p, y):\n    return p['k'] * y + p['c'] ** 2\n")
    run = cli("sensitivity", str(path), "--bounds", "p.k=1:3,p.c=-1:1,y=0:1", "--format", "json")
    assert run.code == 0, run.stderr
    out = run.json()
    assert out["inputs"] == ["p.c", "p.k", "y"]
    assert [(b["input"], b["low"], b["high"]) for b in out["bounds"]] == [
        ("p.c", -1.0, 1.0),
        ("p.k", 1.0, 3.0),
        ("y", 0.0, 1.0),
    ]
    # ν = E[(∂f/∂·)²]: E[4c²] = 4/3, E[y²] = 1/3, E[k²] = 13/3, to the sample's accuracy.
    np.testing.assert_allclose(out["indices"]["vi"], [4 / 3, 1 / 3, 13 / 3], rtol=0.05)


def test_entry_shapes_read_vectors_dicts_and_scalars():
    shapes = entry_shapes(["x[2]", "p.b", "p.w[1]", "p.u.v", "s", "q"], ["x", "p", "s", "t"])
    assert shapes == {"x": (3,), "p": {"b": (), "u": {"v": ()}, "w": (2,)}, "s": (), "t": ()}
    assert entry_shapes(["p", "p.a"], ["p"]) == {"p": {"a": ()}}  # p names all of p's keys


@pytest.mark.parametrize(
    ("source", "bounds", "raised", "scalars", "example"),
    [
        ("def f(x):\n    return x[0] * x[1] ** 2\n", "x=0:1", "IndexError", "x", "x[0]=0:1"),
        ("def f(x):\n    return sum(xi**2 for xi in x)\n", "x=0:1", "TypeError", "x", "x[0]=0:1"),
        ("def f(p):\n    return p['a'] * p['b']\n", "p=-1:1", "TypeError", "p", "p[0]=-1:1"),
        ("def f(x, y):\n    return x * y[1]\n", "-1:2", "IndexError", "x, y", "x[0]=-1:2"),
    ],
)
def test_an_argument_left_a_scalar_that_the_function_indexes_gets_a_hint(
    cli, tmp_path, source, bounds, raised, scalars, example
):
    path = tmp_path / "model.py"
    path.write_text(source)
    run = cli("sensitivity", str(path), "--bounds", bounds, "--method", "dgsm", "--samples", "8")
    assert run.code == 2 and run.stdout == "" and "Traceback" not in run.stderr
    error, hint = run.stderr.strip().splitlines()
    assert f"raised {raised}" in error and f"names no entries or keys of {scalars}, so" in error
    assert hint.startswith(f"hint: name its entries (--bounds '{example},")
    assert hint.endswith("or give --at: its values fix the shapes")


def test_the_python_hint_says_to_pass_the_arguments():
    def f(x):
        return x[0] * x[1]

    with pytest.raises(ShapeError) as info:
        jaccli.sensitivity(f, bounds="x=0:1")
    assert "names no entries or keys of x" in info.value.message
    assert info.value.hint.endswith("or give the arguments: its values fix the shapes")
    vector = jaccli.sensitivity(f, bounds="x[0]=0:1,x[1]=0:2", samples=256).to_dict()
    np.testing.assert_allclose(vector["indices"]["vi"], [4 / 3, 1 / 3], rtol=0.01)  # E[x1²], E[x0²]
