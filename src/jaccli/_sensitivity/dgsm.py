"""Derivative-based global sensitivity measures (DGSM) from AD gradients on independently
scrambled Sobol' replicates, with intervals from the spread over the replicates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._load import Distribution
from .._problem import Problem
from .methods import Estimate, Evaluate
from .replicates import interval_text, jackknife, sequences_text
from .sample import gradient_sample, replicated_sobol_points


def dgsm(
    problem: Problem,
    distributions: Sequence[Distribution],
    samples: int,
    seed: int,
    replicates: int,
    max_bytes: int,
    evaluate: Evaluate,
) -> Estimate:
    """DGSM on ``samples`` points of ``replicates`` independently scrambled Sobol' sequences,
    gradients by AD."""
    unit, sizes = replicated_sobol_points(samples, len(distributions), seed, replicates)
    _, values, jacobians = gradient_sample(problem, unit, distributions, max_bytes, evaluate)
    return Estimate(
        values,
        dgsm_indices(values, jacobians, distributions, sizes),
        samples,
        f"{sequences_text(replicates)}; gradients by AD",
        interval_text(replicates),
        replicates,
    )


def dgsm_indices(
    values: np.ndarray,
    jacobians: np.ndarray,
    distributions: Sequence[Distribution],
    sizes: Sequence[int],
) -> dict[str, np.ndarray]:
    """νᵢ = E[(∂f/∂xᵢ)²] and the normalised measure Cᵢ·νᵢ / Var f, an upper bound on the total
    Sobol' index (Cᵢ = (b−a)²/π² for uniform inputs, σ² for normal ones), with the half-widths
    of their confidence intervals over the replicates (``sizes`` rows each), from the values
    ``(N, m)`` and Jacobians ``(N, m, n)`` on the sample.

    >>> from jaccli._load import parse_bounds
    >>> x = np.linspace(-1, 1, 64)[:, None]
    >>> found = dgsm_indices(x, np.ones((64, 1, 1)), [parse_bounds("0:1")[None]], [32, 32])
    >>> found["vi"], found["vi_conf"]
    (array([[1.]]), array([[0.]]))
    """
    count, m, n = jacobians.shape
    constant = np.array([d.poincare for d in distributions])
    # Var f from centred values: E[f²] − E[f]² would cancel away a large mean.
    centred = values - values.mean(axis=0)
    moments = np.concatenate([(jacobians**2).reshape(count, m * n), centred, centred**2], axis=1)

    def estimator(means: np.ndarray) -> np.ndarray:
        lead = means.shape[:-1]
        vi = means[..., : m * n].reshape(*lead, m, n)
        mean, square = means[..., m * n : m * n + m], means[..., m * n + m :]
        dgsm = constant * vi / (square - mean**2)[..., None]
        return np.stack([vi, dgsm], axis=-1)

    estimate, half = jackknife(moments, sizes, estimator)
    found = {"vi": estimate[..., 0], "dgsm": estimate[..., 1]}
    return {**found, "vi_conf": half[..., 0], "dgsm_conf": half[..., 1]}
