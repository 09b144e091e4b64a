"""The traced program interpreted over SymPy: each primitive against hand-derived values and
raw JAX, what is not available, and a package that imports neither SymPy nor JAX."""

from __future__ import annotations

import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import sympy
from symbolic_cases import HEADER, bind, close, jax_jacobian, reference, traced_file

from jaccli._load import from_callable
from jaccli._problem import prepare
from jaccli._symbolic import SymbolicUnavailable, covered_primitives, to_sympy
from jaccli.errors import UsageError


def test_arithmetic_and_powers_match_hand_derivation(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            return jnp.stack([x[0] ** 3 * x[1] - x[1] / x[0], x[0] ** 2.5 + x[1] ** x[0]])
        """,
    )
    a, b = 1.5, 2.0
    problem = bind(f, x=[a, b])
    expected = [
        [3 * a**2 * b + b / a**2, a**3 - 1 / a],
        [2.5 * a**1.5 + b**a * np.log(b), a * b ** (a - 1)],
    ]
    close(reference(problem), expected)
    close(reference(problem), jax_jacobian(problem))


def test_exp_and_log_family(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            return jnp.exp(x) * jnp.log(x) + jnp.log1p(x) + jnp.expm1(x) + jnp.log10(x) + jnp.exp2(x)
        """,
    )
    x = np.array([0.5, 2.0])
    problem = bind(f, x=x)
    diagonal = (
        np.exp(x) * np.log(x)
        + np.exp(x) / x
        + 1 / (1 + x)
        + np.exp(x)
        + 1 / (x * np.log(10))
        + np.log(2) * 2**x
    )
    close(reference(problem), np.diag(diagonal))
    close(reference(problem), jax_jacobian(problem))


def test_trig_and_hyperbolic(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            trig = jnp.sin(x) * jnp.cos(x) + jnp.tan(x) + jnp.arcsin(x / 3) + jnp.arccos(x / 4)
            inverse = jnp.arctan(x) + jnp.arctan2(x, 2.0) + jnp.arcsinh(x) + jnp.arctanh(x / 5)
            hyperbolic = jnp.sinh(x) + jnp.cosh(x) * jnp.tanh(x) + jnp.arccosh(x + 3)
            return trig + inverse + hyperbolic
        """,
    )
    problem = bind(f, x=[0.3, -1.1])
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
    close(reference(problem), np.diag(expected))
    close(reference(problem), jax_jacobian(problem))


def test_sqrt_abs_sign_and_friends(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            return (
                jnp.sqrt(jnp.abs(x)) + jnp.sign(x) * x**2 + jax.lax.rsqrt(x**2 + 1)
                + jnp.cbrt(x) + jnp.square(x) + jax.scipy.special.erf(x) + jax.nn.sigmoid(x)
            )
        """,
    )
    problem = bind(f, x=[-2.0, 0.7])
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
    close(reference(problem), np.diag(expected))
    close(reference(problem), jax_jacobian(problem))


