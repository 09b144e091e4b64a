"""Derivative-based global sensitivity measures (DGSM) from AD gradients on the sample, with
bootstrap confidence half-widths."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._load import Distribution
from .._problem import Problem
from .methods import RESAMPLES, Estimate, Evaluate, confidence_z
from .sample import from_unit, sobol_points


def dgsm(
    problem: Problem,
    distributions: Sequence[Distribution],
    samples: int,
    seed: int,
    max_bytes: int,
    evaluate: Evaluate,
) -> Estimate:
    """DGSM on ``samples`` points of a scrambled Sobol' sequence, gradients by AD."""
    n, m = len(distributions), problem.m
    problem.guard_size(samples * m * n, "sample of Jacobians", max_bytes, itemsize=8)
    points = from_unit(sobol_points(samples, n, seed), distributions)
    values, jacobians = evaluate("jacobian", points)
    return Estimate(
        values,
        dgsm_indices(values, jacobians, distributions, seed),
        samples,
        "scrambled Sobol' sequence; gradients by AD",
    )


def bootstrap_means(
    samples: np.ndarray, resamples: int, rng: np.random.Generator, block: int = 10**7
) -> np.ndarray:
    """Means of ``resamples`` bootstrap resamples of the rows of ``samples`` (``(N, k)``):
    each resample as a row of counts, so the means are one matrix product per block.

    >>> bootstrap_means(np.ones((5, 2)), 3, np.random.default_rng(0))
    array([[1., 1.],
           [1., 1.],
           [1., 1.]])
    """
    count = len(samples)
    rows = max(1, min(resamples, block // max(count, 1)))
    means = []
    for start in range(0, resamples, rows):
        size = min(rows, resamples - start)
        picks = rng.integers(count, size=(size, count))
        weights = np.stack([np.bincount(p, minlength=count) for p in picks]) / count
        means.append(weights @ samples)
    return np.concatenate(means)


def dgsm_indices(
    values: np.ndarray,
    jacobians: np.ndarray,
    distributions: Sequence[Distribution],
    seed: int,
) -> dict[str, np.ndarray]:
    """νᵢ = E[(∂f/∂xᵢ)²] and the normalised measure Cᵢ·νᵢ / Var f, an upper bound on the total
    Sobol' index (Cᵢ = (b−a)²/π² for uniform inputs, σ² for normal ones), with bootstrap
    confidence half-widths, from the values ``(N, m)`` and Jacobians ``(N, m, n)`` on the
    sample.

    >>> from jaccli._load import parse_bounds
    >>> x = np.linspace(-1, 1, 64)[:, None]
    >>> found = dgsm_indices(x, np.ones((64, 1, 1)), [parse_bounds("0:1")[None]], seed=0)
    >>> found["vi"]
    array([[1.]])
    """
    count, m, n = jacobians.shape
    squares = (jacobians**2).reshape(count, m * n)
    constant = np.array([d.poincare for d in distributions])
    moments = np.concatenate([squares, values, values**2], axis=1)
    boot = bootstrap_means(moments, RESAMPLES, np.random.default_rng(seed))
    with np.errstate(divide="ignore", invalid="ignore"):
        vi = squares.mean(axis=0).reshape(m, n)
        variance = values.var(axis=0)
        dgsm = constant[None, :] * vi / variance[:, None]
        boot_vi = boot[:, : m * n].reshape(-1, m, n)
        boot_var = boot[:, m * n + m :] - boot[:, m * n : m * n + m] ** 2
        boot_dgsm = constant[None, None, :] * boot_vi / boot_var[:, :, None]
    z = confidence_z()
    return {
        "vi": vi,
        "vi_conf": z * boot_vi.std(axis=0),
        "dgsm": dgsm,
        "dgsm_conf": z * boot_dgsm.std(axis=0),
    }
