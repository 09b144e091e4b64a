"""Forward and backward differences with Richardson extrapolation: left and right derivatives,
and the kinks where they differ."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from .estimate import Estimate
from .evaluation import Batched, as_point, quiet, rounding_eps
from .probes import Differences, differences
from .steps import NUM_STEPS


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
    forward, backward, kink = _sides(differences(fn, x, 3, batched), x)
    if kink.any():
        # A kink stays at every step; a function that turns over many times within the steps
        # (sin(x**2) at 1.3e5) can fool one window of them, rarely a sequence 4096 times smaller.
        _, _, again = _sides(differences(fn, x, 3, batched, 0.5**NUM_STEPS), x)
        kink &= again
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
