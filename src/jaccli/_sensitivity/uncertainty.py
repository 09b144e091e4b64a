"""Input uncertainty through the linearisation: the covariance of the inputs (``sigma`` for
independent ones, or a full ``cov`` matrix) propagated as ``J Σ Jᵀ``, with each input's share
of each output's variance."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._problem import Flat, Problem, format_shape, unflatten_jacobian
from ..errors import ShapeError, UsageError
from .perturbation import flat_vector, input_layout
from .ranking import names


def input_covariance(problem: Problem, flat: Flat, sigma: Any, cov: Any) -> tuple[np.ndarray, bool]:
    """The ``(n, n)`` covariance of the flat inputs, checked, and whether it is diagonal."""
    if sigma is not None:
        s = flat_vector(problem, flat, sigma, "sigma")
        if not np.all(np.isfinite(s)) or np.any(s < 0):
            raise UsageError(f"{problem.labels('sigma')} must be finite and non-negative")
        return np.diag(s**2), True
    matrix = checked_covariance(problem, cov, flat.n)
    return matrix, bool(np.all(matrix == np.diag(np.diag(matrix))))


def checked_covariance(problem: Problem, cov: Any, n: int) -> np.ndarray:
    """``cov`` as a real, finite, symmetric, positive semi-definite ``(n, n)`` matrix."""
    label = problem.labels("cov")
    matrix = np.asarray(cov)
    if np.iscomplexobj(matrix) or matrix.dtype.kind not in "fiu":
        raise UsageError(f"{label} must be a real matrix")
    matrix = matrix.astype(np.float64)
    if matrix.shape != (n, n):
        raise ShapeError(
            f"{label} has shape {format_shape(matrix.shape)} but there are {n} inputs: it must be "
            f"({n}, {n})",
            hint="rows and columns follow the flat inputs: " + ", ".join(names(problem)[0][:8]),
        )
    if not np.all(np.isfinite(matrix)):
        raise UsageError(f"{label} has NaN or infinite entries")
    scale = max(float(np.max(np.abs(matrix))), np.finfo(float).tiny)
    if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12 * scale):
        raise UsageError(
            f"{label} is not symmetric", hint="a covariance matrix equals its transpose"
        )
    if float(np.min(np.linalg.eigvalsh(matrix))) < -1e-10 * scale:
        raise UsageError(
            f"{label} is not positive semi-definite (it has a negative eigenvalue)",
            hint="a covariance matrix has no negative variances along any direction",
        )
    return matrix


def propagate(
    J: np.ndarray, covariance: np.ndarray, independent: bool, outputs: Sequence[str], notes: list
) -> tuple[np.ndarray, np.ndarray]:
    """``J Σ Jᵀ`` and each input's share of each variance: ``(J_ij σ_j)² / Var f_i`` for
    independent inputs; with correlations, the covariance decomposition
    ``J_ij (Σ Jᵀ)_ji / Var f_i``, which still sums to 1 but may be negative.

    >>> cov_out, share = propagate(np.array([[1.0, 2.0]]), np.eye(2), True, ["f"], [])
    >>> cov_out, share
    (array([[5.]]), array([[0.2, 0.8]]))
    """
    cov_out = J @ covariance @ J.T
    variance = np.diag(cov_out).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = J * (covariance @ J.T).T / variance[:, None]
    share[variance == 0, :] = np.nan
    if np.any(variance == 0):
        zero = [outputs[i] for i in np.flatnonzero(variance == 0)]
        notes.append(f"{', '.join(zero[:5])} has no variance: its variance shares are null")
    if not independent:
        notes.append(
            "the inputs are correlated: a variance share counts each input's covariance with the "
            "others, so shares sum to 1 but may be negative"
        )
    return cov_out, share


def uncertainty(
    problem: Problem,
    flat: Flat,
    J: np.ndarray,
    sigma: Any,
    cov: Any,
    outputs: Sequence[str],
    notes: list,
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """The propagated uncertainty's fields, the variance shares and the inputs' standard
    deviations."""
    covariance, independent = input_covariance(problem, flat, sigma, cov)
    sigma_in = np.sqrt(np.diag(covariance))
    cov_out, share = propagate(J, covariance, independent, outputs, notes)
    fields = {
        "sigma_in": input_layout(problem, flat, sigma_in),
        "cov_out": cov_out.reshape(problem.out_shape * 2),
        "sigma_out": np.sqrt(np.maximum(np.diag(cov_out), 0)).reshape(problem.out_shape),
        "variance_share": unflatten_jacobian(problem, share),
    }
    return fields, share, sigma_in
