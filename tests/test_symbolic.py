"""Tests for jaccli._symbolic: the SymPy reference against hand-derived values and raw JAX."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy

from jaccli import _symbolic as symbolic
from jaccli._load.loader import from_callable, from_expression, load
from jaccli._problem import prepare
from jaccli._symbolic import SymbolicTooLarge, SymbolicUnavailable
from jaccli.errors import ResourceError, UsageError

HEADER = "import jax\nimport jax.numpy as jnp\nimport numpy as np\n\n\n"


def _file(tmp_path, body: str, name: str = "f.py"):
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body))
    return load(str(path))


def _bind(function, wrt=None, **point):
    return prepare(function, {k: _value(v) for k, v in point.items()}, wrt)


def _value(v):
    if isinstance(v, dict):
        return {k: _value(item) for k, item in v.items()}
    return np.asarray(v, dtype=float)


def _reference(problem):
    return symbolic.jacobian(symbolic.to_sympy(problem)).evaluate()


def _jax_jacobian(problem, transform=jax.jacfwd):
    argnums = tuple(range(len(problem.wrt)))
    # Compiled as a whole: op-by-op dispatch would spend most of this file's time compiling.
    result = jax.jit(transform(problem.call, argnums=argnums))(*problem.primals)
    if len(result) == 1:
        return result[0]
    return dict(zip(problem.wrt, result, strict=True))


def _close(actual, expected, rtol=1e-12, atol=1e-13):
    jax.tree_util.tree_map(
        lambda a, e: np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=rtol, atol=atol),
        actual,
        expected,
    )


# --- hand-derived Jacobians ---------------------------------------------------------------------


def test_arithmetic_and_powers_match_hand_derivation(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            return jnp.stack([x[0] ** 3 * x[1] - x[1] / x[0], x[0] ** 2.5 + x[1] ** x[0]])
        """,
    )
    a, b = 1.5, 2.0
    problem = _bind(f, x=[a, b])
    expected = [
        [3 * a**2 * b + b / a**2, a**3 - 1 / a],
        [2.5 * a**1.5 + b**a * np.log(b), a * b ** (a - 1)],
    ]
    _close(_reference(problem), expected)
    _close(_reference(problem), _jax_jacobian(problem))


def test_exp_and_log_family(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            return jnp.exp(x) * jnp.log(x) + jnp.log1p(x) + jnp.expm1(x) + jnp.log10(x) + jnp.exp2(x)
        """,
    )
    x = np.array([0.5, 2.0])
    problem = _bind(f, x=x)
    diagonal = (
        np.exp(x) * np.log(x)
        + np.exp(x) / x
        + 1 / (1 + x)
        + np.exp(x)
        + 1 / (x * np.log(10))
        + np.log(2) * 2**x
    )
    _close(_reference(problem), np.diag(diagonal))
    _close(_reference(problem), _jax_jacobian(problem))


def test_trig_and_hyperbolic(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            trig = jnp.sin(x) * jnp.cos(x) + jnp.tan(x) + jnp.arcsin(x / 3) + jnp.arccos(x / 4)
            inverse = jnp.arctan(x) + jnp.arctan2(x, 2.0) + jnp.arcsinh(x) + jnp.arctanh(x / 5)
            hyperbolic = jnp.sinh(x) + jnp.cosh(x) * jnp.tanh(x) + jnp.arccosh(x + 3)
            return trig + inverse + hyperbolic
        """,
    )
    problem = _bind(f, x=[0.3, -1.1])
    x = np.array([0.3, -1.1])
    expected = (
        np.cos(2 * x)
        + 1 / np.cos(x) ** 2
        + 1 / np.sqrt(9 - x**2)
        - 1 / np.sqrt(16 - x**2)
        + 1 / (1 + x**2)
        + 2 / (4 + x**2)
        + 1 / np.sqrt(1 + x**2)
        + 5 / (25 - x**2)
        + np.cosh(x)
        + np.sinh(x) * np.tanh(x)
        + 1 / np.cosh(x)
        + 1 / np.sqrt((x + 3) ** 2 - 1)
    )
    _close(_reference(problem), np.diag(expected))
    _close(_reference(problem), _jax_jacobian(problem))


