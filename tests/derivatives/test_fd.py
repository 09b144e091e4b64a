"""Finite differences (`jaccli._derivatives.fd`) against hand-derived derivatives and `jax.jacfwd`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from jaccli._derivatives import fd

EPS = float(np.finfo(np.float64).eps)
TINY = 1e-30


def assert_bounded(est: fd.Estimate, truth: Any, rtol: float) -> None:
    """The estimate is within ``rtol`` of the truth, and its error estimate bounds its error."""
    truth = np.asarray(truth, dtype=np.float64).reshape(est.estimate.shape)
    error = np.abs(est.estimate - truth)
    # Entries are compared relative to the largest (or to 1 for a zero Jacobian); TINY covers
    # the complex step of x**3 at 0, which is -h**2 = -1e-40.
    atol = rtol * (np.abs(truth).max() or 1.0) + TINY
    np.testing.assert_allclose(est.estimate, truth, rtol=rtol, atol=atol)
    bound = est.error_estimate + 4 * EPS * np.abs(truth) + TINY
    assert np.all(error <= bound), (error, est.error_estimate)


def powell(x: jax.Array) -> jax.Array:
    return jnp.stack([1e4 * x[0] * x[1] - 1, jnp.exp(-x[0]) + jnp.exp(-x[1]) - 1.0001])


def powell_jacobian(x: np.ndarray) -> np.ndarray:
    return np.array([[1e4 * x[1], 1e4 * x[0]], [-np.exp(-x[0]), -np.exp(-x[1])]])


def rosenbrock(x: jax.Array) -> jax.Array:
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2


def rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    return np.array([[2 - 400 * x[1] + 1200 * x[0] ** 2, -400 * x[0]], [-400 * x[0], 200.0]])


def f_xy(x: jax.Array) -> jax.Array:
    return jnp.stack([x[0] ** 2 * x[1], jnp.sin(x[0]) + x[1]])


def f_xy_jacobian(x: np.ndarray) -> np.ndarray:
    return np.array([[2 * x[0] * x[1], x[0] ** 2], [np.cos(x[0]), 1.0]])


SMOOTH: list[tuple[str, Callable[[jax.Array], jax.Array], list[float]]] = [
    ("sin", jnp.sin, [0.3, -2.0, 100.0]),
    ("exp", jnp.exp, [0.0, 3.0, -20.0]),
    ("log", jnp.log, [0.01, 1.0, 1e3]),
    ("rational", lambda x: 1 / (1 + x**2), [0.0, 0.5, 7.0]),
    ("tanh", lambda x: jnp.tanh(3 * x), [0.1, 2.0]),
    ("arctan", jnp.arctan, [1e-5, 50.0]),
    ("sin10", lambda x: jnp.sin(10 * x), [0.2, 3.0]),
    ("cube", lambda x: x**3, [0.0, 1.5]),
]
SMOOTH_CASES = [(f, x) for name, f, points in SMOOTH for x in points]
SMOOTH_IDS = [f"{name}@{x}" for name, f, points in SMOOTH for x in points]


def test_central_hand_derived() -> None:
    x = np.array([1.3, -0.7])
    est = fd.jacobian_central(f_xy, x)
    assert est.method == "central_richardson" and est.vectorised and est.succeeded
    assert est.estimate.dtype == np.float64 and est.estimate.shape == (2, 2)
    assert est.step.shape == (2, 2) and np.all(est.step > 0)
    assert_bounded(est, f_xy_jacobian(x), rtol=1e-11)


@pytest.mark.parametrize(("f", "x"), SMOOTH_CASES, ids=SMOOTH_IDS)
def test_central_error_estimate_bounds_error(f: Callable[[jax.Array], jax.Array], x: float) -> None:
    point = np.array([x])
    est = fd.jacobian_central(f, point)
    truth = jax.jacfwd(f)(jnp.asarray(point))
    assert_bounded(est, truth, rtol=1e-9)


def test_exp_of_a_vector() -> None:
    x = np.array([-3.0, 0.0, 0.5, 10.0])
    est = fd.jacobian_central(jnp.exp, x)
    assert_bounded(est, np.diag(np.exp(x)), rtol=1e-11)


@pytest.mark.parametrize("x", [[0.0, 1.0], [1e-5, 9.1]])
def test_powell_badly_scaled(x: list[float]) -> None:
    point = np.array(x)
    est = fd.jacobian_central(powell, point)
    truth = powell_jacobian(point)
    # Entry-wise: the entries differ by eight orders of magnitude.
    assert np.all(np.abs(est.estimate - truth) <= 1e-8 * np.abs(truth))
    assert_bounded(est, truth, rtol=1e-8)


def test_values_that_are_small_sums_of_large_terms() -> None:
    # Rows of A @ x that nearly cancel carry rounding far above eps * |f|; the error estimate
    # must still cover it.
    a = np.random.default_rng(0).normal(size=(60, 60)) / np.sqrt(60)
    x = np.linspace(-1, 1, 60)
    for f in (lambda v: a @ v, lambda v: jnp.tanh(a @ v)):
        est = fd.jacobian_central(f, x)
        truth = np.asarray(jax.jit(jax.jacfwd(f))(x))
        assert np.all(np.abs(est.estimate - truth) <= est.error_estimate)
        assert np.all(est.error_estimate <= 1e-9 * np.abs(truth).max())


def test_rosenbrock_gradient_and_hessians() -> None:
    x = np.array([-1.2, 1.0])
    grad = jax.grad(rosenbrock)
    gradient = np.array(
        [-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)]
    )
    assert_bounded(fd.jacobian_central(rosenbrock, x), gradient[None], rtol=1e-11)
    assert_bounded(fd.hessian_from_gradient(grad, x), rosenbrock_hessian(x), rtol=1e-11)
    second = fd.hessian_second_difference(rosenbrock, x)
    assert second.method == "second_difference_richardson"
    np.testing.assert_array_equal(second.estimate, second.estimate.T)
    assert_bounded(second, rosenbrock_hessian(x), rtol=1e-8)


def test_hessian_from_gradient_hand_derived() -> None:
    def f(x: jax.Array) -> jax.Array:
        return jnp.sin(x[0]) * x[1] ** 2 + jnp.exp(x[0] * x[2])

    x = np.array([0.4, -1.5, 0.8])
    e = np.exp(x[0] * x[2])
    truth = np.array(
        [
            [
                -np.sin(x[0]) * x[1] ** 2 + x[2] ** 2 * e,
                2 * x[1] * np.cos(x[0]),
                (1 + x[0] * x[2]) * e,
            ],
            [2 * x[1] * np.cos(x[0]), 2 * np.sin(x[0]), 0.0],
            [(1 + x[0] * x[2]) * e, 0.0, x[0] ** 2 * e],
        ]
    )
    est = fd.hessian_from_gradient(jax.grad(f), x)
    assert est.estimate.shape == (3, 3)
    assert_bounded(est, truth, rtol=1e-10)
    assert_bounded(fd.hessian_second_difference(f, x), truth, rtol=1e-7)
    v = np.array([1.0, -2.0, 0.5])
    hv = fd.hvp_from_gradient(jax.grad(f), x, v)
    assert hv.estimate.shape == hv.error_estimate.shape == hv.step.shape == (3,)
    assert_bounded(hv, truth @ v, rtol=1e-10)


def test_hvp_along_a_badly_scaled_direction() -> None:
    x = np.array([-1.2, 1.0])
    v = np.array([1e-6, 3e4])
    est = fd.hvp_from_gradient(jax.grad(rosenbrock), x, v)
    assert_bounded(est, rosenbrock_hessian(x) @ v, rtol=1e-10)
    zero = fd.hvp_from_gradient(jax.grad(rosenbrock), x, np.zeros(2))
    np.testing.assert_array_equal(zero.estimate, [0.0, 0.0])


@pytest.mark.parametrize(("f", "x"), SMOOTH_CASES, ids=SMOOTH_IDS)
def test_complex_step_is_accurate_to_rounding(
    f: Callable[[jax.Array], jax.Array], x: float
) -> None:
    point = np.array([x])
    est = fd.jacobian_complex_step(f, point)
    assert est.succeeded and est.method == "complex_step" and est.note == ""
    truth = np.asarray(jax.jacfwd(f)(jnp.asarray(point))).reshape(1, 1)
    assert_bounded(est, truth, rtol=1e-10)


def test_complex_step_hand_derived() -> None:
    x = np.array([1.3, -0.7])
    est = fd.jacobian_complex_step(f_xy, x)
    truth = f_xy_jacobian(x)
    assert np.all(np.abs(est.estimate - truth) <= 4 * EPS * np.abs(truth))
    assert np.all(est.step <= 1e-20 * np.maximum(np.abs(x), 1.0))
    assert_bounded(
        fd.jacobian_complex_step(powell, np.array([1e-5, 9.1])), powell_jacobian([1e-5, 9.1]), 1e-14
    )


def test_complex_step_reports_why_it_is_unavailable() -> None:
    def real_only(x: jax.Array) -> jax.Array:
        if jnp.iscomplexobj(x):
            raise TypeError("real input only")
        return x

    raised = fd.jacobian_complex_step(real_only, np.array([1.0, 2.0]))
    assert not raised.succeeded and raised.estimate.shape == (0, 2)
    assert "TypeError: real input only" in raised.note

    real_output = fd.jacobian_complex_step(jnp.abs, np.array([1.0, 2.0]))
    assert not real_output.succeeded and np.isnan(real_output.estimate).all()
    assert "real value" in real_output.note

    cast = fd.jacobian_complex_step(lambda x: x.astype(jnp.float64) ** 2, np.array([1.0]))
    assert not cast.succeeded

    overflow = fd.jacobian_complex_step(lambda x: jnp.exp(1e3 * x), np.array([1.0]))
    assert not overflow.succeeded and "non-finite" in overflow.note

    negative_log = fd.jacobian_complex_step(jnp.log, np.array([-1.0]))
    assert not negative_log.succeeded and "not real at x" in negative_log.note

    branch_point = fd.jacobian_complex_step(jnp.sqrt, np.array([0.0, 1.0]))
    assert not branch_point.succeeded and "not analytic" in branch_point.note


def test_kinks_are_detected() -> None:
    forward, backward, kink = fd.one_sided(jnp.abs, np.array([0.0, -2.0]))
    assert (forward.method, backward.method) == ("forward", "backward")
    np.testing.assert_allclose(forward.estimate, [[1.0, 0.0], [0.0, -1.0]], atol=1e-12)
    np.testing.assert_allclose(backward.estimate, [[-1.0, 0.0], [0.0, -1.0]], atol=1e-12)
    np.testing.assert_array_equal(kink, [[True, False], [False, False]])

    _, _, relu_kink = fd.one_sided(jax.nn.relu, np.array([0.0, 1.0, -1.0]))
    np.testing.assert_array_equal(relu_kink, np.diag([True, False, False]))

    forward, backward, max_kink = fd.one_sided(lambda x: jnp.max(x), np.array([0.7, 0.7]))
    np.testing.assert_allclose(forward.estimate, [[1.0, 1.0]], atol=1e-12)
    np.testing.assert_allclose(backward.estimate, [[0.0, 0.0]], atol=1e-12)
    np.testing.assert_array_equal(max_kink, [[True, True]])

    _, _, no_tie = fd.one_sided(lambda x: jnp.maximum(x[0], x[1]), np.array([0.7, 0.2]))
    assert not no_tie.any()


@pytest.mark.parametrize(("f", "x"), SMOOTH_CASES, ids=SMOOTH_IDS)
def test_no_false_kinks_on_smooth_functions(f: Callable[[jax.Array], jax.Array], x: float) -> None:
    point = np.array([x])
    forward, backward, kink = fd.one_sided(f, point)
    assert not kink.any()
    truth = jax.jacfwd(f)(jnp.asarray(point))
    assert_bounded(forward, truth, rtol=1e-6)
    assert_bounded(backward, truth, rtol=1e-6)


def test_no_false_kinks_on_several_smooth_outputs() -> None:
    for f, x in [(f_xy, [1.3, -0.7]), (powell, [1e-5, 9.1]), (powell, [0.0, 1.0])]:
        assert not fd.one_sided(f, np.array(x))[2].any()


def test_float32_inputs() -> None:
    x32 = np.array([1.3, -0.7], dtype=np.float32)
    x = x32.astype(np.float64)
    est = fd.jacobian_central(f_xy, x32)
    est64 = fd.jacobian_central(f_xy, x)
    assert est.estimate.dtype == est.error_estimate.dtype == np.float64
    assert np.all(est.step > est64.step)  # steps scale with the dtype's eps
    assert_bounded(est, f_xy_jacobian(x), rtol=1e-4)
    assert est.error_estimate.max() < 1e-3 and est.error_estimate.min() > 1e-12

    complex_step = fd.jacobian_complex_step(f_xy, x32)
    assert complex_step.succeeded
    assert_bounded(complex_step, f_xy_jacobian(x), rtol=1e-5)
    assert not fd.one_sided(f_xy, x32)[2].any()
    _, _, kink = fd.one_sided(jnp.abs, np.array([0.0], dtype=np.float32))
    assert kink.all()


def test_untraceable_function_falls_back_to_eager_calls() -> None:
    def branchy(x: jax.Array) -> jax.Array:
        if x[0] > 0:
            return jnp.stack([x[0] ** 2 * x[1], jnp.sin(x[0]) + x[1]])
        return -x

    x = np.array([1.3, -0.7])
    est = fd.jacobian_central(branchy, x)
    assert not est.vectorised and "TracerBoolConversionError" in est.note
    assert_bounded(est, f_xy_jacobian(x), rtol=1e-11)
    forward, backward, kink = fd.one_sided(branchy, x)
    assert not forward.vectorised and not backward.vectorised and not kink.any()
    complex_step = fd.jacobian_complex_step(branchy, x)
    assert complex_step.succeeded and not complex_step.vectorised

    numpy_only = fd.jacobian_central(lambda x: np.sin(np.asarray(x)), np.array([0.5]))
    assert not numpy_only.vectorised
    assert_bounded(numpy_only, [[np.cos(0.5)]], rtol=1e-11)

    # The largest steps reach log(negative): NaN values, not NumPy warnings (errors here).
    numpy_log = fd.jacobian_central(lambda x: np.log(np.asarray(x)), np.array([0.01]))
    assert_bounded(numpy_log, [[100.0]], rtol=1e-8)

    def writes_numpy_array(x: jax.Array) -> np.ndarray:
        y = np.zeros(2)
        y[0] = x[0] ** 2
        y[1] = x[0] * x[1]
        return y

    written = fd.jacobian_central(writes_numpy_array, np.array([0.5, 2.0]))
    assert not written.vectorised
    assert_bounded(written, [[1.0, 0.0], [2.0, 0.5]], rtol=1e-11)


def test_errors_of_the_function_propagate() -> None:
    def diverges(x: jax.Array) -> jax.Array:
        raise ValueError("the model diverged")

    with pytest.raises(ValueError, match="diverged"):
        fd.jacobian_central(diverges, np.array([1.0]))

    def batched(points: np.ndarray) -> np.ndarray:
        raise RuntimeError("out of device memory")

    with pytest.raises(RuntimeError, match="out of device memory"):
        fd.jacobian_central(jnp.sin, np.array([1.0]), batched=batched)


def test_perturbed_points_are_evaluated_in_one_batched_call() -> None:
    calls: list[tuple[int, ...]] = []

    def counted(f: Callable[[jax.Array], jax.Array]) -> Callable[[np.ndarray], Any]:
        batch = jax.jit(jax.vmap(f))

        def run(points: np.ndarray) -> Any:
            calls.append(points.shape)
            return batch(points)

        return run

    x = np.array([1.3, -0.7])
    for compute in (fd.jacobian_central, fd.jacobian_complex_step, fd.one_sided):
        calls.clear()
        result = compute(f_xy, x, batched=counted(f_xy))
        assert len(calls) == 1 and calls[0][1] == 2 and calls[0][0] >= 2
        assert (result[0] if isinstance(result, tuple) else result).vectorised
    for compute in (fd.hessian_from_gradient, fd.hessian_second_difference):
        calls.clear()
        g = jax.grad(rosenbrock) if compute is fd.hessian_from_gradient else rosenbrock
        compute(g, x, batched=counted(g))
        assert len(calls) == 1
    calls.clear()
    fd.hvp_from_gradient(jax.grad(rosenbrock), x, [1.0, 2.0], batched=counted(jax.grad(rosenbrock)))
    assert len(calls) == 1

    # Without `batched`, the function itself is traced once, for the whole batch.
    traces = []

    def traced(x: jax.Array) -> jax.Array:
        traces.append(x.shape)
        return f_xy(x)

    fd.jacobian_central(traced, x)
    assert traces == [(2,)]


def test_complex_output() -> None:
    est = fd.jacobian_central(lambda x: jnp.exp(1j * x), np.array([0.4]))
    assert est.estimate.dtype == np.complex128 and est.error_estimate.dtype == np.float64
    assert abs(est.estimate[0, 0] - 1j * np.exp(0.4j)) <= est.error_estimate[0, 0] + 1e-15


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="flat vector"):
        fd.jacobian_central(jnp.sin, np.ones((2, 2)))
    with pytest.raises(ValueError, match="must be real"):
        fd.jacobian_central(jnp.sin, np.array([1j]))
    with pytest.raises(ValueError, match="scalar function"):
        fd.hessian_second_difference(jnp.sin, np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="shape of x"):
        fd.hvp_from_gradient(jnp.sin, np.array([1.0, 2.0]), np.array([1.0]))
    with pytest.raises(ValueError, match="gradient of 2 inputs"):
        fd.hessian_from_gradient(lambda x: jnp.sum(x) * jnp.ones(3), np.array([1.0, 2.0]))
    integer = fd.jacobian_central(lambda x: x**2, [3])
    assert integer.estimate.dtype == np.float64
    assert abs(integer.estimate[0, 0] - 6.0) <= integer.error_estimate[0, 0]


# Random smooth functions: expression trees over x0..x2 of sin, cos, exp, tanh and polynomials.
_UNARY = {"sin": jnp.sin, "cos": jnp.cos, "exp": jnp.exp, "tanh": jnp.tanh, "square": jnp.square}
_BINARY = {"add": jnp.add, "mul": jnp.multiply, "sub": jnp.subtract}

leaves = st.one_of(
    st.tuples(st.just("x"), st.integers(0, 2)),
    st.tuples(st.just("c"), st.floats(-3, 3, allow_nan=False).map(lambda c: round(c, 2))),
)
trees = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(sorted(_UNARY)), inner),
        st.tuples(st.sampled_from(sorted(_BINARY)), inner, inner),
    ),
    max_leaves=6,
)


def evaluate(tree: tuple[Any, ...], x: jax.Array) -> jax.Array:
    op = tree[0]
    if op == "x":
        return x[tree[1]]
    if op == "c":
        return jnp.asarray(tree[1], dtype=x.dtype)
    if op in _UNARY:
        return _UNARY[op](evaluate(tree[1], x))
    return _BINARY[op](evaluate(tree[1], x), evaluate(tree[2], x))


# The same examples every run (derandomize): a suite that passes passes again; new cases found
# by a wider search go in as @example rows or as tests of their own.
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    outputs=st.lists(trees, min_size=1, max_size=3),
    x=st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3),
)
@example(outputs=[("exp", ("mul", ("x", 0), ("c", 3.0)))], x=[1.5, 0.0, 0.0])
@example(outputs=[("tanh", ("mul", ("x", 1), ("c", 3.0)))], x=[0.0, 2.0, 0.0])
@example(outputs=[("sub", ("x", 0), ("sin", ("x", 0)))], x=[0.078125, 0.0, 0.0])  # cancels
def test_random_smooth_functions_agree_with_jacfwd(
    outputs: list[tuple[Any, ...]], x: list[float]
) -> None:
    def f(v: jax.Array) -> jax.Array:
        return jnp.stack([evaluate(tree, v) for tree in outputs])

    # Eager vmap: these functions are tiny, and compiling three of them per example would
    # dominate the test's time; the default jit path is exercised everywhere else.
    batched = jax.vmap(f)
    point = np.array(x)
    truth = np.asarray(jax.jacfwd(f)(jnp.asarray(point)))
    assume(np.all(np.isfinite(truth)) and np.abs(truth).max() < 1e8)
    value = np.abs(np.asarray(f(jnp.asarray(point))))[:, None]
    # AD (and the complex step) make rounding errors of their own: a few eps of the terms they
    # sum, which are of the order of the entries, the values, or 1 for these functions
    # (x - sin(x) at 0.08: the derivative 1 - cos(x) = 0.003 is a difference of terms near 1).
    slack = TINY + 64 * EPS * (np.abs(truth) + value + 1.0)

    central = fd.jacobian_central(f, point, batched=batched)
    assert np.all(np.abs(central.estimate - truth) <= central.error_estimate + slack)
    assert np.all(central.error_estimate <= 1e-8 * (np.abs(truth) + value) + 1e-12)
    complex_step = fd.jacobian_complex_step(f, point, batched=batched)
    assert complex_step.succeeded
    assert np.all(np.abs(complex_step.estimate - truth) <= complex_step.error_estimate + slack)
    forward, backward, kink = fd.one_sided(f, point, batched=batched)
    assert not kink.any()
    for side in (forward, backward):
        assert np.all(np.abs(side.estimate - truth) <= side.error_estimate + slack)


@pytest.mark.parametrize("x", [1e-10, 1e-300])
def test_steps_that_do_not_move_the_function_are_not_trusted(x):
    """cos(a) - cos(b) at a = 0, b = x: f is 0 and does not change at all over the steps of
    b's own scale, so those resolve nothing; the steps at scale 1 see f move, and are kept."""

    def f(v: jax.Array) -> jax.Array:
        return jnp.stack([jnp.cos(v[0]) - jnp.cos(v[1])])

    point = np.array([0.0, x])
    truth = np.asarray(jax.jacfwd(f)(jnp.asarray(point)))
    forward, backward, kink = fd.one_sided(f, point)
    for est in (fd.jacobian_central(f, point), forward, backward):
        assert np.all(np.abs(est.estimate - truth) <= est.error_estimate + TINY), est.method
    assert not kink.any()
    # At a = 0 cos(a) is flat: its central differences are exact zeros and stay trusted.
    assert fd.jacobian_central(f, point).error_estimate[0, 0] <= 1e-20


