"""First-order and total Sobol' indices from Saltelli's scheme, with intervals from the spread
over independently scrambled replicates (`replicates`) instead of a bootstrap that would take
the points of one scrambled sequence for independent draws.

The sample is SALib's (``SALib.sample.sobol.sample`` without second order, point for point,
which the tests check) drawn here so that Sobol' needs neither SALib nor the ``scipy.stats``
and pandas it imports: on a small problem those imports cost more than the analysis."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .replicates import jackknife, replicate_generators, replicate_sizes
from .sobol_sequence import sobol_points


def saltelli_points(
    samples: int, n: int, seed: int, replicates: int
) -> tuple[np.ndarray, list[int]]:
    """Saltelli's sample in the unit cube, ``(samples·(n+2), n)``, on ``replicates``
    independently scrambled Sobol' sequences of dimension 2n (A in the first n columns, B in
    the last n), and the base points of each replicate. Per base point the rows are A, A with
    input j taken from B (j = 1…n), and B.

    >>> unit, sizes = saltelli_points(4, 2, seed=0, replicates=2)
    >>> unit.shape, sizes, bool(np.all(unit[1, 1:] == unit[0, 1:]))
    ((16, 2), [2, 2], True)
    """
    sizes = replicate_sizes(samples, replicates)
    generators = replicate_generators(seed, len(sizes))
    base = np.concatenate(
        [sobol_points(size, 2 * n, rng) for size, rng in zip(sizes, generators, strict=True)]
    )
    a, b = base[:, :n], base[:, n:]
    rows = np.repeat(a[:, None, :], n + 2, axis=1)
    inputs = np.arange(n)
    rows[:, inputs + 1, inputs] = b
    rows[:, -1] = b
    return rows.reshape(-1, n), sizes


def sobol_indices(values: np.ndarray, n: int, sizes: Sequence[int]) -> dict[str, np.ndarray]:
    """``S1``, ``ST`` and their confidence half-widths, each ``(m, n)``, from the values
    ``(N·(n+2), m)`` on Saltelli's sample without second order: per base point the rows A,
    A with input j taken from B (j = 1…n), and B; base points replicate after replicate
    (``sizes`` each). The estimators are SALib's: Saltelli (2010) for S1, Jansen for ST.
    An output that is not finite or does not vary has NaN (null) indices.

    >>> rows = np.array([[0.0, 1, 0, 1], [2, 3, 2, 3], [1, 0, 1, 0], [3, 1, 3, 1]])
    >>> found = sobol_indices(rows.reshape(-1, 1), 2, [2, 2])  # f = x₁: x₂ does nothing
    >>> float(found["S1"][0, 1]), float(found["ST"][0, 1]), float(found["ST_conf"][0, 1])
    (0.0, 0.0, 0.0)
    """
    m = values.shape[1]
    out = {key: np.full((m, n), np.nan) for key in ("S1", "S1_conf", "ST", "ST_conf")}
    for i in range(m):
        y = values[:, i]
        if not np.all(np.isfinite(y)) or np.var(y) == 0:
            continue
        # Centred, as SALib does: the products B·(A_B − A) then carry no mean to cancel.
        blocks = (y - y.mean()).reshape(-1, n + 2)
        a, ab, b = blocks[:, :1], blocks[:, 1:-1], blocks[:, -1:]
        moments = np.concatenate([b * (ab - a), (a - ab) ** 2, a, b, a**2, b**2], axis=1)
        estimate, half = jackknife(moments, sizes, lambda means: saltelli(means, n))
        out["S1"][i], out["ST"][i] = estimate[..., 0], estimate[..., 1]
        out["S1_conf"][i], out["ST_conf"][i] = half[..., 0], half[..., 1]
    return out


def saltelli(means: np.ndarray, n: int) -> np.ndarray:
    """``(..., n, 2)`` first-order and total indices from the means ``(..., 2n+4)`` of the
    moments B·(A_B − A), (A − A_B)², A, B, A², B² (Var f over the rows of A and B together)."""
    a, b, a2, b2 = (means[..., 2 * n + k, None] for k in range(4))
    variance = (a2 + b2) / 2 - ((a + b) / 2) ** 2
    first = means[..., :n] / variance
    total = means[..., n : 2 * n] / 2 / variance
    return np.stack([first, total], axis=-1)