def test_sqrt_abs_sign_and_friends(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            return (
                jnp.sqrt(jnp.abs(x)) + jnp.sign(x) * x**2 + jax.lax.rsqrt(x**2 + 1)
                + jnp.cbrt(x) + jnp.square(x) + jax.scipy.special.erf(x) + jax.nn.sigmoid(x)
            )
        """,
    )
    problem = _bind(f, x=[-2.0, 0.7])
    x = np.array([-2.0, 0.7])
    s = 1 / (1 + np.exp(-x))
    expected = (
        np.sign(x) / (2 * np.sqrt(np.abs(x)))
        + 2 * np.abs(x)
        - x / (x**2 + 1) ** 1.5
        + 1 / (3 * np.cbrt(x) ** 2)
        + 2 * x
        + 2 / np.sqrt(np.pi) * np.exp(-(x**2))
        + s * (1 - s)
    )
    _close(_reference(problem), np.diag(expected))
    _close(_reference(problem), _jax_jacobian(problem))


def test_where_becomes_piecewise_and_follows_the_branch(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            return jnp.where(x > 0, jnp.sin(x), x**3)
        """,
    )
    problem = _bind(f, x=[-0.5, 0.5])
    sym = symbolic.to_sympy(problem)
    assert all(isinstance(out, sympy.Piecewise) for out in sym.outputs)
    _close(_reference(problem), np.diag([3 * 0.25, np.cos(0.5)]))


def test_max_min_clip_and_relu(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            m = x.reshape(2, 2)
            return jnp.concatenate([
                jnp.maximum(x, 0.5) * 2 + jnp.minimum(x, 0.0),
                jnp.max(m, axis=1) + jnp.min(m, axis=0),
                jnp.clip(x, -1.0, 1.0)[:2] + jax.nn.relu(x)[2:],
            ])
        """,
    )
    problem = _bind(f, x=[0.2, 3.0, -4.0, 0.9])
    expected = np.zeros((8, 4))
    expected[:4] = np.diag([0, 2, 1, 2])
    expected[4] = [0, 1, 1, 0]  # max(0.2, 3) + min(0.2, -4)
    expected[5] = [0, 0, 0, 2]  # max(-4, 0.9) + min(3, 0.9)
    expected[6] = [1, 0, 0, 0]  # clip(0.2) + relu(-4), which is flat
    expected[7] = [0, 0, 0, 1]  # clip(3), which is flat, + relu(0.9)
    _close(_reference(problem), expected)
    _close(_reference(problem), _jax_jacobian(problem))


def test_dot_and_matmul(tmp_path):
    f = _file(
        tmp_path,
        """
        W = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]])

        def f(A, x):
            return jnp.tanh(W @ x) + A @ x + jnp.dot(x, x) * jnp.einsum("ij,j->i", A, x)
        """,
    )
    A = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    x = np.array([0.3, -0.2, 0.1])
    problem = _bind(f, A=A, x=x)
    ref = _reference(problem)
    assert set(ref) == {"A", "x"}
    assert ref["A"].shape == (2, 2, 3)
    W = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]])
    d_tanh = (1 - np.tanh(W @ x) ** 2)[:, None] * W
    expected_x = d_tanh + A + np.outer(A @ x, 2 * x) + x @ x * A
    _close(ref["x"], expected_x)
    _close(ref, _jax_jacobian(problem))


def test_sum_reductions(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            return jnp.stack([
                jnp.sum(x**2), jnp.mean(x), jnp.prod(x), jnp.cumsum(x)[2],
                jax.scipy.special.logsumexp(x), jax.nn.softmax(x)[0], jnp.linalg.norm(x),
            ])
        """,
    )
    x = np.array([0.5, -1.0, 2.0])
    problem = _bind(f, x=x)
    softmax = np.exp(x) / np.exp(x).sum()
    expected = np.array(
        [
            2 * x,
            np.full(3, 1 / 3),
            [x[1] * x[2], x[0] * x[2], x[0] * x[1]],
            np.ones(3),
            softmax,
            softmax[0] * (np.eye(3)[0] - softmax),
            x / np.linalg.norm(x),
        ]
    )
    _close(_reference(problem), expected)
    _close(_reference(problem), _jax_jacobian(problem))