@pytest.mark.xfail(
    strict=True,
    reason="known limit: one-sided differences at steps of x's own scale, of a function that "
    "cancels internally (cos(a) - cos(b), both near 1, f near 0), can be quantised so evenly "
    "that the rounding model and the noise check both miss it",
)
def test_one_sided_differences_of_a_function_cancelling_internally_at_a_small_input():
    def f(v: jax.Array) -> jax.Array:
        return jnp.stack([jnp.cos(v[0]) - jnp.cos(v[2])])

    point = np.array([0.0, 0.0, 0.00390625])
    truth = np.asarray(jax.jacfwd(f)(jnp.asarray(point)))
    _, backward, _ = fd.one_sided(f, point)
    assert np.all(np.abs(backward.estimate - truth) <= backward.error_estimate + TINY)


@pytest.mark.parametrize("chunk_entries", [1 << 22, 6])
def test_moved_points_are_evaluated_alike_in_one_chunk_or_many(monkeypatch, chunk_entries):
    from jaccli._derivatives.fd import evaluation

    monkeypatch.setattr(evaluation, "CHUNK_ENTRIES", chunk_entries)  # 6 // 3 inputs: 2 a chunk
    x = np.array([0.5, 1.0, 2.0])
    columns, entries = np.array([0, 2, 1, 0, 2]), np.array([1.5, -1.0, 3.0, 0.25, 4.0])
    values, vectorised, _ = evaluation.evaluate_moves(
        lambda y: jnp.stack([y[0] * y[1], jnp.sin(y[2])]), x, columns, entries, None
    )
    points = np.tile(x, (5, 1))
    points[np.arange(5), columns] = entries
    expected = np.stack([points[:, 0] * points[:, 1], np.sin(points[:, 2])], axis=1)
    assert vectorised
    np.testing.assert_allclose(values, expected, rtol=1e-15)


@pytest.mark.parametrize(
    ("fn", "x"),
    [
        (lambda x: jnp.stack([x[0] ** 2 * x[1], jnp.sin(x[1]) / x[0]]), [1.5, -2.0]),
        (lambda x: jnp.abs(x) + jnp.maximum(x[0], x[1]), [0.0, 0.0]),  # kinks, confirmed
        (lambda x: jnp.log(x - 1.0), [1.0 + 1e-9, 3.0]),  # differences at the domain's edge
    ],
)
def test_central_and_one_sided_at_once_are_the_two_rules_alone(fn, x):
    central, (forward, backward, kink) = fd.central_and_one_sided(fn, x)
    alone = fd.jacobian_central(fn, x)
    forward_alone, backward_alone, kink_alone = fd.one_sided(fn, x)
    assert np.array_equal(kink, kink_alone)
    for together, apart in [(central, alone), (forward, forward_alone), (backward, backward_alone)]:
        np.testing.assert_allclose(together.estimate, apart.estimate, rtol=1e-12, atol=1e-300)
        np.testing.assert_allclose(together.error_estimate, apart.error_estimate, rtol=1e-9)
        assert together.note == apart.note