def test_where_becomes_piecewise_and_follows_the_branch(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            return jnp.where(x > 0, jnp.sin(x), x**3)
        """,
    )
    problem = bind(f, x=[-0.5, 0.5])
    sym = to_sympy(problem)
    assert all(isinstance(out, sympy.Piecewise) for out in sym.outputs)
    close(reference(problem), np.diag([3 * 0.25, np.cos(0.5)]))


def test_max_min_clip_and_relu(tmp_path):
    f = traced_file(
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
    problem = bind(f, x=[0.2, 3.0, -4.0, 0.9])
    expected = np.zeros((8, 4))
    expected[:4] = np.diag([0, 2, 1, 2])
    expected[4] = [0, 1, 1, 0]  # max(0.2, 3) + min(0.2, -4)
    expected[5] = [0, 0, 0, 2]  # max(-4, 0.9) + min(3, 0.9)
    expected[6] = [1, 0, 0, 0]  # clip(0.2) + relu(-4), which is flat
    expected[7] = [0, 0, 0, 1]  # clip(3), which is flat, + relu(0.9)
    close(reference(problem), expected)
    close(reference(problem), jax_jacobian(problem))


def test_dot_and_matmul(tmp_path):
    f = traced_file(
        tmp_path,
        """
        W = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]])

        def f(A, x):
            return jnp.tanh(W @ x) + A @ x + jnp.dot(x, x) * jnp.einsum("ij,j->i", A, x)
        """,
    )
    A = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])
    x = np.array([0.3, -0.2, 0.1])
    problem = bind(f, A=A, x=x)
    ref = reference(problem)
    assert set(ref) == {"A", "x"}
    assert ref["A"].shape == (2, 2, 3)
    W = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.25]])
    d_tanh = (1 - np.tanh(W @ x) ** 2)[:, None] * W
    expected_x = d_tanh + A + np.outer(A @ x, 2 * x) + x @ x * A
    close(ref["x"], expected_x)
    close(ref, jax_jacobian(problem))


def test_sum_reductions(tmp_path):
    f = traced_file(
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
    problem = bind(f, x=x)
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
    close(reference(problem), expected)
    close(reference(problem), jax_jacobian(problem))


def test_slicing_and_indexing(tmp_path):
    f = traced_file(
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
    problem = bind(f, x=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
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
    close(reference(problem), expected)
    close(reference(problem), jax_jacobian(problem))


def test_concatenate_stack_pad_roll_tile(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            parts = [x * 2, jnp.stack([x[0], x[1] ** 2]), jnp.pad(x, (1, 1))]
            return jnp.concatenate(parts + [jnp.roll(x, 1), jnp.tile(x, 2), jnp.split(x, 2)[1]])
        """,
    )
    problem = bind(f, x=[1.5, -2.0])
    ref = reference(problem)
    assert ref.shape == (15, 2)
    np.testing.assert_array_equal(ref[2:4], [[1, 0], [0, -4.0]])
    np.testing.assert_array_equal(ref[4:8], [[0, 0], [1, 0], [0, 1], [0, 0]])
    close(ref, jax_jacobian(problem))


def test_reshape_transpose_squeeze(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(W):
            return (W.T @ W).reshape(-1)[None, :].squeeze(0) + jnp.expand_dims(W, 0).sum()
        """,
    )
    W = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, -1.0]])
    problem = bind(f, W=W)
    ref = reference(problem)
    assert ref.shape == (4, 3, 2)
    close(ref, jax_jacobian(problem))


def test_static_loops_and_branches_are_unrolled(tmp_path):
    f = traced_file(
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
        problem = bind(f, x=point)
        close(reference(problem), jax_jacobian(problem))


def test_extrema_of_a_loops_steps_stay_unevaluated_and_exact(tmp_path):
    # SymPy's Max and Min compare their arguments by asking about signs, each question a walk
    # of the nested steps: the maximum of these eight steps took minutes to build before.
    f = traced_file(
        tmp_path,
        """
        def f(x):
            def step(y, _):
                return y + 0.1 * (-x[0] * y + jnp.sin(y) * x[1]), y
            y, ys = jax.lax.scan(step, 1.0, None, length=8)
            clipped = jnp.clip(ys, 0.9, 1.1)
            return jnp.stack([y, jnp.max(ys), jnp.min(ys), jnp.maximum(ys[3], ys[5]), clipped[-1]])
        """,
    )
    problem = bind(f, x=[0.3, 0.6])
    close(reference(problem), jax_jacobian(problem))


def test_rounding_casts_and_remainders(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            steps = jnp.round(x) + jax.lax.round(x) + jnp.floor(x) + jnp.ceil(x) + jnp.trunc(x)
            return steps * x + (3 * x).astype(jnp.int32) + jnp.fmod(x, 0.75) + x % 2.0
        """,
    )
    x = np.array([1.2, 2.5, -2.5, -0.7])
    problem = bind(f, x=x)
    sym = to_sympy(problem)
    steps = np.round(x) + np.sign(x) * np.floor(np.abs(x) + 0.5) + np.floor(x) + np.ceil(x)
    steps += np.trunc(x)
    close(sym.evaluate(), steps * x + np.trunc(3 * x) + np.fmod(x, 0.75) + np.mod(x, 2.0))
    close(reference(problem), np.diag(steps + 2))
    close(reference(problem), jax_jacobian(problem))


def test_debug_print_is_ignored(tmp_path, capfd):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            jax.debug.print("x = {x}", x=x)
            return x**2
        """,
    )
    close(reference(bind(f, x=[3.0])), [[6.0]])
    capfd.readouterr()


def test_custom_jvp_uses_the_primal_function(tmp_path):
    f = traced_file(
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
    problem = bind(f, x=x)
    exact = np.diag(np.cos(x) * x + np.sin(x))
    close(reference(problem), exact)
    assert not np.allclose(jax_jacobian(problem), exact)


def test_custom_vjp_uses_the_primal_function(tmp_path):
    f = traced_file(
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
    problem = bind(f, x=[0.5])
    close(reference(problem), [[np.exp(0.5)]])
    close(jax_jacobian(problem, jax.jacrev), [[0.0]])


def test_stop_gradient_is_the_identity(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            return x * jax.lax.stop_gradient(x)
        """,
    )
    problem = bind(f, x=[3.0])
    close(reference(problem), [[6.0]])
    close(jax_jacobian(problem), [[3.0]])