def test_slicing_and_indexing(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            m = x.reshape(2, 3)
            return jnp.stack([
                x[0] * x[-1], m[1, 0], jnp.sum(x[1:3]), jnp.sum(x[::2]),
                jnp.sum(x[jnp.array([4, 0])] * jnp.array([1.0, 2.0])),
                jnp.take(x, 2), x.at[3].set(7.0)[3] + x.at[1].add(x[2])[1],
                jax.lax.dynamic_slice(x, (2,), (2,))[1], x[::-1][0],
            ])
        """,
    )
    problem = _bind(f, x=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    expected = np.zeros((9, 6))
    expected[0, [0, 5]] = [6.0, 1.0]
    expected[1, 3] = 1
    expected[2, [1, 2]] = 1
    expected[3, [0, 2, 4]] = 1
    expected[4, [4, 0]] = [1, 2]
    expected[5, 2] = 1
    expected[6, [1, 2]] = 1
    expected[7, 3] = 1
    expected[8, 5] = 1
    _close(_reference(problem), expected)
    _close(_reference(problem), _jax_jacobian(problem))


def test_concatenate_stack_pad_roll_tile(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            parts = [x * 2, jnp.stack([x[0], x[1] ** 2]), jnp.pad(x, (1, 1))]
            return jnp.concatenate(parts + [jnp.roll(x, 1), jnp.tile(x, 2), jnp.split(x, 2)[1]])
        """,
    )
    problem = _bind(f, x=[1.5, -2.0])
    ref = _reference(problem)
    assert ref.shape == (15, 2)
    np.testing.assert_array_equal(ref[2:4], [[1, 0], [0, -4.0]])
    np.testing.assert_array_equal(ref[4:8], [[0, 0], [1, 0], [0, 1], [0, 0]])
    _close(ref, _jax_jacobian(problem))


def test_reshape_transpose_squeeze(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(W):
            return (W.T @ W).reshape(-1)[None, :].squeeze(0) + jnp.expand_dims(W, 0).sum()
        """,
    )
    W = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
    problem = _bind(f, W=W)
    ref = _reference(problem)
    assert ref.shape == (4, 3, 2)
    _close(ref, _jax_jacobian(problem))


def test_static_loops_and_branches_are_unrolled(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            powered = jax.lax.fori_loop(0, 3, lambda i, c: c * x + i, x)
            branch = jax.lax.cond(x[0] > 0, lambda y: y * 2, lambda y: y**3, x)
            counted = jax.lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1] * x), (0, x))
            return powered + branch + counted[1] + jnp.polyval(jnp.array([1.0, 0.0, 2.0]), x)
        """,
    )
    for point in ([0.5, 2.0], [-0.5, 2.0]):
        problem = _bind(f, x=point)
        _close(_reference(problem), _jax_jacobian(problem))


