"""Sparse Jacobians and Hessians (``--sparse``): a summary table, COO as CSV, SciPy's .npz and
Matrix Market.

There is no .npy or LaTeX form: a dense copy of a matrix worth ``--sparse`` could be far larger
than the limit that guarded its computation.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import UsageError
from ..results import DerivativeResult, SparseJacobian, input_labels, output_labels
from .console import strip_padding, text_console
from .formats import matrix_market_comment, to_matrix_market_text, unknown_format
from .matrix import Matrix
from .messages import escape
from .notation import format_number
from .tables import (
    MAX_TABLE_CELLS,
    check_section,
    full_table,
    header_lines,
    sparsity_picture,
    table_width,
)

# A sparse table lists at most this many entries; the files and JSON have them all.
MAX_SPARSE_ENTRIES = 12


def render_sparse(
    result: DerivativeResult, fmt: str, color: bool = False, width: int = 100
) -> str | bytes:
    """A sparse Jacobian or Hessian as a summary table, COO CSV (``row,col,value``), SciPy's
    ``.npz`` or Matrix Market."""
    sparse: SparseJacobian = result.result
    if fmt == "table":
        return to_sparse_table_text(result, color=color, width=width)
    if fmt == "csv":
        return _coo_csv_text(sparse)
    if fmt == "npz":
        return to_csr_npz_bytes(sparse)
    if fmt == "mtx":
        symmetric = result.command == "hessian"
        return to_matrix_market_text(sparse, matrix_market_comment(result), symmetric)
    if fmt in ("npy", "latex"):
        holds = ".npy, which holds one dense array" if fmt == "npy" else "LaTeX, a dense matrix"
        raise UsageError(
            f"a sparse matrix is not written as {holds}",
            hint="write --output J.npz (SciPy sparse) or J.mtx (Matrix Market), or --format "
            "json or csv; drop --sparse for a dense result",
        )
    raise unknown_format(fmt)


def to_csr_npz_bytes(sparse: SparseJacobian) -> bytes:
    """The matrix as ``scipy.sparse.save_npz`` writes a CSR array (``load_npz`` reads it back as
    one), written with NumPy alone: the format is a plain .npz of the CSR arrays, and SciPy's
    import would cost more than writing a big matrix. Uncompressed, as ``save_npz(...,
    compressed=False)``: zlib would take longer than computing a big matrix, to save little."""
    fits = max(sparse.nnz, *sparse.shape) < np.iinfo(np.int32).max
    index = np.int32 if fits else np.int64  # SciPy's choice of index type
    buffer = io.BytesIO()
    np.savez(
        buffer,
        indices=sparse.cols.astype(index),
        indptr=sparse.indptr().astype(index),
        format=np.array(b"csr"),
        shape=np.array(sparse.shape),
        data=sparse.values,
        _is_array=np.array(True),
    )
    return buffer.getvalue()


def _coo_csv_text(sparse: SparseJacobian) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["row", "col", "value"])
    writer.writerows(
        zip(
            sparse.rows.tolist(),
            sparse.cols.tolist(),
            map(repr, sparse.values.tolist()),
            strict=True,
        )
    )
    return buffer.getvalue()


def _entry_label(base: str, shape: tuple[int, ...], flat: int) -> str:
    if not shape:
        return base
    return base + "[" + ",".join(map(str, np.unravel_index(flat, shape))) + "]"


def column_label(sparse: SparseJacobian, column: int) -> str:
    """The input entry a column of the flat Jacobian stands for, such as ``W[1,1]``."""
    offsets = [offset for _, _, offset in sparse.blocks]
    k = int(np.searchsorted(offsets, column, side="right")) - 1
    name, shape, offset = sparse.blocks[k]
    return _entry_label(name, tuple(shape), column - offset)


def to_sparse_table_text(result: DerivativeResult, color: bool = False, width: int = 100) -> str:
    """The summary of a sparse Jacobian: shape, nnz, density and colours; the whole matrix when
    it is small, else its sparsity picture and the first entries."""
    from rich.text import Text

    sparse: SparseJacobian = result.result
    sparsity = result.extra["sparsity"]
    m, n = sparse.shape
    buffer = io.StringIO()
    console = text_console(buffer, color, width)
    for style, line in header_lines(result):
        console.print(Text(line, style=style or ""))
    magnitude = np.abs(sparse.values)
    finite = np.isfinite(magnitude)
    largest = ""
    if sparse.nnz:
        top = format_number(magnitude[finite].max()) if finite.any() else "nan"
        largest = f", max |entry| {top}"
    hessian = result.command == "hessian"
    axes = "symmetric, inputs × inputs" if hessian else "outputs × inputs"
    console.print(
        Text(
            f"{m:,} × {n:,} sparse matrix ({axes}), {sparse.nnz:,} structural "
            f"nonzeros ({100.0 * sparsity['density']:.3g}%){largest}"
        )
    )
    console.print(Text(_colours_line(sparsity)))
    whole = False
    if m * n <= MAX_TABLE_CELLS:
        view, structural = _dense_view(result)
        whole = table_width(view) <= console.width
        if whole:
            console.print(full_table(view, structural))
    for renderable in () if whole else _first_entries(sparse, hessian):
        console.print(renderable)
    report = result.check_report
    for renderable in check_section(report) if report is not None else ():
        console.print(renderable)
    return strip_padding(buffer.getvalue())


def _colours_line(sparsity: dict[str, Any]) -> str:
    colors = sparsity["colors"]
    if isinstance(colors, int):
        return f"colours: {colors:,} ({sparsity['method']}, {sparsity['recovery']} recovery)"
    return (
        f"colours: {colors['forward']:,} column (forward), {colors['reverse']:,} row "
        f"(reverse); used {sparsity['direction']}"
    )


def _dense_view(result: DerivativeResult) -> tuple[Matrix, np.ndarray]:
    """A small sparse matrix as a dense labelled matrix, and the mask of its structure."""
    sparse: SparseJacobian = result.result
    dense = np.zeros(sparse.shape, dtype=sparse.values.dtype)
    dense[sparse.rows, sparse.cols] = sparse.values
    structural = np.zeros(sparse.shape, dtype=bool)
    structural[sparse.rows, sparse.cols] = True
    inputs = input_labels(result.wrt, result.at)
    rows = inputs if result.command == "hessian" else output_labels(sparse.output_shape)
    return Matrix(rows, inputs, dense), structural


def _first_entries(sparse: SparseJacobian, hessian: bool) -> Iterator[Any]:
    """The sparsity picture and the first MAX_SPARSE_ENTRIES entries, labelled."""
    from rich.table import Table
    from rich.text import Text

    yield Text("sparsity (█ structural nonzero, · zero):", style="dim")
    yield Text(sparsity_picture(sparse.rows, sparse.cols, sparse.shape))
    shown = min(sparse.nnz, MAX_SPARSE_ENTRIES)
    yield Text(f"first {shown} of {sparse.nnz:,} entries:", style="dim")
    table = Table(box=None, header_style="bold", pad_edge=False)
    for title in ("row", "column", "value"):
        table.add_column(title, justify="right" if title == "value" else "left")
    for i, j, value in zip(
        sparse.rows[:shown].tolist(),
        sparse.cols[:shown].tolist(),
        sparse.values[:shown].tolist(),
        strict=True,
    ):
        row = column_label(sparse, i) if hessian else _entry_label("f", sparse.output_shape, i)
        table.add_row(
            Text(escape(row)),
            Text(escape(column_label(sparse, j))),
            format_number(value),
        )
    yield table
    if sparse.nnz > shown:
        name = "H" if hessian else "J"
        yield Text(
            f"all entries: --format json or csv, or --output {name}.npz or {name}.mtx", style="dim"
        )
