"""Machine formats: JSON, CSV, LaTeX, .npy, .npz and Matrix Market, and the format a file
name's suffix implies.

Every writer returns the whole output as text or bytes, so nothing reaches stdout or a file
until it is complete; a .npy may also come as pieces (`npy_pieces`), the array's own memory
after its header, so that a large derivative is written without a copy of it in memory.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import MissingExtraError, UsageError
from ..results import DerivativeResult, InfoResult, SparseJacobian
from .matrix import TITLES, checked_derivative, matrix_view, result_arrays
from .messages import csv_text, escape
from .notation import exact_number

FORMATS = ("table", "json", "csv", "npy", "npz", "latex", "mtx")
SUFFIX_FORMATS = {
    ".json": "json",
    ".csv": "csv",
    ".npy": "npy",
    ".npz": "npz",
    ".tex": "latex",
    ".txt": "table",
    ".mtx": "mtx",
}
BINARY_FORMATS = ("npy", "npz")


def format_for_path(path: str) -> str:
    """The output format implied by a file name's suffix.

    >>> format_for_path("J.TEX")
    'latex'
    """
    for suffix, fmt in SUFFIX_FORMATS.items():
        if path.lower().endswith(suffix):
            return fmt
    raise UsageError(
        f"cannot tell the format of --output {escape(path)} from its suffix",
        hint="use one of " + ", ".join(SUFFIX_FORMATS) + " or pass --format",
    )


def to_json_text(result: DerivativeResult | InfoResult) -> str:
    """Strict JSON (one line); ``allow_nan=False`` is the final guard against NaN slipping out."""
    return json.dumps(result.to_dict(), allow_nan=False, ensure_ascii=False) + "\n"


def to_csv_text(result: DerivativeResult) -> str:
    """The labelled matrix as CSV: a header of input labels, then one labelled row per output."""
    result = checked_derivative(result)
    view = matrix_view(result)
    corner = "output" if result.command in ("jacobian", "jvp") else "input"
    rows = (
        [label, *(exact_number(x) for x in row)]
        for label, row in zip(view.rows, view.data, strict=True)
    )
    return csv_text([[corner, *view.columns], *rows])


def to_latex_text(result: DerivativeResult) -> str:
    """The matrix as a LaTeX ``bmatrix``, entries to six significant digits."""
    view = matrix_view(result)
    lines = [" & ".join(_latex_number(x) for x in row) + r" \\" for row in view.data]
    return "\\begin{bmatrix}\n" + "\n".join(lines) + "\n\\end{bmatrix}\n"


def _latex_number(x: Any) -> str:
    if np.iscomplexobj(x):
        return f"{x.real:.6g} {'+' if x.imag >= 0 else '-'} {abs(x.imag):.6g}i"
    return f"{float(x):.6g}"


def to_npy_bytes(result: DerivativeResult) -> bytes:
    """The result as one .npy array; UsageError when it has several parts."""
    return b"".join(npy_pieces(result))


NPY_PIECE = 16 * 2**20  # bytes per piece, as NumPy's own writer uses


def npy_pieces(result: DerivativeResult) -> Iterator[bytes | memoryview]:
    """The bytes of `to_npy_bytes` (those of ``np.save``) in pieces: the header, then views of
    the array's memory, copied nowhere. UsageError, before any piece, when it has several
    parts."""
    if isinstance(result.result, dict):
        raise UsageError(
            "the result has several parts (" + ", ".join(result_arrays(result)) + "); "
            ".npy holds one array",
            hint="write .npz (--output result.npz) or choose one argument with --wrt",
        )
    array = np.asarray(result.result, order="C")
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, np.lib.format.header_data_from_array_1_0(array))
    return _pieces(header.getvalue(), memoryview(array.reshape(-1).view(np.uint8)))


def _pieces(header: bytes, data: memoryview) -> Iterator[bytes | memoryview]:
    yield header
    for start in range(0, len(data), NPY_PIECE):
        yield data[start : start + NPY_PIECE]


def to_npz_bytes(result: DerivativeResult) -> bytes:
    """The result's arrays in one .npz, keyed by argument (``params.w`` for nested ones)."""
    buffer = io.BytesIO()
    np.savez(buffer, **result_arrays(result))
    return buffer.getvalue()


def to_matrix_market_text(matrix: Any, comment: str = "", symmetric: bool = False) -> str:
    """A matrix (dense, SciPy sparse or a `SparseJacobian`) in Matrix Market coordinate form;
    values round-trip. A ``symmetric`` one is written as such (its lower triangle only)."""
    try:
        import scipy.io
        import scipy.sparse as sp
    except ImportError:
        raise MissingExtraError(
            "Matrix Market (.mtx) output needs SciPy, which is not installed",
            hint="pip install 'jaccli[sparse]', or write .npz or JSON",
        ) from None

    if isinstance(matrix, SparseJacobian):
        matrix = matrix.to_scipy()
    buffer = io.BytesIO()
    symmetry = "symmetric" if symmetric else None
    scipy.io.mmwrite(buffer, sp.coo_array(matrix), comment=_ascii(comment), symmetry=symmetry)
    return buffer.getvalue().decode("ascii")


def _ascii(text: str) -> str:
    """Matrix Market files are ASCII: ``J·v`` is written ``J*v``, ``vᵀ`` is ``v^T``."""
    text = text.replace("·", "*").replace("ᵀ", "^T")
    return text.encode("ascii", "replace").decode("ascii")


def matrix_market_comment(result: DerivativeResult) -> str:
    """The comment line of a Matrix Market file: what the matrix is and how it is laid out."""
    command = checked_derivative(result).command
    title = TITLES.get(command, result.command)
    rows = (
        "and columns are the inputs"
        if command == "hessian"
        else "are the outputs, columns the inputs"
    )
    return (
        f"jaccli: {title} of {escape(result.function.source)}; rows {rows}, both flat in "
        "row-major order (see jaccli's README)"
    )


def unknown_format(fmt: str) -> UsageError:
    """The error for a format no renderer knows."""
    return UsageError(f"unknown format {fmt!r}", hint="formats: " + ", ".join(FORMATS))