def test_rounding_casts_and_remainders(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            steps = jnp.round(x) + jax.lax.round(x) + jnp.floor(x) + jnp.ceil(x) + jnp.trunc(x)
            return steps * x + (3 * x).astype(jnp.int32) + jnp.fmod(x, 0.75) + x % 2.0
        """,
    )
    x = np.array([1.2, 2.5, -2.5, -0.7])
    problem = _bind(f, x=x)
    sym = symbolic.to_sympy(problem)
    steps = np.round(x) + np.sign(x) * np.floor(np.abs(x) + 0.5) + np.floor(x) + np.ceil(x)
    steps += np.trunc(x)
    _close(sym.evaluate(), steps * x + np.trunc(3 * x) + np.fmod(x, 0.75) + np.mod(x, 2.0))
    _close(_reference(problem), np.diag(steps + 2))
    _close(_reference(problem), _jax_jacobian(problem))


def test_debug_print_is_ignored(tmp_path, capfd):
    f = _file(
        tmp_path,
        """
        def f(x):
            jax.debug.print("x = {x}", x=x)
            return x**2
        """,
    )
    _close(_reference(_bind(f, x=[3.0])), [[6.0]])
    capfd.readouterr()


def test_custom_jvp_uses_the_primal_function(tmp_path):
    f = _file(
        tmp_path,
        """
        @jax.custom_jvp
        def g(x):
            return jnp.sin(x)

        @g.defjvp
        def g_jvp(primals, tangents):
            (x,), (t,) = primals, tangents
            return g(x), 2.0 * t  # wrong on purpose: the derivative of sin is cos

        def f(x):
            return g(x) * x
        """,
    )
    x = np.array([0.3, 1.0])
    problem = _bind(f, x=x)
    exact = np.diag(np.cos(x) * x + np.sin(x))
    _close(_reference(problem), exact)
    assert not np.allclose(_jax_jacobian(problem), exact)


def test_custom_vjp_uses_the_primal_function(tmp_path):
    f = _file(
        tmp_path,
        """
        @jax.custom_vjp
        def g(x):
            return jnp.exp(x)

        g.defvjp(lambda x: (jnp.exp(x), x), lambda x, ct: (ct * 0.0,))

        def f(x):
            return g(x)
        """,
    )
    problem = _bind(f, x=[0.5])
    _close(_reference(problem), [[np.exp(0.5)]])
    _close(_jax_jacobian(problem, jax.jacrev), [[0.0]])


def test_stop_gradient_is_the_identity(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            return x * jax.lax.stop_gradient(x)
        """,
    )
    problem = _bind(f, x=[3.0])
    _close(_reference(problem), [[6.0]])
    _close(_jax_jacobian(problem), [[3.0]])


def test_dict_arguments_and_wrt(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(params, x):
            return jnp.tanh(params["w"] @ x + params["b"]) * 2.0
        """,
    )
    point = {"params": {"w": [[1.0, 2.0], [3.0, 4.0]], "b": [0.1, -0.2]}, "x": [0.5, -0.5]}
    problem = _bind(f, **point)
    sym = symbolic.to_sympy(problem)
    assert [inp.label for inp in sym.inputs] == ["params['b']", "params['w']", "x"]
    assert str(sym.inputs[1].symbols[1]) == "params['w'][0, 1]"
    ref = _reference(problem)
    assert ref["params"]["w"].shape == (2, 2, 2)
    _close(ref, _jax_jacobian(problem))

    only_x = _bind(f, wrt=["x"], **point)
    sym = symbolic.to_sympy(only_x)
    assert [inp.label for inp in sym.inputs] == ["x"]
    _close(_reference(only_x), _jax_jacobian(only_x))


def test_complex_intermediates_with_a_real_output(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            return jnp.abs(x * (1 + 2j)) + jnp.real(jnp.exp(1j * x))
        """,
    )
    problem = _bind(f, x=[0.7])
    _close(_reference(problem), [[np.sqrt(5) - np.sin(0.7)]])


def test_covered_primitives():
    covered = set(symbolic.covered_primitives())
    assert {"add", "dot_general", "gather", "scan", "cond", "custom_vjp_call"} <= covered
    assert not {"sort", "eigh", "argmax"} & covered


def test_complex_inputs_are_not_available():
    problem = prepare(from_callable(lambda z: jnp.abs(z) ** 2), {"z": np.array([1 + 2j])})
    with pytest.raises(SymbolicUnavailable, match="not available: complex"):
        symbolic.to_sympy(problem)


