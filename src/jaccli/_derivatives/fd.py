"""Finite-difference derivatives with error estimates: the reference that `check` compares AD with.

Every function here takes ``fn``, a function of one flat real vector ``x`` of shape ``(n,)``
returning an array of ``m`` values (any shape; it is flattened), and returns an `Estimate`: the
derivative, an error estimate for every entry, and how it was computed. The caller turns pytrees,
several arguments and complex inputs into that flat form.

The schemes are those of numdifftools (central and one-sided differences at a geometric sequence
of steps, Richardson extrapolation, the complex step), but numdifftools evaluates the function
point by point in a Python loop and is not a dependency. Here the perturbed points are built as
one ``(k, n)`` matrix and evaluated in a single call of ``jax.jit(jax.vmap(fn))``, which runs on
any device JAX runs on. A function that cannot be traced (Python control flow on values,
conversion to NumPy, a traced value written into a NumPy array) is evaluated point by point
instead, and the result says so.

Steps. Input ``j`` has the scale ``max(|x_j|, 1)``. Each scheme uses 12 steps per input,
``h_s = scale_j * h_0 * 2**-s``, around the step that balances rounding (``eps |f| / h^d`` for
a d-th derivative) against the truncation of the Richardson level below the last, with ``eps``
that of the input dtype. A sliding window of three consecutive steps is extrapolated twice; for
each entry the window with the smallest error estimate wins.

Error estimates. For a window: the difference between its last two Richardson levels, plus the
difference from the neighbouring window, plus twice a rounding bound carried through the
extrapolation's coefficients, plus ``4 eps |estimate|``. The rounding bound takes each value
``f_i`` to be computed to ``eps (|f_i| + sum_j |J_ij x_j|)``: the second term, from a first pass,
is what rounding the inputs alone does, and dominates for values that are small sums of large
terms (``A @ x``, residuals). Where the smallest steps still show more noise than that
(``x - sin(x)`` cancels internally), the bound is scaled up to match. The result is a
deliberately pessimistic estimate for smooth functions, not a proof; typical estimates are
``1e-13`` to ``1e-10`` relative at float64, and 10 to 100 times the actual error. The complex
step's error estimate is ``8 eps (|J_ij| + |f_i| / scale_j)`` plus the difference from a
second step.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
import numpy.typing as npt

# float64 is the default everywhere; this must run before any array exists.
jax.config.update("jax_enable_x64", True)

Batched = Callable[[np.ndarray], Any]
_F = TypeVar("_F", bound=Callable[..., Any])

_NUM_STEPS = 12
_BALANCE_INDEX = 5  # where the balancing step sits in the sequence of steps
_MAX_RELATIVE_STEP = 0.5


def _quiet(function: _F) -> _F:
    """Run ``function`` without NumPy's floating-point warnings.

    Differences probe points where the function may be undefined (a large step past a
    singularity or out of the domain); those show as NaN or inf in the values, which the
    estimates handle, and must not become warnings, or errors where warnings are errors.
    """

    @functools.wraps(function)
    def quiet(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)

    return quiet  # type: ignore[return-value]


@dataclass(frozen=True)
class Estimate:
    """A finite-difference derivative with an error estimate for every entry.

    Attributes:
        estimate: the derivative: ``(m, n)`` for a Jacobian, ``(n, n)`` for a Hessian, ``(n,)``
            for a Hessian-vector product; float64, or complex128 for a complex output.
        error_estimate: an estimate of ``|estimate - truth|``, float64, same shape; ``inf``
            where no step gave a finite value.
        step: the step behind each entry, same shape (for Richardson, the largest step of the
            chosen window; the others are ``step/2`` and ``step/4``; for ``hvp_from_gradient``
            the multiple ``t`` of ``v`` in ``x ± t v``).
        method: ``central_richardson``, ``forward``, ``backward``, ``complex_step`` or
            ``second_difference_richardson``.
        vectorised: True when all evaluations ran as one batched call; False when the function
            could not be traced and was evaluated point by point.
        succeeded: False when the method could not be applied (a complex step on a function
            that rejects complex input, returns a real output or non-finite values); ``note``
            says why.
        note: why evaluation fell back to a loop or failed; empty otherwise.
    """

    estimate: np.ndarray
    error_estimate: np.ndarray
    step: np.ndarray
    method: str
    vectorised: bool
    succeeded: bool = True
    note: str = ""


@_quiet
def jacobian_central(
    fn: Callable[[Any], Any], x: npt.ArrayLike, *, batched: Batched | None = None
) -> Estimate:
    """The Jacobian ``(m, n)`` by central differences with Richardson extrapolation.

    Args:
        fn: a function of a flat real vector ``(n,)``, JAX-traceable where possible.
        x: the point, a flat real vector ``(n,)``; its dtype sets the steps.
        batched: optional ``(k, n) -> (k, ...)`` evaluation of ``fn`` on many points at once;
            defaults to ``jax.jit(jax.vmap(fn))``, with a loop of eager calls of ``fn`` when
            that cannot be traced. It is called exactly once, and its errors propagate.

    Returns:
        an `Estimate` with method ``central_richardson``.

    >>> est = jacobian_central(lambda x: jnp.stack([x[0] ** 2 * x[1], jnp.sin(x[0])]), [1.0, 2.0])
    >>> np.round(est.estimate, 9).tolist()
    [[4.0, 1.0], [0.540302306, 0.0]]
    >>> bool(np.all(est.error_estimate < 1e-9))
    True
    """
    x = _as_point(x)
    n = x.size
    steps = _relative_steps(x.dtype, 5)[:, None] * _scale(x)
    plus, minus = _axis_points(x, steps), _axis_points(x, -steps)
    values, vectorised, note = _evaluate(fn, np.concatenate([plus, minus]).reshape(-1, n), batched)
    f_plus, f_minus = values.reshape(2, _NUM_STEPS, n, -1)
    span = (_axis_offsets(plus, x) - _axis_offsets(minus, x))[..., None]
    eps = _eps(x, values)
    quotient = (f_plus - f_minus) / span
    magnitude = np.abs(f_plus) + np.abs(f_minus)
    first, _, _ = _richardson(quotient, eps * magnitude / span, (2, 4), eps)
    magnitude = magnitude + 2.0 * _spread(first, x)
    estimate, error, index = _richardson(quotient, eps * magnitude / span, (2, 4), eps)
    return Estimate(
        estimate=estimate.T,
        error_estimate=error.T,
        step=_chosen_step(steps, index).T,
        method="central_richardson",
        vectorised=vectorised,
        note=note,
    )


@_quiet
def jacobian_complex_step(
    fn: Callable[[Any], Any], x: npt.ArrayLike, *, batched: Batched | None = None
) -> Estimate:
    """The Jacobian ``(m, n)`` by the complex step ``Im f(x + i h e_j) / h``.

    No function values are subtracted, so the result is accurate to a few ``eps`` wherever
    ``fn`` is real-analytic at ``x`` and accepts complex input. The step is
    ``1e-20 * max(|x_j|, 1)`` (``eps**2`` instead where larger, for low precision); a second
    step ``1.5 h`` checks the first, and their difference joins the error estimate. Whether
    ``fn`` is analytic cannot always be seen from its values (``abs(x) + x``, ``max`` and
    comparisons are not, yet give consistent steps), so the caller decides that in the end,
    e.g. by agreement with `jacobian_central`. Here ``succeeded`` is False when ``fn`` raised on
    complex input, returned a real output (the imaginary part was discarded) or non-finite
    values, is not real at ``x`` itself (``log`` or ``sqrt`` of a negative number), or gave
    the two steps different derivatives (a branch point, as ``sqrt`` at 0).

    Args:
        fn: a real-valued function of a flat vector ``(n,)``, called with complex input.
        x: the point, a flat real vector ``(n,)``.
        batched: optional ``(k, n) -> (k, ...)`` evaluation, called exactly once.

    Returns:
        an `Estimate` with method ``complex_step``; when ``succeeded`` is False its estimate is
        NaN (an empty ``(0, n)`` array when ``fn`` raised) and ``note`` says why.

    >>> est = jacobian_complex_step(lambda x: jnp.exp(x[0]) * x[1], [0.0, 3.0])
    >>> est.succeeded, est.estimate.tolist()
    (True, [[3.0, 1.0]])
    """
    x = _as_point(x)
    n = x.size
    scale = _scale(x)
    step = max(1e-20, float(np.finfo(x.dtype).eps) ** 2) * scale
    # x itself, then x + i h e_j, then x + 1.5 i h e_j: 1.5 changes the rounding, unlike 2.
    points = np.tile(x.astype(np.result_type(x.dtype, np.complex64)), (1 + 2 * n, 1))
    diag = np.arange(n)
    points[1 + diag, diag] += 1j * step
    points[1 + n + diag, diag] += 1.5j * step

    def failed(note: str, m: int = 0, vectorised: bool = True) -> Estimate:
        nan = np.full((m, n), np.nan)
        return Estimate(
            nan, nan, np.broadcast_to(step, (m, n)), "complex_step", vectorised, False, note
        )

    try:
        with _complex_casts_raise():
            values, vectorised, note = _evaluate(fn, points, batched)
    except Exception as error:  # any failure on complex input makes the method unavailable
        return failed(f"the function failed on complex input: {type(error).__name__}: {error}")
    m = values.shape[1]
    if not np.iscomplexobj(values):
        return failed("the function returned a real value for complex input", m, vectorised)
    if not np.all(np.isfinite(values)):
        return failed("the function returned non-finite values near x", m, vectorised)
    eps = _eps(x, values)
    f_x = values[0]
    if np.any(np.abs(f_x.imag) > 8.0 * eps * np.abs(f_x.real)):
        return failed(
            "the function is not real at x (its value there has an imaginary part)", m, vectorised
        )
    estimate = np.imag(values[1 : 1 + n]).T / step
    check = np.imag(values[1 + n :]).T / (1.5 * step)
    # Without cancellation the imaginary part is accurate to a few eps of itself; complex
    # arithmetic can cancel (Im(a/b), Im(a b)) among terms as large as |f| / scale, and the
    # second step's different rounding shows some of that.
    magnitude = np.abs(estimate) + np.abs(f_x.real)[:, None] / scale
    disagreement = np.abs(estimate - check)
    # Beside the relative test, an absolute floor far below any derivative that matters: the
    # steps' truncation, O(h**2), is all that separates them where the derivative is 0 (x**3
    # at 0).
    if np.any(disagreement > 8.0 * np.sqrt(eps) * (magnitude + step / scale)):
        return failed(
            "the two complex steps disagree: the function is not analytic at x", m, vectorised
        )
    return Estimate(
        estimate=estimate.astype(np.float64),
        error_estimate=8.0 * eps * magnitude + disagreement,
        step=np.broadcast_to(step, (m, n)).copy(),
        method="complex_step",
        vectorised=vectorised,
        note=note,
    )


@_quiet
def one_sided(
    fn: Callable[[Any], Any], x: npt.ArrayLike, *, batched: Batched | None = None
) -> tuple[Estimate, Estimate, np.ndarray]:
    """Forward and backward Jacobians with Richardson extrapolation, and where they disagree.

    A kink (``|x|`` or ReLU at 0, a tie in ``max``) shows as left and right derivatives that
    differ by more than their error estimates allow (and by more than ``sqrt(eps)`` relative).

    Args:
        fn: a function of a flat real vector ``(n,)``.
        x: the point, a flat real vector ``(n,)``.
        batched: optional ``(k, n) -> (k, ...)`` evaluation, called exactly once.

    Returns:
        the forward `Estimate`, the backward `Estimate` (each ``(m, n)``) and a boolean
        ``(m, n)`` mask, True where entry ``(i, j)`` is not differentiable at ``x``.

    >>> forward, backward, kink = one_sided(lambda x: jnp.abs(x), [0.0, 2.0])
    >>> np.round(forward.estimate, 9).tolist(), np.round(backward.estimate, 9).tolist()
    ([[1.0, 0.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]])
    >>> kink.tolist()
    [[True, False], [False, False]]
    """
    x = _as_point(x)
    n = x.size
    steps = _relative_steps(x.dtype, 3)[:, None] * _scale(x)
    plus, minus = _axis_points(x, steps), _axis_points(x, -steps)
    points = np.concatenate([x[None], plus.reshape(-1, n), minus.reshape(-1, n)])
    values, vectorised, note = _evaluate(fn, points, batched)
    f_0 = values[0]
    f_plus, f_minus = values[1:].reshape(2, _NUM_STEPS, n, -1)
    eps = _eps(x, values)
    span = (_axis_offsets(plus, x) - _axis_offsets(minus, x))[..., None]
    rounding = eps * (np.abs(f_plus) + np.abs(f_minus)) / span
    central, _, _ = _richardson((f_plus - f_minus) / span, rounding, (2, 4), eps)
    spread = _spread(central, x)
    results = []
    for method, f_side, offsets, sign in (
        ("forward", f_plus, _axis_offsets(plus, x), 1.0),
        ("backward", f_minus, -_axis_offsets(minus, x), -1.0),
    ):
        offsets = offsets[..., None]
        quotient = sign * (f_side - f_0) / offsets
        rounding = eps * (np.abs(f_side) + np.abs(f_0) + 2.0 * spread) / offsets
        estimate, error, index = _richardson(quotient, rounding, (1, 2), eps)
        step = _chosen_step(steps, index).T
        results.append(Estimate(estimate.T, error.T, step, method, vectorised, note=note))
    forward, backward = results
    gap = np.abs(forward.estimate - backward.estimate)
    allowed = 2.0 * (forward.error_estimate + backward.error_estimate) + np.sqrt(eps) * (
        np.abs(forward.estimate) + np.abs(backward.estimate)
    )
    return forward, backward, gap > allowed


@_quiet
def hessian_from_gradient(
    grad_fn: Callable[[Any], Any], x: npt.ArrayLike, *, batched: Batched | None = None
) -> Estimate:
    """The Hessian ``(n, n)`` as the central-difference Jacobian of a gradient function.

    Row ``i`` is ``d grad_i / dx``. The result is not symmetrised, so that an asymmetric
    gradient (a wrong custom derivative rule) stays visible.

    Args:
        grad_fn: the gradient, a function ``(n,) -> (n,)`` (typically from AD).
        x: the point, a flat real vector ``(n,)``.
        batched: optional ``(k, n) -> (k, n)`` evaluation, called exactly once.

    Returns:
        an `Estimate` with method ``central_richardson``.

    >>> est = hessian_from_gradient(lambda x: jnp.stack([2 * x[0] * x[1], x[0] ** 2]), [1.0, 3.0])
    >>> np.round(est.estimate, 9).tolist()
    [[6.0, 2.0], [2.0, 0.0]]
    """
    x = _as_point(x)
    hessian = jacobian_central(grad_fn, x, batched=batched)
    if hessian.estimate.shape != (x.size, x.size):
        raise ValueError(
            f"a gradient of {x.size} inputs has {x.size} values, "
            f"but grad_fn returned {hessian.estimate.shape[0]}"
        )
    return hessian


@_quiet
def hvp_from_gradient(
    grad_fn: Callable[[Any], Any],
    x: npt.ArrayLike,
    v: npt.ArrayLike,
    *,
    batched: Batched | None = None,
) -> Estimate:
    """The Hessian-vector product ``H v`` ``(n,)`` as a central difference of the gradient along v.

    ``d/dt grad(x + t v)`` at ``t = 0``, with Richardson extrapolation; ``t`` is scaled so that
    no input moves by more than its own step would in `jacobian_central`.

    Args:
        grad_fn: the gradient, a function ``(n,) -> (n,)``.
        x: the point, a flat real vector ``(n,)``.
        v: the direction, ``(n,)``.
        batched: optional ``(k, n) -> (k, n)`` evaluation, called exactly once.

    Returns:
        an `Estimate` of shape ``(n,)`` with method ``central_richardson``.

    >>> grad = lambda x: jnp.stack([2 * x[0] * x[1], x[0] ** 2])
    >>> est = hvp_from_gradient(grad, [1.0, 3.0], [1.0, 1.0])
    >>> np.round(est.estimate, 9).tolist()
    [8.0, 2.0]
    """
    x = _as_point(x)
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if v.shape != x.shape:
        raise ValueError(f"v must have the shape of x, {x.shape}, but has shape {v.shape}")
    scale = _scale(x)
    moving = v != 0
    # The input that moves most relative to its scale fixes t, and serves to measure the step
    # actually taken after rounding x + t v to the dtype.
    k = int(np.argmax(np.abs(v) / scale))
    t_unit = float(np.min(scale[moving] / np.abs(v[moving]))) if moving.any() else 1.0
    t = _relative_steps(x.dtype, 5) * t_unit
    plus = (x + t[:, None] * v).astype(x.dtype)
    minus = (x - t[:, None] * v).astype(x.dtype)
    values, vectorised, note = _evaluate(grad_fn, np.concatenate([plus, minus]), batched)
    f_plus, f_minus = values.reshape(2, _NUM_STEPS, -1)
    if moving.any():
        span = (plus[:, k].astype(np.float64) - minus[:, k].astype(np.float64)) / v[k]
    else:
        span = 2.0 * t
    eps = _eps(x, values)
    quotient = (f_plus - f_minus) / span[:, None]
    rounding = eps * (np.abs(f_plus) + np.abs(f_minus)) / span[:, None]
    estimate, error, index = _richardson(quotient, rounding, (2, 4), eps)
    return Estimate(estimate, error, t[index], "central_richardson", vectorised, note=note)


@_quiet
def hessian_second_difference(
    fn: Callable[[Any], Any], x: npt.ArrayLike, *, batched: Batched | None = None
) -> Estimate:
    """The Hessian ``(n, n)`` of a scalar function by second differences, without a gradient.

    Diagonal entries use ``f(x + h e_j) - 2 f(x) + f(x - h e_j)``, off-diagonal ones the
    four-point mixed difference; both with Richardson extrapolation. Costs ``O(n^2)``
    evaluations (``2 n (n + 1)`` per step), all in one batched call; symmetric by construction.

    Args:
        fn: a scalar function of a flat real vector ``(n,)``.
        x: the point, a flat real vector ``(n,)``.
        batched: optional ``(k, n) -> (k,)`` evaluation, called exactly once.

    Returns:
        an `Estimate` with method ``second_difference_richardson``; ``step[j, k]`` is the step
        in ``x_j``.

    >>> est = hessian_second_difference(lambda x: x[0] ** 2 * x[1] + jnp.exp(x[1]), [1.0, 0.0])
    >>> np.round(est.estimate, 7).tolist()
    [[0.0, 2.0], [2.0, 1.0]]
    """
    x = _as_point(x)
    n = x.size
    steps = _relative_steps(x.dtype, 6)[:, None] * _scale(x)
    plus, minus = _axis_points(x, steps), _axis_points(x, -steps)
    rows, cols = np.triu_indices(n, 1)
    corners = np.stack(  # (S, pairs, 4, n): (+,+), (+,-), (-,+), (-,-) in (x_j, x_k)
        [
            _pair_points(x, steps, rows, cols, sj, sk)
            for sj, sk in ((1, 1), (1, -1), (-1, 1), (-1, -1))
        ],
        axis=2,
    )
    points = np.concatenate(
        [x[None], plus.reshape(-1, n), minus.reshape(-1, n), corners.reshape(-1, n)]
    )
    values, vectorised, note = _evaluate(fn, points, batched)
    if values.shape[1] != 1:
        raise ValueError(
            f"a Hessian by second differences needs a scalar function, "
            f"but fn returned {values.shape[1]} values"
        )
    values = values[:, 0]
    eps = _eps(x, values)

    def split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Values at x, at x + h e_j ``(S, n)``, at x - h e_j, at the corners ``(S, pairs, 4)``."""
        axis = a[1 : 1 + 2 * _NUM_STEPS * n].reshape(2, _NUM_STEPS, n)
        return a[0], axis[0], axis[1], a[1 + 2 * _NUM_STEPS * n :].reshape(_NUM_STEPS, -1, 4)

    f_0, f_plus, f_minus, f_corner = split(values)
    a, b = _axis_offsets(plus, x), -_axis_offsets(minus, x)  # (S, n), both positive
    # The rounding of f, as in `jacobian_central`: eps of |f| and of sum_j |g_j x_j|, with the
    # gradient g from a plain central difference at the balancing step.
    gradient = (f_plus - f_minus)[_BALANCE_INDEX] / (a + b)[_BALANCE_INDEX]
    noise_0, noise_plus, noise_minus, noise_corner = split(
        eps * (np.abs(values) + _spread(gradient[:, None], x)[0])
    )

    weights = (2.0 / (a * (a + b)), -2.0 / (a * b), 2.0 / (b * (a + b)))
    diagonal = weights[0] * f_plus + weights[1] * f_0 + weights[2] * f_minus
    diagonal_rounding = weights[0] * noise_plus - weights[1] * noise_0 + weights[2] * noise_minus
    span = (a + b)[:, rows] * (a + b)[:, cols]
    signs = np.array([1.0, -1.0, -1.0, 1.0])
    mixed = (f_corner @ signs) / span
    mixed_rounding = noise_corner.sum(axis=-1) / span

    quotient = np.zeros((_NUM_STEPS, n, n), dtype=np.result_type(values, np.float64))
    rounding = np.zeros((_NUM_STEPS, n, n))
    diag = np.arange(n)
    quotient[:, diag, diag], rounding[:, diag, diag] = diagonal, diagonal_rounding
    for r, c in ((rows, cols), (cols, rows)):
        quotient[:, r, c], rounding[:, r, c] = mixed, mixed_rounding
    estimate, error, index = _richardson(quotient, rounding, (2, 4), eps)
    step = np.take_along_axis(np.broadcast_to(steps[:, :, None], quotient.shape), index[None], 0)[0]
    return Estimate(estimate, error, step, "second_difference_richardson", vectorised, note=note)


