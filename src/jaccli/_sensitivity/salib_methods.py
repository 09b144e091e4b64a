"""Sobol' and Morris indices on SALib's samples in the unit cube, which jaccli evaluates the
function on: Saltelli's sample for Sobol' is drawn by `saltelli` (SALib's points, without
SALib, and analysed there too); Morris's trajectories are drawn and analysed by SALib itself,
the optional ``global`` extra."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._load import Distribution
from .._problem import PYTHON, Labels, Problem
from ..errors import MissingExtraError, UsageError
from .methods import CONF_LEVEL, INDEX_KEYS, MORRIS_LEVELS, RESAMPLES, Estimate, Evaluate
from .ranking import names
from .replicates import interval_text, sequences_text
from .saltelli import saltelli_points, sobol_indices
from .sample import from_unit

SAMPLING = {
    "sobol": "Saltelli's scheme on {}",
    "morris": f"Morris trajectories on a {MORRIS_LEVELS}-level grid (SALib)",
}


def salib_method(
    problem: Problem,
    distributions: Sequence[Distribution],
    method: str,
    samples: int,
    seed: int,
    replicates: int,
    max_bytes: int,
    evaluate: Evaluate,
    notes: list[str],
) -> Estimate:
    """Sobol' (Saltelli's scheme, ``samples·(n+2)`` points) or Morris (``samples`` trajectories
    of ``n+1`` points) indices; SALib's warnings become notes."""
    inputs = names(problem)[0]
    n, m = len(inputs), problem.m
    if method == "morris":
        require_bounded(inputs, distributions, problem.labels)
    unit, spec, sizes = salib_sample(
        method, inputs, samples, seed, replicates, notes, problem.labels
    )
    problem.guard_size(len(unit) * (n + m), "sample", max_bytes, itemsize=8)
    values, _ = evaluate("value", from_unit(unit, distributions))
    return salib_estimate(method, spec, unit, values, sizes, seed, replicates, notes)


def salib_sample(
    method: str,
    inputs: Sequence[str],
    samples: int,
    seed: int,
    replicates: int,
    notes: list[str],
    labels: Labels = PYTHON,
) -> tuple[np.ndarray, dict[str, Any], list[int]]:
    """SALib's sample for ``method`` in the unit cube from ``seed``, the problem spec SALib
    analyses it with, and the base points of each replicate: Saltelli's scheme on
    ``replicates`` independently scrambled Sobol' sequences (drawn by `saltelli`, SALib's
    points without SALib), or ``samples`` Morris trajectories, independent already (one
    replicate; SALib's warnings become notes). The same
    arguments give the same points, which is what lets ``design`` write the sample that
    ``sensitivity`` evaluates.

    >>> unit, spec, sizes = salib_sample("sobol", ["x", "y"], 4, 0, 2, [])
    >>> unit.shape, spec["names"], sizes
    ((16, 2), ['x', 'y'], [2, 2])
    """
    n = len(inputs)
    spec = {"num_vars": n, "names": list(inputs), "bounds": [[0.0, 1.0]] * n}
    if method != "morris":
        unit, sizes = saltelli_points(samples, n, seed, replicates)
        return unit, spec, sizes
    sampler = salib_sampler(method, labels)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        unit = sampler.sample(spec, samples, num_levels=MORRIS_LEVELS, seed=seed)
    notes += sorted({f"SALib: {w.message}" for w in caught})
    return unit, spec, [samples]


def salib_estimate(
    method: str,
    spec: dict[str, Any],
    unit: np.ndarray,
    values: np.ndarray,
    sizes: list[int],
    seed: int,
    replicates: int,
    notes: list[str],
) -> Estimate:
    """The indices of ``method`` from the values (``(rows, m)``) on SALib's sample ``unit``,
    with how the sample was drawn and how the intervals were found."""
    if method == "sobol":
        return Estimate(
            values,
            sobol_indices(values, spec["num_vars"], sizes),
            len(unit),
            SAMPLING[method].format(sequences_text(replicates)),
            interval_text(replicates),
            replicates,
        )
    indices = morris_indices(spec, unit, values, seed, notes)
    return Estimate(values, indices, len(unit), SAMPLING[method], MORRIS_INTERVAL, None)


def salib_sampler(method: str, labels: Labels) -> Any:
    """SALib's Morris sampler, or a `MissingExtraError` that says how to install it."""
    try:
        from SALib.sample import morris as sample
    except ImportError:
        option = labels("method")
        raise MissingExtraError(
            f"{option} {method} needs SALib, which is not installed",
            hint=f"pip install 'jaccli[global]', or use {option} sobol or dgsm (no extra needed)",
        ) from None
    return sample


def require_bounded(
    inputs: Sequence[str], distributions: Sequence[Distribution], labels: Labels
) -> None:
    """Refuse normal inputs: Morris moves every input over a grid of levels within its range."""
    unbounded = [inputs[j] for j, d in enumerate(distributions) if not d.bounded]
    if unbounded:
        raise UsageError(
            f"morris moves inputs over a grid of levels within their ranges; "
            f"{', '.join(unbounded[:5])} {'is' if len(unbounded) == 1 else 'are'} normal",
            hint=(
                f"give ranges (x=-1:1), or use {labels('method')} sobol or dgsm for normal inputs"
            ),
        )


# Morris trajectories start at independent random points, so resampling them is a bootstrap
# of independent draws, and its normal interval means what it says.
MORRIS_INTERVAL = (
    f"normal, from {RESAMPLES} bootstrap resamples of the independent trajectories (SALib)"
)


def morris_indices(
    spec: dict[str, Any], unit: np.ndarray, values: np.ndarray, seed: int, notes: list[str]
) -> dict[str, np.ndarray]:
    """SALib's Morris analysis of every output column (null where it is not finite or does not
    vary), its bootstrap seeded by ``seed``; its warnings become notes."""
    from SALib.analyze import morris as analyze

    keys = INDEX_KEYS["morris"]
    out = {key: np.full((values.shape[1], spec["num_vars"]), np.nan) for key in keys}
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        for i in range(values.shape[1]):
            y = values[:, i]
            if not np.all(np.isfinite(y)) or np.var(y) == 0:
                continue
            found = analyze.analyze(
                spec,
                unit,
                y,
                num_levels=MORRIS_LEVELS,
                num_resamples=RESAMPLES,
                conf_level=CONF_LEVEL,
                seed=seed,
            )
            for key in keys:
                out[key][i] = np.asarray(found[key], dtype=np.float64)
    notes += sorted({f"SALib: {w.message}" for w in caught})
    return out