@pytest.mark.parametrize(
    ("body", "primitive"),
    [
        ("jnp.sort(x)", "sort"),
        ("jnp.linalg.eigh(x.reshape(2, 2))[0]", "eigh"),
        ("jax.lax.while_loop(lambda c: c[0] < 10.0, lambda c: c * 2, x)", "while"),
        ("x[jnp.argmax(x)]", "argmax"),
    ],
)
def test_uncovered_primitives_are_not_available(tmp_path, body, primitive):
    f = _file(tmp_path, f"def f(x):\n    return {body}\n")
    problem = _bind(f, x=[1.0, 2.0, 3.0, 4.0])
    with pytest.raises(SymbolicUnavailable) as info:
        symbolic.to_sympy(problem)
    assert info.value.reason.startswith(f"not available: {primitive}")
    assert info.value.exit_code == 2


def test_untraceable_function_is_not_available(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            return x**2 if float(x) > 0 else -x
        """,
    )
    problem = _bind(f, x=2.0)
    with pytest.raises(SymbolicUnavailable, match="cannot be traced"):
        symbolic.to_sympy(problem)


def test_a_file_needs_a_point(tmp_path):
    f = _file(tmp_path, "def f(x):\n    return x\n")
    with pytest.raises(UsageError, match="needs a point"):
        symbolic.to_sympy(f)


# --- expressions ------------------------------------------------------------------------------


def test_expression_jacobian_is_exact():
    x, y = sympy.symbols("x y", real=True)
    sym = symbolic.to_sympy(from_expression("[x**2*y, sin(x) + exp(y)]"))
    matrix = symbolic.jacobian(sym).matrix
    assert matrix == sympy.Matrix([[2 * x * y, x**2], [sympy.cos(x), sympy.exp(y)]])
    assert symbolic.jacobian(sym, wrt="y").matrix == sympy.Matrix([[x**2], [sympy.exp(y)]])


def test_expression_bound_to_a_longer_point_keeps_jax_layout():
    function = from_expression("x[0]*x[1] + y", ["y", "x"])
    problem = _bind(function, y=0.5, x=[2.0, 3.0, 4.0])
    ref = _reference(problem)
    assert set(ref) == {"y", "x"}
    _close(ref["x"], [3.0, 2.0, 0.0])
    _close(ref["y"], 1.0)
    _close(ref, _jax_jacobian(problem))


def test_expression_with_where_max_and_indexing():
    function = from_expression("[where(x[0] > 1, x[0]**2, -x[1]), max(x[0], x[1]), relu(x[1])]")
    problem = _bind(function, x=[2.0, -3.0])
    _close(_reference(problem), [[4.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    _close(_reference(problem), _jax_jacobian(problem))


# --- evaluation -------------------------------------------------------------------------------


def test_evaluation_survives_cancellation(tmp_path):
    # d/dx (exp(x) - 1 - x) = exp(x) - 1, which float64 loses half its digits on at 1e-8.
    f = _file(tmp_path, "def f(x):\n    return jnp.exp(x) - 1 - x\n")
    problem = _bind(f, x=1e-8)
    ref = float(_reference(problem))
    assert ref == pytest.approx(np.expm1(1e-8), rel=1e-15)
    assert abs(float(_jax_jacobian(problem)) / np.expm1(1e-8) - 1) > 1e-10


def test_evaluation_of_undefined_entries_is_nan():
    x = sympy.Symbol("x", real=True)
    values = symbolic.evaluate(
        [sympy.log(x), sympy.sqrt(x), 1 / (x + 2), sympy.Piecewise((x, x > 0))], {x: -2.0}
    )
    assert np.isnan(values).all()
    with pytest.raises(UsageError, match="no value"):
        symbolic.evaluate(x + 1, {})


def test_function_values_agree_with_jax(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            return jax.nn.softplus(x) + jnp.hypot(x, 1.0) + jax.nn.gelu(x) + jnp.sinc(x)
        """,
    )
    problem = _bind(f, x=[0.25, -1.5])
    sym = symbolic.to_sympy(problem)
    _close(sym.evaluate(), problem.call(*problem.primals))
    _close(_reference(problem), _jax_jacobian(problem))


