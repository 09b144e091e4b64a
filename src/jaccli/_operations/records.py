"""Result records of one point: the problem's labels and warnings, and the count of NaN or inf
entries, around a derivative's value and result."""

from __future__ import annotations

from typing import Any

from .._problem import Problem, to_numpy
from ..results import DerivativeResult, count_nonfinite

NOT_COMPILED = (
    "the function uses Python control flow on values and could not be compiled; "
    "computed eagerly at this point"
)


def nonfinite_entries(count: int) -> str:
    """``count`` NaN or inf entries, in words.

    >>> nonfinite_entries(1)
    '1 non-finite entry (NaN or inf)'
    """
    return f"{count} non-finite entr{'y' if count == 1 else 'ies'} (NaN or inf)"


def nonfinite_warning(count: int) -> str:
    """The warning for ``count`` NaN or inf entries of a result."""
    return f"{nonfinite_entries(count)}, written as null in JSON"


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
