"""One point: run a command's plan at the problem's point and pack a `DerivativeResult`."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from .._problem import Problem, tracing_failure
from ..errors import FunctionError
from ..results import DerivativeResult
from .plans import Plan, plan
from .records import result_record

if TYPE_CHECKING:
    from .workers import Workers


def run(
    problem: Problem,
    command: str,
    *,
    value: bool = True,
    workers: Workers | None = None,
    sparse: bool = False,
    **options: Any,
) -> DerivativeResult:
    """``command`` at the problem's point; ``options`` are the plan's (mode, max_bytes, vector).
    ``value=False`` leaves the function's value out where the command can (grad, hvp), for
    outputs that do not show it. ``sparse`` (jacobian, hessian) computes the derivative from its
    detected sparsity pattern instead, as a `SparseJacobian`.

    A Jacobian or gradient of a function JAX cannot trace falls back to finite differences,
    their points spread over ``workers`` when given.
    """
    # What only some runs need (sparsity, the fallback, its worker processes) is imported when
    # a run needs it.
    if sparse:
        from .sparse import sparse_at

        return sparse_at(problem, command, **options)
    the_plan = plan(problem, command, **options)
    try:
        derivative = problem.run(
            lambda: the_plan.derivative(problem.values, the_plan.vector, value)
        )
    except FunctionError as exc:
        if not (the_plan.finite_differences and tracing_failure(exc.__cause__)):
            raise
        from .finite_differences import finite_differences_at

        return finite_differences_at(problem, command, exc, workers)
    result = finish(problem, the_plan, derivative)
    if workers is not None and workers.parallel:
        from .workers import traced_note

        result = dataclasses.replace(result, warnings=(traced_note(workers), *result.warnings))
    return result


def finish(problem: Problem, the_plan: Plan, derivative: Any, **fields: Any) -> DerivativeResult:
    """The result record of a plan's derivative at the problem's point."""
    return result_record(
        problem,
        command=the_plan.command,
        mode=the_plan.mode,
        reason=the_plan.reason,
        value=derivative.value,
        result=the_plan.shape(derivative.result),
        compiled=derivative.compiled,
        v=the_plan.v,
        holomorphic=the_plan.holomorphic,
        **fields,
    )