# --- Hessians ---------------------------------------------------------------------------------


def test_hessian_of_a_file_and_of_an_expression(tmp_path):
    f = _file(tmp_path, "def f(x):\n    return x[0] ** 2 * x[1] + jnp.sin(x[0] * x[1])\n")
    a, b = 0.5, 2.0
    problem = _bind(f, x=[a, b])
    hessian = symbolic.hessian(symbolic.to_sympy(problem))
    s, c = np.sin(a * b), np.cos(a * b)
    expected = [[2 * b - b * b * s, 2 * a + c - a * b * s], [2 * a + c - a * b * s, -a * a * s]]
    _close(hessian.evaluate(), expected)
    _close(hessian.evaluate(), jax.jit(jax.hessian(problem.call))(*problem.primals))

    expression = from_expression("x**2*y + sin(x*y)")
    by_name = symbolic.hessian(symbolic.to_sympy(_bind(expression, x=a, y=b))).evaluate()
    _close(by_name["x"]["y"], expected[0][1])
    _close(by_name["y"]["y"], expected[1][1])


def test_hessian_needs_a_scalar_output():
    sym = symbolic.to_sympy(from_expression("[x, y]"))
    with pytest.raises(UsageError, match="scalar-valued"):
        symbolic.hessian(sym)


# --- limits -----------------------------------------------------------------------------------


def test_too_many_entries_is_refused(monkeypatch):
    monkeypatch.setattr("jaccli._symbolic.limits.MAX_ENTRIES", 5)
    sym = symbolic.to_sympy(from_expression("[x*y, y*z]"))
    with pytest.raises(SymbolicTooLarge, match="6 entries") as info:
        symbolic.jacobian(sym)
    assert info.value.exit_code == 4
    assert isinstance(info.value, ResourceError)
    assert isinstance(info.value, SymbolicUnavailable)


def test_too_many_equations_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("jaccli._symbolic.interpreter.MAX_EQUATIONS", 50)
    f = _file(tmp_path, "def f(x):\n    return jax.lax.fori_loop(0, 100, lambda i, c: c * x, x)\n")
    with pytest.raises(SymbolicTooLarge, match="equations"):
        symbolic.to_sympy(_bind(f, x=[1.0]))


