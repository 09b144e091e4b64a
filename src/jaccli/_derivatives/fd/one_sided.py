"""Forward and backward differences with Richardson extrapolation: left and right derivatives,
and the kinks where they differ."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from .central import CENTRAL_BALANCE, central_estimate
from .estimate import Estimate
from .evaluation import Batched, as_point, quiet, rounding_eps
from .probes import Differences, differences, differences_together
from .steps import NUM_STEPS

# The balancing step of one-sided differences is at eps**(1/SIDE_BALANCE).
SIDE_BALANCE = 3


@quiet
def one_sided(
    fn: Callable[[Any], Any], x: npt.ArrayLike, *, batched: Batched | None = None
) -> tuple[Estimate, Estimate, np.ndarray]:
    """Forward and backward Jacobians with Richardson extrapolation, and where they disagree.

    A kink (``|x|`` or ReLU at 0, a tie in ``max``) shows as left and right derivatives that
    differ by more than their error estimates allow (and by more than ``sqrt(eps)`` relative),
    at the steps of every input's scale and again at steps 4096 times smaller.

    Args:
        fn: a function of a flat real vector ``(n,)``.
        x: the point, a flat real vector ``(n,)``.
        batched: optional ``(k, n) -> (k, ...)`` evaluation, called once (again, with
            smaller steps, to confirm a kink, and where differences leave the domain).

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
    return _kinks(fn, x, differences(fn, x, SIDE_BALANCE, batched), batched)


@quiet
def central_and_one_sided(
    fn: Callable[[Any], Any], x: npt.ArrayLike, *, batched: Batched | None = None
) -> tuple[Estimate, tuple[Estimate, Estimate, np.ndarray]]:
    """`jacobian_central` and `one_sided` at once, their points evaluated in one call of
    ``batched`` (one compiled program rather than two), ``x`` among them once.

    >>> import jax.numpy as jnp
    >>> central, (forward, backward, kink) = central_and_one_sided(jnp.abs, [0.0, 2.0])
    >>> np.round(central.estimate, 9).tolist(), kink.tolist()
    ([[0.0, 0.0], [0.0, 1.0]], [[True, False], [False, False]])
    """
    x = as_point(x)
    both = differences_together(fn, x, (CENTRAL_BALANCE, SIDE_BALANCE), batched)
    return central_estimate(both[0]), _kinks(fn, x, both[1], batched)


def _kinks(
    fn: Callable[[Any], Any], x: np.ndarray, found: Differences, batched: Batched | None
) -> tuple[Estimate, Estimate, np.ndarray]:
    """The sides of `differences` at `SIDE_BALANCE`, and the kinks they show that steps 4096
    times smaller confirm."""
    forward, backward, kink = _sides(found, x)
    if kink.any():
        # A kink stays at every step; a function that turns over many times within the steps
        # (sin(x**2) at 1.3e5) can fool one window of them, rarely a sequence 4096 times smaller.
        again = differences(fn, x, SIDE_BALANCE, batched, 0.5**NUM_STEPS)
        kink &= _sides(again, x)[2]
    return forward, backward, kink


def _sides(found: Differences, x: np.ndarray) -> tuple[Estimate, Estimate, np.ndarray]:
    """The forward and backward `Estimate`, and where they disagree beyond their errors."""
    eps = rounding_eps(x, found.forward.estimate)
    forward, backward = (
        Estimate(
            side.estimate.T, side.error.T, side.step.T, method, found.vectorised, note=found.note
        )
        for side, method in ((found.forward, "forward"), (found.backward, "backward"))
    )
    gap = np.abs(forward.estimate - backward.estimate)
    allowed = 2.0 * (forward.error_estimate + backward.error_estimate) + np.sqrt(eps) * (
        np.abs(forward.estimate) + np.abs(backward.estimate)
    )
    return forward, backward, gap > allowed
