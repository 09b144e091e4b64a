"""A check from start to end: the AD derivative the user gets, every reference asked for,
the diagnoses, and whether it passed; as ``jaccli check`` (the Jacobian or Hessian with its
report) and as ``--check`` (any derivative command's result with its report under ``check``)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from .. import _operations, _symbolic
from .._problem import DEFAULT_MAX_BYTES, Problem, guard_user_code
from ..errors import UsageError
from .derivatives import derivatives, require_autodiff
from .diagnoses import FAILING_KINDS, diagnose
from .references import (
    central_reference,
    complex_step_reference,
    start_sympy,
    sympy_reference,
    unreliable_differences,
)
from .report import REFERENCES, Report, parse_against, tolerances


def preload(against: str | None) -> None:
    """Before the function loads: make ready the libraries the references named by ``against``
    (as `parse_against` reads it) will use.

    SymPy's reference gets a process of its own (`jaccli._symbolic.start`), which imports SymPy
    while this one imports JAX; where none can be forked, SymPy is imported here, where the
    console's garbage collector, paused until JAX is in, then freezes it with JAX
    (`jaccli._runtime.collector`).
    """
    try:
        names = parse_against(against)
    except UsageError:
        return  # refused where the check reads its options, in their order
    if "sympy" in names:
        _symbolic.start()


def run_check(
    problem: Problem,
    ad_result: Any,
    *,
    command: str = "jacobian",
    v: Any = None,
    rtol: float | None = None,
    atol: float | None = None,
    against: Sequence[str] = REFERENCES,
    mode: str = "",
    value: Any = None,
) -> Report:
    """Compare the AD result of ``command`` (``ad_result``, as the API returns it) with every
    reference asked for, and diagnose what is wrong. ``mode`` is the mode AD took (a second
    derivative's references differentiate the gradient the way AD took it); ``value`` is the
    function's value computed beside it, if it was."""
    import jax

    from .._derivatives import fd

    if problem.kind != "real":
        raise UsageError(
            "check supports real functions of real inputs only; this one has complex values",
            hint="check the real and imaginary parts as separate real functions",
        )
    rtol, atol = tolerances(problem.dtype, rtol, atol, problem.labels)
    with guard_user_code(problem.function), jax.default_device(problem.device):
        d = derivatives(problem, command, ad_result, v, mode, value)
        # SymPy's derivative is started first and collected last: where it has a process of
        # its own, it is computed there while the differences are computed here.
        pending = start_sympy(problem, d) if "sympy" in against else None
        try:
            central, sides = fd.central_and_one_sided(d.fn, d.point)
            computed = {}
            for name in against:
                if name == "central_richardson":
                    computed[name] = central_reference(d, central, rtol, atol)
                elif name == "complex_step":
                    computed[name] = complex_step_reference(d, rtol, atol, problem.function.path)
            if "sympy" in against:
                computed["sympy"] = sympy_reference(problem, d, pending, rtol, atol)
        finally:
            if pending is not None:
                pending.close()
        references = [computed[name] for name in against]
        references = unreliable_differences(d, central, references, rtol, atol)
        diagnoses = diagnose(problem, d, central, sides, references, rtol, atol)
    passed = (
        any(r.passed for r in references)
        and not any(r.passed is False for r in references)
        and not any(diag.kind in FAILING_KINDS for diag in diagnoses)
    )
    return Report(d.order, passed, rtol, atol, tuple(references), tuple(diagnoses))


def check_at(
    problem: Problem,
    *,
    order: int = 1,
    rtol: float | None = None,
    atol: float | None = None,
    against: Sequence[str] = REFERENCES,
    mode: str = "auto",
    max_bytes: int | None = None,
) -> Any:
    """``jaccli check``: the AD Jacobian (or Hessian, for ``order=2``) and how it compares.

    Returns:
        a `DerivativeResult` with ``command="check"`` whose JSON adds ``passed``, ``order``,
        ``references`` and ``diagnoses`` (SPEC §8).
    """
    if order not in (1, 2):
        raise UsageError(f"{problem.labels('order')} must be 1 or 2, got {order}")
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    command = "jacobian" if order == 1 else "hessian"
    result = _operations.run(problem, command, mode=mode, max_bytes=limit)
    report = check_of(problem, result, rtol, atol, against)
    return dataclasses.replace(
        result, command="check", extra={**result.extra, **report.to_dict()}, nonfinite=0
    )


def with_check(
    problem: Problem,
    result: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    against: Sequence[str] = REFERENCES,
) -> Any:
    """``--check``: the result of a derivative command with its check report under ``check``."""
    report = check_of(problem, result, rtol, atol, against)
    return dataclasses.replace(result, extra={**result.extra, "check": report.to_dict()})


def check_of(
    problem: Problem,
    result: Any,
    rtol: float | None,
    atol: float | None,
    against: Sequence[str],
) -> Report:
    """The check report of a derivative command's `DerivativeResult` (an AD result only)."""
    require_autodiff(result, problem.labels)
    return run_check(
        problem,
        result.result,
        command=result.command,
        v=result.v,
        rtol=rtol,
        atol=atol,
        against=against,
        mode=result.mode,
        value=result.value,
    )
