"""The whole output for any result in a chosen format: the one place that picks the renderer."""

from __future__ import annotations

from ..errors import UsageError
from ..results import (
    DerivativeResult,
    InfoResult,
    SensitivityResult,
    SparseJacobian,
    SymbolicResult,
)
from .formats import (
    matrix_market_comment,
    to_csv_text,
    to_json_text,
    to_latex_text,
    to_matrix_market_text,
    to_npy_bytes,
    to_npz_bytes,
    unknown_format,
)
from .matrix import matrix_view


def render(
    result: DerivativeResult | InfoResult, fmt: str, color: bool = False, width: int = 100
) -> str | bytes:
    """The whole output for ``result`` in format ``fmt``: text, or bytes for npy/npz.

    Each kind of result's renderer is imported when one is rendered: a run pays for its own.
    """
    if fmt == "json":
        return to_json_text(result)
    if isinstance(result, SensitivityResult):
        from .sensitivity import to_sensitivity_text

        return to_sensitivity_text(result, fmt, color=color, width=width)
    if isinstance(result, SymbolicResult):
        from .symbolic import to_symbolic_text

        return to_symbolic_text(result, fmt, color=color, width=width)
    if isinstance(result, DerivativeResult) and isinstance(result.result, SparseJacobian):
        from .sparse import render_sparse

        return render_sparse(result, fmt, color=color, width=width)
    if fmt == "table":
        from .tables import to_table_text

        return to_table_text(result, color=color, width=width)
    if isinstance(result, InfoResult):
        raise UsageError(f"info has no {fmt} form", hint="use --format table or json")
    if fmt not in _WRITERS:
        raise unknown_format(fmt)
    return _WRITERS[fmt](result)


def _matrix_market(result: DerivativeResult) -> str:
    return to_matrix_market_text(matrix_view(result).data, matrix_market_comment(result))


# How a derivative at one point is written, by format.
_WRITERS = {
    "csv": to_csv_text,
    "latex": to_latex_text,
    "npy": to_npy_bytes,
    "npz": to_npz_bytes,
    "mtx": _matrix_market,
}
