"""The Jacobian or gradient of a function JAX cannot differentiate, from finite differences."""

from __future__ import annotations

import dataclasses

import numpy as np

from .._problem import Problem, flatten, unflatten_jacobian
from ..errors import FunctionError
from ..results import DerivativeResult
from .records import result_record


def finite_differences_at(problem: Problem, command: str, cause: FunctionError) -> DerivativeResult:
    """Central differences with Richardson extrapolation, labelled ``"method":
    "finite_differences"``, with an error estimate for every entry and a warning that says why
    AD was not used (``cause``)."""
    from .._derivatives import fd

    flat = flatten(problem)

    def estimate_at_point() -> tuple[object, object]:
        value = problem.call(*problem.primals)
        again = problem.call(*problem.primals)
        if not np.array_equal(np.asarray(value), np.asarray(again), equal_nan=True):
            # Differences of a function that changes between calls are noise, not a derivative.
            raise FunctionError(
                cause.message,
                hint=f"{cause.hint}; finite differences cannot stand in: two calls at the same "
                "point gave different values",
            ) from cause
        # fd evaluates a function it cannot trace point by point, with values.
        return value, fd.jacobian_central(flat.fn, flat.x)

    value, estimate = problem.run(estimate_at_point)
    if not estimate.succeeded:
        raise cause
    worst = float(np.max(estimate.error_estimate)) if estimate.error_estimate.size else 0.0
    reason = (
        f"n={problem.n}, m={problem.m}: JAX cannot differentiate this function, so central "
        f"differences with Richardson extrapolation ({estimate.evaluations} evaluations); "
        f"largest error estimate {worst:.3g}"
    )
    result = result_record(
        problem,
        command=command,
        mode="finite_differences",
        reason=reason,
        value=value,
        result=unflatten_jacobian(problem, estimate.estimate),
        extra={
            "method": "finite_differences",
            "method_reason": cause.message,
            "error_estimate": unflatten_jacobian(problem, estimate.error_estimate),
        },
    )
    note = (
        f"computed by finite differences (see error_estimate), because JAX cannot "
        f"differentiate the function: {cause.message}"
    )
    return dataclasses.replace(result, warnings=(note, *result.warnings))
