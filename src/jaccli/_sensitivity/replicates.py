"""Confidence intervals that hold what they state, for estimates on scrambled Sobol' points.

The points of one scrambled Sobol' sequence are not independent draws — that is why they
estimate so well — so a bootstrap that resamples them as if they were overstates the error,
often tenfold. Instead the sample is drawn as R independently scrambled sequences (randomised
quasi-Monte Carlo). The replicates are independent and alike, so the spread of an estimate over
them (the random-group jackknife: the estimate again without each replicate in turn) measures
its error, and Student's t on R − 1 degrees of freedom turns it into an interval. The estimate
itself uses the whole sample.
"""

from __future__ import annotations

import functools
import itertools
import math
import statistics
from collections.abc import Callable, Sequence

import numpy as np

from .methods import CONF_LEVEL

REPLICATES = 8
# Up to here Student's t quantile comes from its closed form (a sum of ν/2 terms); beyond, the
# Cornish–Fisher series is already good to 10⁻¹².
FEW_DEGREES = 1000


def replicate_sizes(samples: int, replicates: int) -> list[int]:
    """The base sample split into ``replicates`` replicates, their sizes as equal as can be.

    >>> replicate_sizes(1024, 8), replicate_sizes(10, 8), replicate_sizes(5, 1)
    ([128, 128, 128, 128, 128, 128, 128, 128], [2, 2, 1, 1, 1, 1, 1, 1], [5])
    """
    return [samples // replicates + (r < samples % replicates) for r in range(replicates)]


def replicate_generators(seed: int, count: int) -> list[np.random.Generator]:
    """Independent random generators for ``count`` replicates, all derived from ``seed``: the
    same seed (0 like any other) gives the same generators.

    >>> def draws(seed):
    ...     return [g.random() for g in replicate_generators(seed, 2)]
    >>> draws(0) == draws(0), draws(0) != draws(1), len(set(draws(0)))
    (True, True, 2)
    """
    return [np.random.default_rng(child) for child in np.random.SeedSequence(seed).spawn(count)]


@functools.cache
def t_quantile(replicates: int) -> float:
    """The quantile of Student's t on ``replicates − 1`` degrees of freedom whose ± interval
    holds ``CONF_LEVEL``.

    Found here rather than by ``scipy.special.stdtrit``, whose import costs a small analysis
    a tenth of its time: for up to `FEW_DEGREES` degrees of freedom, bisection on the
    closed-form probability of |T| ≤ t (Abramowitz and Stegun 26.7.3–4), and beyond, the
    Cornish–Fisher series about the normal quantile (26.7.5), good to 10⁻¹² there.

    >>> round(t_quantile(2), 3), round(t_quantile(8), 3), round(t_quantile(10**6), 3)
    (12.706, 2.365, 1.96)
    """
    nu = replicates - 1
    if nu > FEW_DEGREES:
        z = statistics.NormalDist().inv_cdf(0.5 + CONF_LEVEL / 2)
        terms = (
            (z**3 + z) / 4,
            (5 * z**5 + 16 * z**3 + 3 * z) / 96,
            (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / 384,
            (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / 92160,
        )
        return z + sum(term / nu ** (k + 1) for k, term in enumerate(terms))
    low, high = 0.0, math.pi / 2  # θ = atan(t / √ν)
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if within(middle, nu) < CONF_LEVEL else (low, middle)
    return math.sqrt(nu) * math.tan((low + high) / 2)


def within(theta: float, nu: int) -> float:
    """P(|T| ≤ √ν tan θ) for Student's t on ν degrees of freedom (a finite sum in cos² θ)."""
    c, sin = math.cos(theta) ** 2, math.sin(theta)
    if nu % 2 == 0:
        term = total = 1.0
        for k in range(1, nu // 2):
            term *= c * (2 * k - 1) / (2 * k)
            total += term
        return sin * total
    if nu == 1:
        return 2 * theta / math.pi
    term = total = 1.0
    for k in range(1, (nu - 1) // 2):
        term *= c * (2 * k) / (2 * k + 1)
        total += term
    return 2 / math.pi * (theta + sin * math.cos(theta) * total)


def sequences_text(replicates: int) -> str:
    """The sample's sequences, in words.

    >>> sequences_text(1), sequences_text(8)
    ("one scrambled Sobol' sequence", "8 independently scrambled Sobol' sequences")
    """
    if replicates == 1:
        return "one scrambled Sobol' sequence"
    return f"{replicates} independently scrambled Sobol' sequences"


def interval_text(replicates: int) -> str | None:
    """How the ± of a replicated estimate was found, for the header and the JSON; None for
    one replicate, which cannot measure its own error."""
    if replicates < 2:
        return None
    return (
        f"Student's t on {replicates - 1} degrees of freedom over {replicates} independently "
        "scrambled replicates (random-group jackknife)"
    )


def jackknife(
    moments: np.ndarray,
    sizes: Sequence[int],
    estimator: Callable[[np.ndarray], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """An estimate and the half-width of its ``CONF_LEVEL`` interval, from per-point
    ``moments`` ``(N, k)`` whose rows come replicate after replicate (``sizes`` rows each).

    ``estimator`` maps means of the moments (``(..., k)``, any leading axes) to estimates
    ``(..., *shape)``. The estimate is ``estimator`` of the means over the whole sample; the
    half-width is t times the jackknife standard error over the replicates (NaN with one).

    >>> rows = np.arange(8.0)[:, None]  # four replicates of two rows: means 0.5, 2.5, 4.5, 6.5
    >>> estimate, half = jackknife(rows, [2, 2, 2, 2], lambda means: means[..., 0])
    >>> float(estimate), round(float(half), 2)  # 3.5 ± t₃·(standard error of the mean 1.29)
    (3.5, 4.11)
    """
    edges = np.cumsum([0, *sizes])
    sums = np.stack([moments[a:b].sum(axis=0) for a, b in itertools.pairwise(edges)])
    total, count = sums.sum(axis=0), edges[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        estimate = estimator(total / count)
        replicates = len(sizes)
        if replicates < 2:
            return estimate, np.full_like(estimate, np.nan)
        remaining = (count - np.asarray(sizes, dtype=np.float64))[:, None]
        without = estimator((total[None, :] - sums) / remaining)
        spread = np.sqrt((replicates - 1) * np.mean((without - without.mean(axis=0)) ** 2, axis=0))
    return estimate, t_quantile(replicates) * spread
