"""Second differences with Richardson extrapolation: the Hessian of a scalar function, no gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from .estimate import Estimate
from .evaluation import Batched, as_point, evaluate, quiet, rounding_eps, spread
from .richardson import richardson
from .steps import (
    BALANCE_INDEX,
    NUM_STEPS,
    axis_offsets,
    axis_points,
    input_scale,
    pair_points,
    relative_steps,
)

Parts = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@quiet
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

    >>> import jax.numpy as jnp
    >>> est = hessian_second_difference(lambda x: x[0] ** 2 * x[1] + jnp.exp(x[1]), [1.0, 0.0])
    >>> np.round(est.estimate, 7).tolist()
    [[0.0, 2.0], [2.0, 1.0]]
    """
    x = as_point(x)
    n = x.size
    steps = relative_steps(x.dtype, 6)[:, None] * input_scale(x)
    plus, minus = axis_points(x, steps), axis_points(x, -steps)
    rows, cols = np.triu_indices(n, 1)
    corners = np.stack(  # (S, pairs, 4, n): (+,+), (+,-), (-,+), (-,-) in (x_j, x_k)
        [
            pair_points(x, steps, rows, cols, sj, sk)
            for sj, sk in ((1, 1), (1, -1), (-1, 1), (-1, -1))
        ],
        axis=2,
    )
    points = np.concatenate(
        [x[None], plus.reshape(-1, n), minus.reshape(-1, n), corners.reshape(-1, n)]
    )
    values, vectorised, note = evaluate(fn, points, batched)
    if values.shape[1] != 1:
        raise ValueError(
            f"a Hessian by second differences needs a scalar function, "
            f"but fn returned {values.shape[1]} values"
        )
    values = values[:, 0]
    eps = rounding_eps(x, values)
    f = _split(values, n)
    a, b = axis_offsets(plus, x), -axis_offsets(minus, x)  # (S, n), both positive
    # The rounding of f, as in `jacobian_central`: eps of |f| and of sum_j |g_j x_j|, with the
    # gradient g from a plain central difference at the balancing step.
    gradient = (f[1] - f[2])[BALANCE_INDEX] / (a + b)[BALANCE_INDEX]
    noise = _split(eps * (np.abs(values) + spread(gradient[:, None], x)[0]), n)
    quotient, rounding = _quotients(f, noise, a, b, (rows, cols))
    estimate, error, index = richardson(quotient, rounding, (2, 4), eps)
    step = np.take_along_axis(np.broadcast_to(steps[:, :, None], quotient.shape), index[None], 0)[0]
    return Estimate(
        estimate,
        error,
        step,
        "second_difference_richardson",
        vectorised,
        note=note,
        evaluations=len(points),
    )


def _split(a: np.ndarray, n: int) -> Parts:
    """Values at x, at x + h e_j ``(S, n)``, at x - h e_j, at the corners ``(S, pairs, 4)``."""
    axis = a[1 : 1 + 2 * NUM_STEPS * n].reshape(2, NUM_STEPS, n)
    return a[0], axis[0], axis[1], a[1 + 2 * NUM_STEPS * n :].reshape(NUM_STEPS, -1, 4)


def _quotients(
    f: Parts, noise: Parts, a: np.ndarray, b: np.ndarray, pairs: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The second-difference quotients ``(S, n, n)`` and their rounding bounds, from the
    values ``f`` and their rounding ``noise`` at x, x ± h e_j and the corners; ``a`` and ``b``
    are the steps actually taken up and down."""
    f_0, f_plus, f_minus, f_corner = f
    noise_0, noise_plus, noise_minus, noise_corner = noise
    rows, cols = pairs
    n = a.shape[1]
    weights = (2.0 / (a * (a + b)), -2.0 / (a * b), 2.0 / (b * (a + b)))
    diagonal = weights[0] * f_plus + weights[1] * f_0 + weights[2] * f_minus
    diagonal_rounding = weights[0] * noise_plus - weights[1] * noise_0 + weights[2] * noise_minus
    span = (a + b)[:, rows] * (a + b)[:, cols]
    signs = np.array([1.0, -1.0, -1.0, 1.0])
    mixed = (f_corner @ signs) / span
    mixed_rounding = noise_corner.sum(axis=-1) / span

    quotient = np.zeros((NUM_STEPS, n, n), dtype=np.result_type(f_corner, np.float64))
    rounding = np.zeros((NUM_STEPS, n, n))
    diag = np.arange(n)
    quotient[:, diag, diag], rounding[:, diag, diag] = diagonal, diagonal_rounding
    for r, c in ((rows, cols), (cols, rows)):
        quotient[:, r, c], rounding[:, r, c] = mixed, mixed_rounding
    return quotient, rounding
