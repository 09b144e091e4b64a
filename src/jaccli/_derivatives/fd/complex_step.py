"""The complex step: ``Im f(x + i h e_j) / h``, a Jacobian without subtraction.

Its error estimate is ``8 eps (|J_ij| + |f_i| / scale_j)`` plus the difference from a second step.
Whether ``fn`` is analytic cannot always be seen from its values (``abs(x) + x``, ``max`` and
comparisons are not, yet give consistent steps), so the caller decides that in the end, e.g. by
agreement with `jacobian_central`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import numpy.typing as npt

from .estimate import Estimate
from .evaluation import Batched, as_point, evaluate, quiet, rounding_eps
from .steps import input_scale


@quiet
def jacobian_complex_step(
    fn: Callable[[Any], Any], x: npt.ArrayLike, *, batched: Batched | None = None
) -> Estimate:
    """The Jacobian ``(m, n)`` by the complex step ``Im f(x + i h e_j) / h``.

    No function values are subtracted, so the result is accurate to a few ``eps`` wherever
    ``fn`` is real-analytic at ``x`` and accepts complex input. The step is
    ``1e-20 * max(|x_j|, 1)`` (``eps**2`` instead where larger, for low precision); a second
    step ``1.5 h`` checks the first, and their difference joins the error estimate.
    ``succeeded`` is False when ``fn`` raised on complex input, returned a real output (the
    imaginary part was discarded) or non-finite values, is not real at ``x`` itself (``log`` or
    ``sqrt`` of a negative number), or gave the two steps different derivatives (a branch
    point, as ``sqrt`` at 0).

    Args:
        fn: a real-valued function of a flat vector ``(n,)``, called with complex input.
        x: the point, a flat real vector ``(n,)``.
        batched: optional ``(k, n) -> (k, ...)`` evaluation, called exactly once.

    Returns:
        an `Estimate` with method ``complex_step``; when ``succeeded`` is False its estimate is
        NaN (an empty ``(0, n)`` array when ``fn`` raised) and ``note`` says why.

    >>> import jax.numpy as jnp
    >>> est = jacobian_complex_step(lambda x: jnp.exp(x[0]) * x[1], [0.0, 3.0])
    >>> est.succeeded, est.estimate.tolist()
    (True, [[3.0, 1.0]])
    """
    x = as_point(x)
    n = x.size
    scale = input_scale(x)
    step = max(1e-20, float(np.finfo(x.dtype).eps) ** 2) * scale
    try:
        with _complex_casts_raise():
            values, vectorised, note = evaluate(fn, _complex_points(x, step), batched)
    except Exception as error:  # any failure on complex input makes the method unavailable
        note = f"the function failed on complex input: {type(error).__name__}: {error}"
        return _failed(step, note, 0, True)
    m = values.shape[1]
    eps = rounding_eps(x, values)
    refusal = _refusal(values, eps)
    if refusal:
        return _failed(step, refusal, m, vectorised)
    f_x = values[0]
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
        note = "the two complex steps disagree: the function is not analytic at x"
        return _failed(step, note, m, vectorised)
    return Estimate(
        estimate=estimate.astype(np.float64),
        error_estimate=8.0 * eps * magnitude + disagreement,
        step=np.broadcast_to(step, (m, n)).copy(),
        method="complex_step",
        vectorised=vectorised,
        note=note,
    )


def _complex_points(x: np.ndarray, step: np.ndarray) -> np.ndarray:
    """``(1 + 2n, n)``: x itself, then x + i h e_j, then x + 1.5 i h e_j.

    1.5 changes the rounding, unlike 2.
    """
    n = x.size
    points = np.tile(x.astype(np.result_type(x.dtype, np.complex64)), (1 + 2 * n, 1))
    diag = np.arange(n)
    points[1 + diag, diag] += 1j * step
    points[1 + n + diag, diag] += 1.5j * step
    return points


def _refusal(values: np.ndarray, eps: float) -> str:
    """Why the values at the complex points cannot give a derivative; empty when they can."""
    if not np.iscomplexobj(values):
        return "the function returned a real value for complex input"
    if not np.all(np.isfinite(values)):
        return "the function returned non-finite values near x"
    f_x = values[0]
    if np.any(np.abs(f_x.imag) > 8.0 * eps * np.abs(f_x.real)):
        return "the function is not real at x (its value there has an imaginary part)"
    return ""


def _failed(step: np.ndarray, note: str, m: int, vectorised: bool) -> Estimate:
    """The complex step's `Estimate` when it cannot be applied: NaN ``(m, n)``, with why."""
    nan = np.full((m, step.size), np.nan)
    steps = np.broadcast_to(step, (m, step.size))
    return Estimate(nan, nan, steps, "complex_step", vectorised, succeeded=False, note=note)


@contextmanager
def _complex_casts_raise() -> Iterator[None]:
    """Make a cast from complex to real, which drops the imaginary part, an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", np.exceptions.ComplexWarning)
        warnings.filterwarnings("error", message=r".*(complex to real|imaginary part)")
        yield
