"""The Jacobian, gradient or Hessian of a function JAX cannot differentiate, from finite
differences."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from .._problem import Problem, flatten, unflatten_jacobian
from ..errors import FunctionError
from ..results import DerivativeResult
from .pool import evaluate_points
from .records import result_record
from .workers import Workers


def finite_differences_at(
    problem: Problem, command: str, cause: FunctionError, workers: Workers | None = None
) -> DerivativeResult:
    """Central differences (second differences for a Hessian) with Richardson extrapolation,
    labelled ``"method": "finite_differences"``, with an error estimate for every entry, the
    number of evaluations, and a warning that says why AD was not used (``cause``). The
    perturbed points are spread over ``workers`` when given."""
    from .._derivatives import fd

    flat = flatten(problem)
    batched = None
    if workers is not None and workers.parallel:

        def batched(points: np.ndarray) -> np.ndarray:
            return evaluate_points(problem, points, workers)

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
        rule = fd.hessian_second_difference if command == "hessian" else fd.jacobian_central
        return value, rule(flat.fn, flat.x, batched=batched)

    value, estimate = problem.run(estimate_at_point)
    if not estimate.succeeded:
        raise cause
    worst = float(np.max(estimate.error_estimate)) if estimate.error_estimate.size else 0.0
    scheme, layout = differences_scheme(command)
    reason = (
        f"n={problem.n}, m={problem.m}: JAX cannot differentiate this function, so {scheme} "
        f"with Richardson extrapolation ({estimate.evaluations} evaluations"
        f"{f' on {workers.where}' if batched else ''}); largest error estimate {worst:.3g}"
    )
    result = result_record(
        problem,
        command=command,
        mode="finite_differences",
        reason=reason,
        value=value,
        result=layout(problem, estimate.estimate),
        extra={
            "method": "finite_differences",
            "method_reason": cause.message,
            "error_estimate": layout(problem, estimate.error_estimate),
            # The differences, and the value twice (a function that changes between calls).
            "evaluations": estimate.evaluations + 2,
        },
    )
    note = (
        f"computed by finite differences (see error_estimate), because JAX cannot "
        f"differentiate the function: {cause.message}"
    )
    return dataclasses.replace(result, warnings=(note, *result.warnings))


def differences_scheme(command: str) -> tuple[str, Callable[..., Any]]:
    """The scheme for ``command`` in words, and the layout of its result.

    >>> differences_scheme("grad")[0], differences_scheme("hessian")[0]
    ('central differences', 'second differences')
    """
    if command == "hessian":
        return "second differences", hessian_layout
    return "central differences", unflatten_jacobian


def hessian_layout(problem: Problem, matrix: np.ndarray) -> object:
    """The ``(n, n)`` Hessian of a scalar function in the layout of ``hessian``: one argument,
    ``shape + shape``; several, a dict of dicts by argument (rows, then columns)."""
    rows, start = [], 0
    for primal in problem.primals:
        size = int(np.size(primal))
        as_output = dataclasses.replace(problem, out_shape=tuple(np.shape(primal)))
        rows.append(unflatten_jacobian(as_output, np.asarray(matrix)[start : start + size]))
        start += size
    return rows[0] if len(rows) == 1 else dict(zip(problem.wrt, rows, strict=True))
