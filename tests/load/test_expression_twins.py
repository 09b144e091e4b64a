"""An expression and the same function written in a file with jax.numpy are one function: the
same output type (real where the value is real), value and derivatives, for real and complex
inputs alike. Each expression below is run as ``-e`` text and as a written ``.py`` file."""

from __future__ import annotations

import operator

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import jaccli

# (expression, the file's body, inputs): the body uses jnp, like a user's file would.
TWINS = [
    ("abs(z)^2", "jnp.abs(z) ** 2", "z"),
    ("abs(z)", "jnp.abs(z)", "z"),
    ("sqrt(abs(z)) + 1", "jnp.sqrt(jnp.abs(z)) + 1", "z"),
    ("log(abs(z))", "jnp.log(jnp.abs(z))", "z"),
    ("abs(z)^2 * 3 - abs(z - 1)", "jnp.abs(z) ** 2 * 3 - jnp.abs(z - 1)", "z"),
    ("z^2 + 1", "z**2 + 1", "z"),
    ("sin(z) * exp(z)", "jnp.sin(z) * jnp.exp(z)", "z"),
    ("abs(z) * z", "jnp.abs(z) * z", "z"),
    ("[abs(z), abs(z)^3]", "jnp.stack([jnp.abs(z), jnp.abs(z) ** 3])", "z"),
    ("[abs(z), z^2]", "jnp.stack([jnp.abs(z), z**2])", "z"),
    ("where(abs(z) > 1, abs(z), 0)", "jnp.where(jnp.abs(z) > 1, jnp.abs(z), 0)", "z"),
    ("abs(z) * w", "jnp.abs(z) * w", "w, z"),
    ("abs(z)^2 + abs(w)^2", "jnp.abs(z) ** 2 + jnp.abs(w) ** 2", "w, z"),
    ("x[0] * abs(x[1])", "x[0] * jnp.abs(x[1])", "x"),
    ("2 + 0*abs(z)", "2 + 0 * jnp.abs(z)", "z"),
    ("pi * abs(z)^2", "jnp.pi * jnp.abs(z) ** 2", "z"),
]
POINTS = {
    "real": {"z": 1.5, "w": -0.5, "x": [2.0, -3.0]},
    "complex": {"z": 3 + 4j, "w": 0.5 - 1j, "x": [2 + 1j, -3 + 0.5j]},
}


def _twin(tmp_path, body, params, index):
    path = tmp_path / f"twin{index}.py"
    path.write_text(f"import jax.numpy as jnp\n\n\ndef f({params}):\n    return {body}\n")
    return jaccli.load(f"{path}:f")


def _comparable(result):
    out = result.to_dict()
    out["function"] = {k: v for k, v in out["function"].items() if k not in ("source", "kind")}
    return out


@pytest.mark.parametrize("kind", list(POINTS))
@pytest.mark.parametrize(("index", "twin"), list(enumerate(TWINS)))
def test_an_expression_and_its_file_twin_agree(tmp_path, kind, index, twin):
    text, body, params = twin
    names = [name.strip() for name in params.split(",")]
    args = [np.asarray(POINTS[kind][name]) for name in names]
    expression = jaccli.jacobian(jaccli.parse_expr(text, vars=names), *args)
    written = jaccli.jacobian(_twin(tmp_path, body, params, index), *args)
    assert expression.function.output_dtype == written.function.output_dtype
    assert _comparable(expression) == _comparable(written)


@pytest.mark.parametrize(
    ("text", "point", "gradient"),
    [
        ("abs(z)^2", 3 + 4j, 6 + 8j),  # the README's convention: df/dx + i df/dy
        ("abs(z)", 3 + 4j, 0.6 + 0.8j),
        ("abs(z)^2 * 3 - abs(z - 1)", 1 + 1j, 6 + 6j - 1j),
    ],
)
def test_a_real_valued_expression_of_a_complex_input_is_real(text, point, gradient):
    r = jaccli.grad(jaccli.parse_expr(text), point)
    assert r.function.output_dtype == "float64" and not r.holomorphic
    assert np.isrealobj(r.value)
    np.testing.assert_allclose(r.result, gradient, rtol=1e-14)


def test_float32_inputs_keep_their_precision_real_or_complex():
    for point, dtype in [(1.5, "float32"), (3 + 4j, "float32"), (2.0, "float32")]:
        r = jaccli.jacobian(jaccli.parse_expr("abs(z)^2 + 1"), point, dtype="float32")
        assert r.function.output_dtype == dtype
    constant = jaccli.jacobian(jaccli.parse_expr("2 + 0*z"), 3 + 4j, dtype="float32")
    assert constant.function.output_dtype == "complex64"  # 0*z is complex, as in a file


def _atoms():
    import jax.numpy as jnp

    return {
        "abs(z)": jnp.abs,
        "abs(z - 1)": lambda z: jnp.abs(z - 1),
        "z": lambda z: z,
        "sin(z)": jnp.sin,
        "exp(z)": jnp.exp,
        "abs(z)^2": lambda z: jnp.abs(z) ** 2,
        "2": lambda z: 2.0,
        "pi": lambda z: jnp.pi,
    }


_OPS = {"+": operator.add, "-": operator.sub, "*": operator.mul}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    terms=st.lists(
        st.tuples(st.sampled_from(list(_OPS)), st.sampled_from(list(_atoms()))),
        min_size=1,
        max_size=4,
    ),
    re=st.floats(-3, 3),
    im=st.floats(-3, 3),
)
def test_random_expressions_are_real_exactly_when_their_file_twin_is(terms, re, im):
    # The twin, built term by term from jax.numpy, has JAX's type: real unless a complex term
    # (z, sin(z), ...) is in it.
    import jax
    import jax.numpy as jnp

    atoms = _atoms()
    text = "0*abs(z)"  # z is an input even when no term names it
    twin = [lambda z: 0 * jnp.abs(z)]
    for op, atom in terms:
        text += f" {op} {atom}"
        twin.append(lambda z, a=twin[-1], op=op, atom=atom: _OPS[op](a(z), atoms[atom](z)))
    z = jnp.asarray(complex(re, im))
    expected = jax.eval_shape(twin[-1], z)
    got = jax.eval_shape(jaccli.parse_expr(text), z)
    assert (got.dtype, got.shape) == (jnp.result_type(expected.dtype, float), expected.shape)
