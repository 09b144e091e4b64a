"""Richardson extrapolation over a geometric sequence of steps, with an error estimate per entry.

A sliding window of three consecutive steps is extrapolated twice; for each entry the window with
the smallest error estimate wins. The error estimate of a window is the difference between its
last two Richardson levels, plus the difference from the neighbouring window, plus twice a
rounding bound carried through the extrapolation's coefficients, plus ``4 eps |estimate|``.
"""

from __future__ import annotations

import numpy as np


def richardson(
    quotient: np.ndarray, rounding: np.ndarray, orders: tuple[int, ...], eps: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Richardson extrapolation over steps ``h, h/2, h/4, ...`` (axis 0), best window per entry.

    ``quotient[s]`` is a difference quotient at step ``h * 2**-s`` whose error is a series in
    ``h**orders[0], h**orders[1], ...``; ``rounding[s]`` bounds its rounding error. Each level
    removes one term. Returns the estimate, its error estimate and the chosen window's index
    (its largest step), each of the entries' shape.

    >>> h = 0.1 * 0.5 ** np.arange(6)
    >>> quotient = (np.exp(h) - np.exp(-h)) / (2 * h)
    >>> estimate, error, index = richardson(quotient, np.zeros(6), (2, 4), 2.0**-52)
    >>> bool(abs(estimate - 1.0) < 1e-12), bool(error < 1e-9)
    (True, True)
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
