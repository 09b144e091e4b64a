"""Batches: a per-point summary table, and stacked results (a leading batch axis) as CSV, .npy,
.npz or Matrix Market (one row per point)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from ..errors import UsageError
from ..results import DerivativeResult
from .console import strip_padding, text_console
from .formats import to_matrix_market_text, to_npy_bytes, to_npz_bytes
from .matrix import TITLES, result_arrays
from .messages import csv_text, escape
from .notation import exact_number, format_number, format_point, format_value


def to_batch_csv_text(result: DerivativeResult) -> str:
    """One row per point: its index, then every entry of its result, flattened in C order."""
    arrays = result_arrays(result)
    header = ["index"]
    for name, array in arrays.items():
        header += [
            f"{name}[{','.join(map(str, i))}]" if i else name for i in np.ndindex(array.shape[1:])
        ]
    rows = ([i, *(exact_number(x) for x in row)] for i, row in enumerate(_rows(arrays)))
    return csv_text([header, *rows])


def to_batch_matrix_market_text(result: DerivativeResult) -> str:
    """One row per point, every entry of its result flattened in C order, as in the CSV."""
    title = TITLES.get(result.command, result.command)
    comment = (
        f"jaccli: {title} of {escape(result.function.source)} at {len(result.value)} points; "
        "row i is point i's result, flat in row-major order (see jaccli's README)"
    )
    return to_matrix_market_text(_rows(result_arrays(result)), comment)


def _rows(arrays: dict[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([array.reshape(array.shape[0], -1) for array in arrays.values()], axis=1)


BATCH_WRITERS = {
    "csv": to_batch_csv_text,
    "npy": to_npy_bytes,
    "npz": to_npz_bytes,
    "mtx": to_batch_matrix_market_text,
}


def render_batch(result: DerivativeResult, fmt: str) -> str | bytes:
    """A stacked batch result (leading batch axis) as csv, npy, npz or mtx."""
    if fmt not in BATCH_WRITERS:
        raise UsageError(
            f"a batch cannot be written as {fmt!r}", hint="use json, table, csv, npy, npz or mtx"
        )
    return BATCH_WRITERS[fmt](result)


def _batch_cell(result: Any) -> str:
    """A point's result in a cell: its entries when few, else its shape and norm."""
    if isinstance(result, dict):
        return ", ".join(f"{escape(str(k))}: {_batch_cell(v)}" for k, v in result.items())
    array = np.asarray(result)
    if array.size <= 6:
        return format_value(array, 6)
    finite = np.abs(array[np.isfinite(array)])
    return f"{array.shape} norm {format_number(np.sqrt(np.sum(finite**2)))}"


def to_batch_table_text(
    records: list[DerivativeResult],
    indices: list[int],
    total: int,
    color: bool = False,
    width: int = 100,
) -> str:
    """A per-point summary of a batch: index, point, value and the result (or its norm)."""
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = text_console(buffer, color, width)
    first = records[0]
    title = TITLES[first.command]
    console.print(
        Text(f"{title} of {escape(first.function.source)} at {total} points", style="bold")
    )
    console.print(Text(f"mode: {first.mode} — {first.mode_reason}", style="dim"))
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for label in ("index", "point", "f", first.command):
        table.add_column(label, justify="right" if label == "index" else "left")
    for index, record in zip(indices, records, strict=True):
        table.add_row(
            str(index),
            Text(escape(format_point(record.at))),
            Text(format_value(record.value, 4)),
            Text(_batch_cell(record.result)),
        )
    console.print(table)
    if total > len(records):
        console.print(Text(f"(first {len(records)} of {total} points shown)", style="dim"))
    return strip_padding(buffer.getvalue())
