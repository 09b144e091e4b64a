"""The result of every finite-difference rule: the derivative with an error estimate per entry."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Estimate:
    """A finite-difference derivative with an error estimate for every entry.

    Attributes:
        estimate: the derivative: ``(m, n)`` for a Jacobian, ``(n, n)`` for a Hessian, ``(n,)``
            for a Hessian-vector product; float64, or complex128 for a complex output.
        error_estimate: an estimate of ``|estimate - truth|``, float64, same shape; ``inf``
            where no step gave a finite value.
        step: the step behind each entry, same shape (for Richardson, the largest step of the
            chosen window; the others are ``step/2`` and ``step/4``; for ``hvp_from_gradient``
            the multiple ``t`` of ``v`` in ``x ± t v``).
        method: ``central_richardson``, ``forward``, ``backward``, ``complex_step`` or
            ``second_difference_richardson``.
        vectorised: True when all evaluations ran as one batched call; False when the function
            could not be traced and was evaluated point by point.
        succeeded: False when the method could not be applied (a complex step on a function
            that rejects complex input, returns a real output or non-finite values); ``note``
            says why.
        note: why evaluation fell back to a loop or failed; empty otherwise.
        evaluations: how many points the function was evaluated at (0 where not counted).
    """

    estimate: np.ndarray
    error_estimate: np.ndarray
    step: np.ndarray
    method: str
    vectorised: bool
    succeeded: bool = True
    note: str = ""
    evaluations: int = 0
