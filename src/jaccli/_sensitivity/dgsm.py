"""Derivative-based global sensitivity measures (DGSM) from AD gradients on independently
scrambled Sobol' replicates, with intervals from the spread over the replicates."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._load import Distribution
from .._problem import Problem
from .methods import Estimate, Evaluate
from .replicates import interval_text, jackknife, sequences_text
from .sample import from_unit, gradient_sample, replicated_sobol_points


def dgsm(
    problem: Problem,
    distributions: Sequence[Distribution],
    samples: int,
    seed: int,
    replicates: int,
    max_bytes: int,
    evaluate: Evaluate,
    black_box: bool = False,
) -> Estimate:
    """DGSM on ``samples`` points of ``replicates`` independently scrambled Sobol' sequences,
    gradients by AD; for a ``black_box`` (a function JAX cannot trace), by central
    differences."""
    n, m = len(distributions), problem.m
    unit, sizes = replicated_sobol_points(samples, n, seed, replicates)
    if black_box:
        problem.guard_size(samples * m * n, "sample of Jacobians", max_bytes, itemsize=8)
        problem.guard_size(samples * (2 * n + 1) * (n + m), "sample", max_bytes, itemsize=8)
        values, jacobians = central_jacobians(evaluate, from_unit(unit, distributions))
        gradients = (
            "JAX cannot trace the function, so gradients by central differences "
            f"(2n+1 = {2 * n + 1} evaluations per point)"
        )
        evaluations = samples * (2 * n + 1)
    else:
        _, values, jacobians = gradient_sample(problem, unit, distributions, max_bytes, evaluate)
        gradients, evaluations = "gradients by AD", samples
    return Estimate(
        values,
        dgsm_indices(values, jacobians, distributions, sizes),
        evaluations,
        f"{sequences_text(replicates)}; {gradients}",
        interval_text(replicates),
        replicates,
    )


def central_jacobians(evaluate: Evaluate, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values ``(N, m)`` and Jacobians ``(N, m, n)`` at the rows of ``points`` by central
    differences, every point and its ``2n`` neighbours evaluated in one call of ``evaluate``.
    Each step is ``eps^(1/3)·max(|x|, 1)``, the balance of truncation and rounding error for
    central differences, rounded so that ``x ± h`` are exact.

    >>> def square(command, points):
    ...     return (points**2).sum(axis=1, keepdims=True), None
    >>> values, jacobians = central_jacobians(square, np.array([[1.0, 2.0]]))
    >>> np.round(jacobians, 6).tolist()
    [[[2.0, 4.0]]]
    """
    count, n = points.shape
    h = np.cbrt(np.finfo(np.float64).eps) * np.maximum(np.abs(points), 1.0)
    eye = np.eye(n)[None, :, :]
    plus = points[:, None, :] + eye * h[:, None, :]
    minus = points[:, None, :] - eye * h[:, None, :]
    span = np.einsum("kjj->kj", plus) - np.einsum("kjj->kj", minus)
    stacked = np.concatenate([points, plus.reshape(-1, n), minus.reshape(-1, n)])
    values, _ = evaluate("value", stacked)
    m = values.shape[1]
    f_plus = values[count : count * (n + 1)].reshape(count, n, m)
    f_minus = values[count * (n + 1) :].reshape(count, n, m)
    with np.errstate(invalid="ignore", divide="ignore"):
        jacobians = ((f_plus - f_minus) / span[:, :, None]).transpose(0, 2, 1)
    return values[:count], jacobians


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
