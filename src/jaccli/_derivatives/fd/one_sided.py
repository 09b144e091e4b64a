"""Forward and backward differences with Richardson extrapolation: left and right derivatives,
and the kinks where they differ."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from .estimate import Estimate
from .evaluation import Batched, as_point, evaluate, quiet, rounding_eps, spread
from .richardson import richardson
from .steps import NUM_STEPS, axis_offsets, axis_points, chosen_step, input_scale, relative_steps


@quiet
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

    >>> import jax.numpy as jnp
    >>> forward, backward, kink = one_sided(lambda x: jnp.abs(x), [0.0, 2.0])
    >>> np.round(forward.estimate, 9).tolist(), np.round(backward.estimate, 9).tolist()
    ([[1.0, 0.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, 1.0]])
    >>> kink.tolist()
    [[True, False], [False, False]]
    """
    x = as_point(x)
    n = x.size
    steps = relative_steps(x.dtype, 3)[:, None] * input_scale(x)
    plus, minus = axis_points(x, steps), axis_points(x, -steps)
    points = np.concatenate([x[None], plus.reshape(-1, n), minus.reshape(-1, n)])
    values, vectorised, note = evaluate(fn, points, batched)
    f_0 = values[0]
    f_plus, f_minus = values[1:].reshape(2, NUM_STEPS, n, -1)
    eps = rounding_eps(x, values)
    span = (axis_offsets(plus, x) - axis_offsets(minus, x))[..., None]
    rounding = eps * (np.abs(f_plus) + np.abs(f_minus)) / span
    central, _, _ = richardson((f_plus - f_minus) / span, rounding, (2, 4), eps)
    spread_f = spread(central, x)
    results = []
    for method, f_side, offsets, sign in (
        ("forward", f_plus, axis_offsets(plus, x), 1.0),
        ("backward", f_minus, -axis_offsets(minus, x), -1.0),
    ):
        offsets = offsets[..., None]
        quotient = sign * (f_side - f_0) / offsets
        rounding = eps * (np.abs(f_side) + np.abs(f_0) + 2.0 * spread_f) / offsets
        estimate, error, index = richardson(quotient, rounding, (1, 2), eps)
        step = chosen_step(steps, index).T
        results.append(Estimate(estimate.T, error.T, step, method, vectorised, note=note))
    forward, backward = results
    gap = np.abs(forward.estimate - backward.estimate)
    allowed = 2.0 * (forward.error_estimate + backward.error_estimate) + np.sqrt(eps) * (
        np.abs(forward.estimate) + np.abs(backward.estimate)
    )
    return forward, backward, gap > allowed