def test_dict_arguments_and_wrt(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(params, x):
            return jnp.tanh(params["w"] @ x + params["b"]) * 2.0
        """,
    )
    point = {"params": {"w": [[1.0, 2.0], [3.0, 4.0]], "b": [0.1, -0.2]}, "x": [0.5, -0.5]}
    problem = bind(f, **point)
    sym = to_sympy(problem)
    assert [inp.label for inp in sym.inputs] == ["params['b']", "params['w']", "x"]
    assert str(sym.inputs[1].symbols[1]) == "params['w'][0, 1]"
    ref = reference(problem)
    assert ref["params"]["w"].shape == (2, 2, 2)
    close(ref, jax_jacobian(problem))

    only_x = bind(f, wrt=["x"], **point)
    sym = to_sympy(only_x)
    assert [inp.label for inp in sym.inputs] == ["x"]
    close(reference(only_x), jax_jacobian(only_x))


def test_complex_intermediates_with_a_real_output(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            return jnp.abs(x * (1 + 2j)) + jnp.real(jnp.exp(1j * x))
        """,
    )
    problem = bind(f, x=[0.7])
    close(reference(problem), [[np.sqrt(5) - np.sin(0.7)]])


def test_covered_primitives():
    covered = set(covered_primitives())
    assert {"add", "dot_general", "gather", "scan", "cond", "custom_vjp_call"} <= covered
    assert not {"sort", "eigh", "argmax"} & covered


def test_complex_inputs_are_not_available():
    problem = prepare(from_callable(lambda z: jnp.abs(z) ** 2), {"z": np.array([1 + 2j])})
    with pytest.raises(SymbolicUnavailable, match="real functions only, and z is complex"):
        to_sympy(problem)


@pytest.mark.parametrize(
    ("body", "primitive"),
    [
        ("jnp.sort(x)", "sorting (jnp.sort"),
        ("jnp.linalg.eigh(x.reshape(2, 2))[0]", "an eigendecomposition (jnp.linalg.eigh)"),
        ("jax.lax.while_loop(lambda c: c[0] < 10.0, lambda c: c * 2, x)", "lax.while_loop"),
        ("x[jnp.argmax(x)]", "jnp.argmax"),
    ],
)
def test_uncovered_primitives_are_not_available(tmp_path, body, primitive):
    """The refusal names the operation as the user wrote it, and the line."""
    f = traced_file(tmp_path, f"def f(x):\n    return {body}\n")
    problem = bind(f, x=[1.0, 2.0, 3.0, 4.0])
    with pytest.raises(SymbolicUnavailable) as info:
        to_sympy(problem)
    assert primitive in info.value.reason and "not available" not in info.value.reason
    line = HEADER.count("\n") + 2
    assert f"`return {body}` (" in info.value.reason
    assert info.value.reason.endswith(f"f.py, line {line})"), info.value.reason
    assert info.value.exit_code == 2


def test_untraceable_function_is_not_available(tmp_path):
    f = traced_file(
        tmp_path,
        """
        def f(x):
            return x**2 if float(x) > 0 else -x
        """,
    )
    problem = bind(f, x=2.0)
    with pytest.raises(
        SymbolicUnavailable,
        match=r"cannot trace .*`float\(x\)` turns a traced value into a Python number",
    ):
        to_sympy(problem)


def test_a_file_needs_a_point(tmp_path):
    f = traced_file(tmp_path, "def f(x):\n    return x\n")
    with pytest.raises(UsageError, match="needs a point"):
        to_sympy(f)


# --- laziness ----------------------------------------------------------------------------------


def test_importing_the_module_loads_neither_sympy_nor_jax():
    code = (
        "import importlib, pkgutil, sys, jaccli._symbolic as package\n"
        "for module in pkgutil.iter_modules(package.__path__):\n"
        "    importlib.import_module(f'jaccli._symbolic.{module.name}')\n"
        "print('sympy' in sys.modules, 'jax' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
