"""Tests for jaccli._derivatives.compute: every derivative against a hand-derived formula or raw JAX."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaccli._derivatives import compute
from jaccli._derivatives.compute import choose_mode, complex_kind

MODES = ("forward", "reverse")
RNG = np.random.default_rng(20240611)


def _close(actual, expected, **kw):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-12, **kw)


# --- choose_mode -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "m", "requested", "mode"),
    [
        (2, 100, "auto", "forward"),
        (3, 3, "auto", "forward"),
        (100, 2, "auto", "reverse"),
        (1, 1, "auto", "forward"),
        (100, 2, "fwd", "forward"),
        (100, 2, "forward", "forward"),
        (2, 100, "rev", "reverse"),
        (2, 100, "reverse", "reverse"),
    ],
)
def test_choose_mode(n, m, requested, mode):
    choice = choose_mode(n, m, requested)
    assert choice.mode == mode
    assert f"n={n}" in choice.reason
    assert f"m={m}" in choice.reason


def test_choose_mode_reason_counts_passes():
    reason = choose_mode(7, 3).reason
    assert "n > m" in reason
    assert "3 VJPs" in reason
    assert "7 JVPs" in reason
    assert "requested" in choose_mode(7, 3, "fwd").reason


@pytest.mark.parametrize(("n", "m"), [(4000, 3998), (3, 2), (150, 100)])
def test_choose_mode_keeps_near_square_in_forward_mode(n, m):
    # A VJP costs more than a JVP, so a few passes fewer do not pay for reverse mode.
    choice = choose_mode(n, m)
    assert choice.mode == "forward"
    assert f"{n} JVPs" in choice.reason and f"{m} VJPs" in choice.reason
    assert "costs about 1.5×" in choice.reason
    assert choose_mode(151, 100).mode == "reverse"


# --- complex_kind ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("primals", "out_dtype", "kind"),
    [
        ((np.ones(2),), jnp.float64, "real"),
        ((np.ones(2, dtype=complex),), jnp.complex128, "holomorphic"),
        ((np.ones(2, dtype=complex),), jnp.float64, "complex_input"),
        ((np.ones(2),), jnp.complex128, "complex_output"),
        (({"a": np.ones(2), "b": np.ones(1, dtype=complex)},), jnp.float32, "complex_input"),
        ((np.ones(2), np.ones(1, dtype=complex)), jnp.complex64, "holomorphic"),
    ],
)
def test_complex_kind(primals, out_dtype, kind):
    assert complex_kind(primals, out_dtype) == kind


# --- jacobian: real ----------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_jacobian_elementwise(mode):
    x = jnp.array([0.3, -1.2, 2.0])
    d = compute.jacobian(lambda x: jnp.sin(x) * x, (x,), mode)
    # d/dx (x sin x) = sin x + x cos x, on the diagonal.
    _close(d.result[0], np.diag(np.sin(x) + x * np.cos(x)))
    _close(d.value, np.sin(x) * x)
    assert d.compiled is True
    assert isinstance(d.result, tuple)
    assert len(d.result) == 1


@pytest.mark.parametrize("mode", MODES)
def test_jacobian_affine_is_a(mode):
    a = RNG.normal(size=(4, 3))
    b = RNG.normal(size=4)
    x = jnp.asarray(RNG.normal(size=3))
    d = compute.jacobian(lambda x: a @ x + b, (x,), mode)
    _close(d.result[0], a)
    _close(d.value, a @ x + b)


@pytest.mark.parametrize("mode", MODES)
def test_jacobian_matrix_input_is_output_then_input(mode):
    w = jnp.asarray(RNG.normal(size=(2, 3)))
    x = np.array([1.0, -2.0, 0.5])
    d = compute.jacobian(lambda w: w @ x, (w,), mode)
    # (W x)_i = Σ_k W[i,k] x[k]  ⇒  ∂/∂W[j,k] = δ_ij x[k]
    expected = np.zeros((2, 2, 3))
    for i in range(2):
        expected[i, i, :] = x
    assert d.result[0].shape == (2, 2, 3)
    _close(d.result[0], expected)


@pytest.mark.parametrize("mode", MODES)
def test_jacobian_two_arguments(mode):
    x = jnp.array([1.0, 2.0])
    y = jnp.array([3.0, -4.0])
    d = compute.jacobian(lambda x, y: x * y**2, (x, y), mode)
    assert len(d.result) == 2
    _close(d.result[0], np.diag(y**2))
    _close(d.result[1], np.diag(2 * x * y))


@pytest.mark.parametrize("mode", MODES)
def test_jacobian_dict_argument(mode):
    params = {"w": jnp.array([1.0, -2.0]), "b": jnp.array(0.5)}

    def fn(p):
        return p["w"] ** 2 + p["b"]

    d = compute.jacobian(fn, (params,), mode)
    (jac,) = d.result
    assert set(jac) == {"w", "b"}
    _close(jac["w"], np.diag(2 * np.asarray(params["w"])))
    _close(jac["b"], np.ones(2))


# --- jacobian: complex conventions -------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
def test_jacobian_holomorphic(mode):
    z = jnp.array([0.5 + 1.0j, -1.0 + 0.25j])
    d = compute.jacobian(lambda z: z**2 + jnp.exp(z), (z,), mode, kind="holomorphic")
    _close(d.result[0], np.diag(2 * z + np.exp(z)))


@pytest.mark.parametrize("mode", MODES)
def test_jacobian_complex_input_is_dx_plus_i_dy(mode):
    z = jnp.array([3.0 + 4.0j, -1.0 + 0.5j])
    d = compute.jacobian(lambda z: jnp.abs(z) ** 2, (z,), mode, kind="complex_input")
    # |z|^2 = x^2 + y^2: df/dx + i df/dy = 2x + 2iy.
    _close(d.result[0], np.diag(2 * z.real + 2j * z.imag))


@pytest.mark.parametrize("mode", MODES)
def test_jacobian_complex_output(mode):
    x = jnp.array([0.5, -1.5])
    d = compute.jacobian(lambda x: jnp.exp(1j * x), (x,), mode, kind="complex_output")
    _close(d.result[0], np.diag(1j * np.exp(1j * np.asarray(x))))


# --- products and second derivatives ---------------------------------------------------------


def _vector_fn(x):
    return jnp.stack([x[0] * x[1], jnp.sin(x[2]) + x[0] ** 2, jnp.exp(x[1] - x[2])])


def test_jvp_is_j_times_v():
    x = jnp.asarray(RNG.normal(size=3))
    v = jnp.asarray(RNG.normal(size=3))
    d = compute.jvp(_vector_fn, (x,), (v,))
    _close(d.result, jax.jacfwd(_vector_fn)(x) @ v)
    _close(d.value, _vector_fn(x))


def test_vjp_is_v_times_j():
    x = jnp.asarray(RNG.normal(size=3))
    v = jnp.asarray(RNG.normal(size=3))
    d = compute.vjp(_vector_fn, (x,), v)
    _close(d.result[0], v @ jax.jacrev(_vector_fn)(x))


def test_grad_two_arguments():
    x = jnp.array([1.0, 2.0])
    y = jnp.array(3.0)
    d = compute.grad(lambda x, y: jnp.sum(x**2) * y, (x, y))
    _close(d.result[0], 2 * x * y)
    _close(d.result[1], jnp.sum(x**2))
    _close(d.value, 15.0)


def test_grad_complex_input_is_conjugate_of_jax():
    z = jnp.array([3.0 + 4.0j, 1.0 - 2.0j])
    d = compute.grad(lambda z: jnp.sum(jnp.abs(z) ** 2), (z,), kind="complex_input")
    _close(d.result[0], 2 * z.real + 2j * z.imag)


def test_grad_holomorphic():
    z = jnp.array(0.5 + 0.5j)
    d = compute.grad(lambda z: z**3, (z,), kind="holomorphic")
    _close(d.result[0], 3 * z**2)


def _rosenbrock(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def test_hessian_rosenbrock_at_minimum():
    d = compute.hessian(_rosenbrock, (jnp.array([1.0, 1.0]),))
    # ∂²/∂x² = 1200x² - 400y + 2, ∂²/∂x∂y = -400x, ∂²/∂y² = 200.
    _close(d.result[0][0], [[802.0, -400.0], [-400.0, 200.0]])
    _close(d.value, 0.0)


def test_hessian_rosenbrock_random_point_matches_jax():
    x = jnp.asarray(RNG.normal(size=2))
    d = compute.hessian(_rosenbrock, (x,))
    _close(d.result[0][0], jax.hessian(_rosenbrock)(x))
    a, b = np.asarray(x)
    _close(d.result[0][0], [[1200 * a**2 - 400 * b + 2, -400 * a], [-400 * a, 200.0]])


def test_hessian_two_arguments_blocks():
    x = jnp.array([0.7, -0.3])
    y = jnp.array(1.3)

    def fn(x, y):
        return jnp.sum(x**2) * y**3

    d = compute.hessian(fn, (x, y))
    expected = jax.hessian(fn, argnums=(0, 1))(x, y)
    for i in range(2):
        for j in range(2):
            _close(d.result[i][j], expected[i][j])
    _close(d.result[0][1], 2 * x * 3 * y**2)


def test_hessian_dict_argument():
    params = {"w": jnp.array([1.0, 2.0]), "b": jnp.array(3.0)}

    def fn(p):
        return jnp.sum(p["w"] ** 2 * p["b"])

    d = compute.hessian(fn, (params,))
    h = d.result[0][0]
    _close(h["w"]["w"], 2 * params["b"] * np.eye(2))
    _close(h["w"]["b"], 2 * params["w"])


def test_hvp_is_h_times_v():
    x = jnp.asarray(RNG.normal(size=3))
    v = jnp.asarray(RNG.normal(size=3))
    d = compute.hvp(_rosenbrock, (x,), (v,))
    _close(d.result[0], jax.hessian(_rosenbrock)(x) @ v)
    _close(d.value, _rosenbrock(x))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["real", "holomorphic"])
def test_large_jacobian_gets_its_value_apart(mode, kind, monkeypatch):
    # Above the threshold the value is a program of its own; the answer is the same.
    monkeypatch.setattr(compute, "VALUE_APART_ENTRIES", 0)
    x = jnp.array([0.3, -1.2, 2.0]) + (0.5j if kind == "holomorphic" else 0)
    d = compute.jacobian(lambda x: jnp.sin(x) * x[::-1], (x,), mode, kind=kind)
    _close(d.value, jnp.sin(x) * x[::-1])
    _close(d.result[0], jax.jacfwd(lambda x: jnp.sin(x) * x[::-1], holomorphic=kind != "real")(x))
    assert compute.jacobian(jnp.sin, (x,), mode, kind=kind, with_value=False).value is None


def test_grad_and_hvp_without_the_value():
    x = jnp.asarray(RNG.normal(size=4))
    v = jnp.asarray(RNG.normal(size=4))
    g = compute.grad(_rosenbrock, (x,), with_value=False)
    assert g.value is None
    _close(g.result[0], jax.grad(_rosenbrock)(x))
    h = compute.hvp(_rosenbrock, (x,), (v,), with_value=False)
    assert h.value is None
    _close(h.result[0], jax.hessian(_rosenbrock)(x) @ v)


# --- run_compiled: control flow ---------------------------------------------------------------


def _branchy(x):
    if x[0] > 0:
        return x**2
    return jnp.sin(x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("x0", [1.5, -0.5])
def test_control_flow_falls_back_to_eager(mode, x0):
    x = jnp.array([x0, 2.0])
    d = compute.jacobian(_branchy, (x,), mode)
    assert d.compiled is False
    expected = np.diag(2 * np.asarray(x)) if x0 > 0 else np.diag(np.cos(np.asarray(x)))
    _close(d.result[0], expected, atol=0)


def test_run_compiled_reports_compiled():
    out, compiled = compute.run_compiled(lambda x: x * 2, jnp.array(1.5))
    assert compiled is True
    assert float(out) == 3.0
