"""One point: run a command's plan at the problem's point and pack a `DerivativeResult`."""

from __future__ import annotations

from typing import Any

from .._problem import Problem, to_numpy, tracing_failure
from ..errors import FunctionError
from ..results import DerivativeResult, count_nonfinite
from .plans import Plan, plan

NOT_COMPILED = (
    "the function uses Python control flow on values and could not be compiled; "
    "computed eagerly at this point"
)


def nonfinite_warning(count: int) -> str:
    """The warning for ``count`` NaN or inf entries of a result."""
    return f"{count} non-finite entr{'y' if count == 1 else 'ies'} (NaN or inf), written as null in JSON"


def run(problem: Problem, command: str, *, value: bool = True, **options: Any) -> DerivativeResult:
    """``command`` at the problem's point; ``options`` are the plan's (mode, max_bytes, vector).
    ``value=False`` leaves the function's value out where the command can (grad, hvp), for
    outputs that do not show it.

    A Jacobian or gradient of a function JAX cannot trace falls back to finite differences.
    """
    the_plan = plan(problem, command, **options)
    try:
        derivative = problem.run(
            lambda: the_plan.derivative(problem.values, the_plan.vector, value)
        )
    except FunctionError as exc:
        if not (the_plan.finite_differences and tracing_failure(exc.__cause__)):
            raise
        from .finite_differences import finite_differences_at

        return finite_differences_at(problem, command, exc)
    return finish(problem, the_plan, derivative)


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


def result_record(
    problem: Problem,
    *,
    command: str,
    mode: str,
    reason: str,
    value: Any,
    result: Any,
    compiled: bool = True,
    **fields: Any,
) -> DerivativeResult:
    """A `DerivativeResult` with the problem's labels, warnings and count of non-finite entries."""
    warnings = list(problem.warnings)
    if not compiled:
        warnings.append(NOT_COMPILED)
    value = to_numpy(value)
    bad = count_nonfinite(result) + count_nonfinite(value)
    if bad:
        warnings.append(nonfinite_warning(bad))
    return DerivativeResult(
        command=command,
        function=problem.info(),
        at=problem.at(),
        value=value,
        mode=mode,
        mode_reason=reason,
        result=result,
        wrt=problem.wrt,
        dtype=problem.dtype,
        device=problem.device_name,
        warnings=tuple(warnings),
        nonfinite=bad,
        **fields,
    )