def test_exponentially_large_expressions_are_refused_early(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(x):
            for _ in range(40):
                x = jnp.sin(x) * x + x**2
            return x
        """,
    )
    with pytest.raises(SymbolicTooLarge, match="nodes"):
        symbolic.to_sympy(_bind(f, x=[0.1]))


def test_differentiation_work_is_bounded_before_it_runs_away(cli):
    # The Hessian of a product of 99 factors: each of its ~5,000 entries is a product of ~99
    # factors, which SymPy sorts and merges one by one (about a minute of work unbounded).
    product = "*".join(f"sin(x{i}*x{i + 1})" for i in range(99))
    start = time.monotonic()
    run = cli("symbolic", "-e", product, "--order", "2")
    assert run.code == 4 and run.stdout == ""
    assert "the Hessian needs more than 300,000 SymPy operations" in run.stderr
    assert time.monotonic() - start < 20
    # The same product's Jacobian is well within the budget, and right.
    sym = symbolic.to_sympy(from_expression(product))
    jac = symbolic.jacobian(sym).matrix
    named = {str(symbol): symbol for symbol in jac.free_symbols}  # jaccli's real symbols
    x = [named[f"x{i}"] for i in range(100)]
    factors = (sympy.sin(x[i] * x[i + 1]) for i in range(1, 99))
    expected = sympy.cos(x[0] * x[1]) * x[1] * sympy.Mul(*factors)
    assert sympy.expand(jac[0, 0] - expected) == 0


def test_differentiation_budget_counts_constructor_operands(monkeypatch):
    monkeypatch.setattr("jaccli._symbolic.differentiation.MAX_DIFFERENTIATION", 20)
    sym = symbolic.to_sympy(from_expression("x*y*z*w*v"))
    with pytest.raises(SymbolicTooLarge, match="the Jacobian needs more than 20 SymPy operations"):
        symbolic.jacobian(sym)
    monkeypatch.setattr("jaccli._symbolic.differentiation.MAX_DIFFERENTIATION", 60)
    assert symbolic.jacobian(sym).matrix.shape == (1, 5)


def test_tree_size_counts_shared_subexpressions_as_trees():
    x = sympy.Symbol("x")
    expr = x
    for _ in range(60):
        expr = sympy.sin(expr) * sympy.cos(expr)
    size, depth = symbolic.tree_size([expr])
    assert size > 2**60
    assert depth == 121


# --- text for `jaccli symbolic` ---------------------------------------------------------------


def test_text_reads_back_as_the_same_expressions(tmp_path):
    f = _file(
        tmp_path,
        """
        def f(p, x):
            return jnp.stack([p["w"][0] * jnp.sin(x), p["w"][1] * x**2 / 4 + 0.1])
        """,
    )
    problem = _bind(f, p={"w": [2.0, 3.0]}, x=0.5)
    sym = symbolic.to_sympy(problem)
    jac = symbolic.jacobian(sym)
    text = symbolic.to_text(jac, simplify=False)
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
    jac = symbolic.jacobian(symbolic.to_sympy(from_expression("[cos(x[0])*y_1, x[1]]")))
    text = symbolic.to_text(jac, format="latex")
    assert text.result["x"][0][0] == r"- y_{1} \sin{\left(x_{0} \right)}"
    assert text.result["y_1"] == [r"\cos{\left(x_{0} \right)}", "0"]
    with pytest.raises(UsageError, match="text or latex"):
        symbolic.to_text(jac, format="html")


def test_simplification_is_applied_to_small_entries():
    sym = symbolic.to_sympy(from_expression("(sin(x)**2 + cos(x)**2) * y"))
    assert symbolic.to_text(symbolic.jacobian(sym)).result == {"x": "0", "y": "1"}
    unsimplified = symbolic.to_text(symbolic.jacobian(sym), simplify=False).result["y"]
    assert (
        sympy.sympify(unsimplified, locals=sym.namespace)
        == sympy.sin(sympy.Symbol("x", real=True)) ** 2
        + sympy.cos(sympy.Symbol("x", real=True)) ** 2
    )


def test_common_subexpressions_for_large_jacobians(tmp_path, monkeypatch):
    monkeypatch.setattr("jaccli._symbolic.text.CSE_ENTRIES", 10)
    f = _file(tmp_path, "def f(x):\n    return jax.nn.softmax(x)\n")
    problem = _bind(f, x=[-1.0, 0.5, 2.0, 0.25])
    sym = symbolic.to_sympy(problem)
    jac = symbolic.jacobian(sym)
    text = symbolic.to_text(jac, simplify=False)
    assert len(text.replacements) > 0
    assert symbolic.to_text(jac, simplify=False, cse=False).replacements == ()
    # Computing the replacements in order, then the entries, gives the Jacobian back.
    names = {name: sympy.Symbol(name) for name, _ in text.replacements}
    env = dict(sym.namespace, **names)
    values = dict(sym.point)
    for name, value in text.replacements:
        values[names[name]] = float(symbolic.evaluate(sympy.sympify(value, locals=env), values))
    rebuilt = [sympy.sympify(s, locals=env) for s in np.ravel(text.result)]
    _close(symbolic.evaluate(rebuilt, values).reshape(4, 4), jac.evaluate())
    _close(jac.evaluate(), _jax_jacobian(problem))


# --- laziness ----------------------------------------------------------------------------------


def test_importing_the_module_loads_neither_sympy_nor_jax():
    code = "import sys, jaccli._symbolic; print('sympy' in sys.modules, 'jax' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