def _as_point(x: npt.ArrayLike) -> np.ndarray:
    x = np.atleast_1d(np.asarray(x))
    if x.ndim != 1:
        raise ValueError(f"x must be a flat vector (n,), but has shape {x.shape}")
    if np.iscomplexobj(x):
        raise ValueError(
            f"x must be real, but has dtype {x.dtype}; split it into real and imaginary parts"
        )
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


def _scale(x: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(x.astype(np.float64)), 1.0)


def _relative_steps(dtype: np.dtype, q: int) -> np.ndarray:
    """The 12 relative steps h_0 * 2**-s, with eps**(1/q) (the balancing step) at index 5."""
    balance = float(np.finfo(dtype).eps) ** (1.0 / q)
    largest = min(balance * 2.0**_BALANCE_INDEX, _MAX_RELATIVE_STEP)
    return largest * 0.5 ** np.arange(_NUM_STEPS)


def _axis_points(x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """``(S, n, n)``: row ``[s, j]`` is x with ``x_j + steps[s, j]``, rounded to x's dtype."""
    n = x.size
    points = np.tile(x, (steps.shape[0], n, 1))
    diag = np.arange(n)
    points[:, diag, diag] = (x.astype(np.float64) + steps).astype(x.dtype)
    return points


def _axis_offsets(points: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The step actually taken in each `_axis_points` row, after rounding: exact, in float64."""
    diag = np.arange(x.size)
    return points[:, diag, diag].astype(np.float64) - x.astype(np.float64)


def _pair_points(
    x: np.ndarray, steps: np.ndarray, rows: np.ndarray, cols: np.ndarray, sj: int, sk: int
) -> np.ndarray:
    """``(S, pairs, n)``: x with ``x_j + sj h_j`` and ``x_k + sk h_k`` for each pair (j, k)."""
    points = np.tile(x, (steps.shape[0], rows.size, 1))
    pair = np.arange(rows.size)
    x64 = x.astype(np.float64)
    points[:, pair, rows] = (x64[rows] + sj * steps[:, rows]).astype(x.dtype)
    points[:, pair, cols] = (x64[cols] + sk * steps[:, cols]).astype(x.dtype)
    return points


def _evaluate(
    fn: Callable[[Any], Any], points: np.ndarray, batched: Batched | None
) -> tuple[np.ndarray, bool, str]:
    """``fn`` at every row of ``points`` in one batched call: values ``(k, m)``, float64 or
    complex128, whether it was vectorised, and a note when it was not."""
    k = points.shape[0]
    vectorised, note = True, ""
    if batched is not None:
        values = batched(points)
    else:
        try:
            values = jax.jit(jax.vmap(fn))(points)
        except Exception as error:
            # Tracing fails on Python control flow on values (`if x[0] > 0`), conversion to
            # NumPy, or a traced value written into a NumPy array; each point still runs
            # eagerly. A function that fails for another reason fails again at its first
            # eager call, and that error propagates.
            values = np.stack([np.ravel(fn(jnp.asarray(p))) for p in points])
            vectorised = False
            cause = (str(error).strip().splitlines() or [""])[0][:120]
            note = (
                f"the function could not be traced ({type(error).__name__}: {cause}), "
                f"so its {k} evaluations ran one by one"
            )
    values = np.asarray(values).reshape(k, -1)
    return values.astype(np.result_type(values.dtype, np.float64)), vectorised, note


def _eps(x: np.ndarray, values: np.ndarray) -> float:
    """Relative rounding of the function's values: the coarser of input and output precision."""
    eps = np.finfo(x.dtype).eps
    if np.issubdtype(values.dtype, np.inexact):
        eps = max(eps, np.finfo(values.dtype).eps)
    return float(eps)


def _richardson(
    quotient: np.ndarray, rounding: np.ndarray, orders: tuple[int, ...], eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Richardson extrapolation over steps ``h, h/2, h/4, ...`` (axis 0), best window per entry.

    ``quotient[s]`` is a difference quotient at step ``h * 2**-s`` whose error is a series in
    ``h**orders[0], h**orders[1], ...``; ``rounding[s]`` bounds its rounding error. Each level
    removes one term. Returns the estimate, its error estimate and the chosen window's index
    (its largest step), each of the entries' shape.
    """
    levels, bounds = [quotient], [rounding]
    for order in orders:
        c = 1.0 / (2.0**order - 1.0)
        q, r = levels[-1], bounds[-1]
        levels.append(q[1:] + c * (q[1:] - q[:-1]))
        bounds.append((1.0 + c) * r[1:] + c * r[:-1])
    best = levels[-1]
    below = levels[-2][1:]
    # Agreement with the previous level alone can be a coincidence at a large step; agreement
    # with the neighbouring window as well rarely is.
    neighbour = np.concatenate([best[1:2], best[:-1]])
    truncation = np.abs(best - below) + np.abs(best - neighbour) + 4.0 * eps * np.abs(best)

    def select(noise: np.ndarray | float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        error = truncation + 2.0 * noise * bounds[-1]
        error = np.where(np.isfinite(error), error, np.inf)
        index = np.argmin(error, axis=0)[None]
        chosen = np.take_along_axis(best, index, axis=0)[0]
        return chosen, np.take_along_axis(error, index, axis=0)[0], index[0]

    # The rounding model can still be too small: where f cancels internally (x - sin x) its
    # values are noisier, and the noise can be correlated from step to step. At the smallest
    # steps the first extrapolated level is noise alone: its distance from a first estimate
    # says how much noisier; scale the model by that.
    first, _, _ = select(1.0)
    distance = np.abs(levels[1][-3:] - first).max(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        noise = np.maximum(distance / bounds[1][-1], 1.0)
    return select(np.where(np.isfinite(noise), noise, 1.0))


def _spread(jacobian: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``sum_j |J_ij x_j|`` for a Jacobian laid out ``(n, m)``: ``(m,)``.

    Rounding each x_j to the dtype moves f_i by about eps times this; a value computed as a
    sum (``A @ x``) carries at least that much rounding however small the sum, so the rounding
    model uses it beside ``|f|``.
    """
    finite = np.where(np.isfinite(jacobian), np.abs(jacobian), 0.0)
    return (finite * np.abs(x.astype(np.float64))[:, None]).sum(axis=0)


def _chosen_step(steps: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The step ``steps[index[j, i], j]`` for each input j and output i: ``(n, m)``."""
    return steps[index, np.arange(steps.shape[1])[:, None]]


@contextmanager
def _complex_casts_raise() -> Iterator[None]:
    """Make a cast from complex to real, which drops the imaginary part, an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        warnings.filterwarnings("error", message=r".*(complex to real|imaginary part)")
        yield
