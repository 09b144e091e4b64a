"""Active subspaces from AD gradients: per output, the eigenvalues and eigenvectors of
C = E[∇f ∇fᵀ] over the inputs' distributions, with bootstrap intervals, the subspace's dimension
and distance to the truth, the inputs' activity scores, and the sample for the summary plot.

As in the literature, the gradient is taken with respect to scaled inputs: a range [a, b] is
mapped onto [−1, 1] (x = (a+b)/2 + (b−a)/2·z) and a normal input is standardised
(x = μ + σ·z), so ∇_z f = s ⊙ ∇_x f with sᵢ the half-width or σ. Eigenvectors and activity
scores then compare inputs of different units on one footing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._load import Distribution
from .._problem import Problem
from ..errors import UsageError
from ..results import Chart
from .methods import CONF_LEVEL, SUBSPACE_RESAMPLES, Estimate
from .subspaces import (
    activity_scores,
    bootstrap_grams,
    choose_dimension,
    eigen,
    intervals,
    rounding_floor,
    subspace_distances,
)

# The columns of the table and the CSV: the activity score, then the weights of at most this many
# leading eigenvectors (the JSON has them all).
SHOWN_VECTORS = 4


def active_subspace(
    distributions: Sequence[Distribution],
    sample: tuple[np.ndarray, np.ndarray, np.ndarray],
    seed: int,
    dimension: int | None,
    outputs: Sequence[str],
    notes: list[str],
) -> Estimate:
    """The active subspace of every output from the gradient ``sample`` (points, values and
    Jacobians, `gradient_sample`); ``dimension`` fixes K, else the largest eigenvalue gap picks
    it. The bootstrap is drawn from ``seed``."""
    points, values, jacobians = sample
    scale = np.array([(d.b - d.a) / 2 if d.bounded else d.b for d in distributions])
    centre = np.array([(d.a + d.b) / 2 if d.bounded else d.a for d in distributions])
    found = [
        one_output(jacobians[:, i, :] * scale, seed, dimension, name, notes)
        for i, name in enumerate(outputs)
    ]
    indices = {key: stacked([one[key] for one in found]) for key in found[0]}
    return Estimate(
        values,
        indices,
        len(points),
        "scrambled Sobol' sequence; gradients by AD with respect to the inputs scaled to "
        "[-1, 1] (ranges) or standardised (normal)",
        f"{CONF_LEVEL:.0%} percentile intervals [low, high] from {SUBSPACE_RESAMPLES} bootstrap "
        "resamples of the gradients",
        charts=subspace_charts(outputs, indices, (points - centre) / scale, values),
        columns=weight_columns(indices),
    )


def check_subspace(problem: Problem, n: int, dimension: int | None, max_bytes: int) -> None:
    """Refuse, before the sample is evaluated, a dimension outside 1…n and a bootstrap of
    C over ``max_bytes``."""
    check_dimension(dimension, n, problem.labels)
    problem.guard_size(2 * SUBSPACE_RESAMPLES * n * n, "bootstrap of C", max_bytes, itemsize=8)


def check_dimension(dimension: int | None, n: int, labels: Any) -> None:
    """Refuse a subspace dimension outside 1…n."""
    if dimension is not None and not 1 <= dimension <= n:
        raise UsageError(
            f"{labels('dimension')} must be between 1 and the number of inputs, {n}; "
            f"got {dimension}"
        )


def one_output(
    gradients: np.ndarray, seed: int, dimension: int | None, name: str, notes: list[str]
) -> dict[str, Any]:
    """The active subspace of one output from its scaled gradients ``(N, n)``."""
    count, n = gradients.shape
    if not np.all(np.isfinite(gradients)):
        notes.append(
            f"the gradient of {name} is NaN or infinite on the sample: its active "
            "subspace is undefined (null)"
        )
        return undefined(n, np.nan)
    values, vectors = eigen(gradients.T @ gradients / count)
    if values[0] == 0:
        notes.append(
            f"the gradient of {name} is zero on the whole sample: it has no active "
            "subspace (eigenvectors null)"
        )
        return undefined(n, 0.0)
    replicates, replicate_vectors = eigen(bootstrap_grams(gradients, SUBSPACE_RESAMPLES, seed))
    conf = intervals(replicates)
    floor = rounding_floor(values, count)
    k = dimension or choose_dimension(values, floor)
    if dimension is None and k < n and values[k] > floor and conf[k - 1, 0] <= conf[k, 1]:
        notes.append(
            f"the largest eigenvalue gap of {name}, after eigenvalue {k}, lies within their "
            "bootstrap intervals: the sample shows no clear active subspace, so its dimension "
            "is uncertain (fix the dimension, or take more samples)"
        )
    return {
        "eigenvalues": values,
        "eigenvectors": vectors,
        "eigenvalues_conf": conf,
        "subspace_error": subspace_distances(vectors, replicate_vectors),
        "dimension": k,
        "activity_scores": activity_scores(values, vectors, k),
    }


def undefined(n: int, eigenvalue: float) -> dict[str, Any]:
    """The indices of an output without an active subspace: eigenvalues all ``eigenvalue``
    (0 for a zero gradient, NaN for a non-finite one), the rest null."""
    nothing = np.full(n, np.nan)
    return {
        "eigenvalues": np.full(n, eigenvalue),
        "eigenvectors": np.full((n, n), np.nan),
        "eigenvalues_conf": np.full((n, 2), eigenvalue),
        "subspace_error": nothing,
        "dimension": None,
        "activity_scores": np.full(n, eigenvalue),
    }


def stacked(items: list[Any]) -> Any:
    """One output's arrays stacked along a first axis; the dimensions (an int or None each)
    kept as a list, so that JSON writes integers and nulls."""
    return (
        items if any(item is None or isinstance(item, int) for item in items) else np.stack(items)
    )


def weight_columns(indices: dict[str, Any]) -> tuple[tuple[str, np.ndarray], ...]:
    """The per-input columns of the table and the CSV: the activity score, then the weight of
    each input in the first eigenvectors (up to the largest K, at most ``SHOWN_VECTORS``)."""
    dimensions = [k for k in indices["dimension"] if k is not None]
    shown = min(max(dimensions, default=1), SHOWN_VECTORS, indices["eigenvectors"].shape[1])
    weights = [(f"w{k + 1}", indices["eigenvectors"][:, k, :]) for k in range(shown)]
    return (("activity_scores", indices["activity_scores"]), *weights)


def subspace_charts(
    outputs: Sequence[str], indices: dict[str, Any], scaled: np.ndarray, values: np.ndarray
) -> tuple[Chart, ...]:
    """Per output, the eigenvalue decay with its intervals, and the sufficient summary plot:
    f against the first active variable w₁ᵀz (and the second, when K ≥ 2) on the sample."""
    charts = []
    n = scaled.shape[1]
    for i, name in enumerate(outputs):
        k = indices["dimension"][i]
        charts.append(
            Chart(
                name,
                "decay",
                "eigenvalues of C = E[∇f ∇fᵀ]",
                tuple(str(j + 1) for j in range(n)),
                (("eigenvalue", indices["eigenvalues"][i]),),
                (indices["eigenvalues_conf"][i],),
                note="" if k is None else f"K = {k}",
            )
        )
        if k is None:
            continue
        active = scaled @ indices["eigenvectors"][i, : min(k, 2)].T
        coordinates = tuple((f"w{j + 1}ᵀz", active[:, j]) for j in range(active.shape[1]))
        charts.append(
            Chart(
                name,
                "summary",
                f"sufficient summary plot of {name}",
                tuple(label for label, _ in coordinates),
                (*coordinates, (name, values[:, i])),
            )
        )
    return tuple(charts)
