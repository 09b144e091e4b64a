"""Tables for people: a derivative as a labelled matrix (or, when big, its summary and sparsity
picture), the report of its check, and the facts of ``info``.

rich is imported inside the functions to keep ``jaccli --help`` fast.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..results import DerivativeResult, InfoResult
from .console import strip_padding, text_console
from .matrix import TITLES, Matrix, checked_derivative, matrix_view
from .messages import escape
from .notation import format_number, format_point, format_value

# A table beyond this many cells (or columns) is summarised instead of printed in full.
MAX_TABLE_CELLS = 400
PICTURE_WIDTH = 64
PICTURE_HEIGHT = 24


def header_lines(result: DerivativeResult | InfoResult) -> Iterator[tuple[str, str]]:
    """``(style, line)`` above a result's table: what was computed where, f, v and the mode."""
    fn = result.function
    if isinstance(result, InfoResult):
        title = "info"
    elif result.command == "check":
        title = "check of the " + TITLES[checked_derivative(result).command]
    else:
        title = TITLES[result.command]
    yield ("bold", f"{title} of {escape(fn.source)} at {escape(format_point(result.at))}")
    if isinstance(result, DerivativeResult):
        yield ("", f"f = {format_value(result.value)}")
        if result.v is not None:
            v = result.v
            yield ("", f"v = {escape(format_point(v)) if isinstance(v, dict) else format_value(v)}")
        if result.holomorphic:
            yield ("yellow", "the function is treated as holomorphic (complex in, complex out)")
        yield ("dim", f"mode: {result.mode} — {result.mode_reason}")


def to_table_text(
    result: DerivativeResult | InfoResult, color: bool = False, width: int = 100
) -> str:
    """A labelled table (or, for big results, a summary with a sparsity picture)."""
    from rich.text import Text

    buffer = io.StringIO()
    console = text_console(buffer, color, width)
    for style, line in header_lines(result):
        console.print(Text(line, style=style or ""))
    if isinstance(result, InfoResult):
        console.print(_info_table(result))
        return strip_padding(buffer.getvalue())
    view = matrix_view(result)
    transposed = Matrix(view.columns, view.rows, view.data.T)
    if view.data.size <= MAX_TABLE_CELLS and table_width(view) <= console.width:
        console.print(full_table(view))
    elif view.data.size <= MAX_TABLE_CELLS and table_width(transposed) <= console.width:
        console.print(Text("(transposed: inputs as rows, outputs as columns)", style="dim"))
        console.print(full_table(transposed))
    else:
        for renderable in _summary(view):
            console.print(renderable)
    report = result.check_report
    if report is not None:
        for renderable in check_section(report):
            console.print(renderable)
    return strip_padding(buffer.getvalue())


def table_width(view: Matrix) -> int:
    """The width a full table needs: the widest label or number in each column, plus spacing."""
    label_width = max((len(label) for label in view.rows), default=0)
    widths = [
        max([len(label), *(len(format_number(x)) for x in view.data[:, j])])
        for j, label in enumerate(view.columns)
    ]
    return label_width + sum(widths) + 2 * len(widths)


def full_table(view: Matrix, structural: np.ndarray | None = None) -> Any:
    """Every cell, labelled; with a ``structural`` mask, cells outside it are shown as ·."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("", style="bold", no_wrap=True)
    for label in view.columns:
        table.add_column(Text(escape(label)), justify="right", no_wrap=True)
    for i, (label, row) in enumerate(zip(view.rows, view.data, strict=True)):
        cells = [
            Text("·", style="dim")
            if structural is not None and not structural[i, j]
            else Text(format_number(x), style="dim" if x == 0 else "")
            for j, x in enumerate(row)
        ]
        table.add_row(Text(escape(label)), *cells)
    return table


def _summary(view: Matrix) -> Iterator[Any]:
    """A big matrix in brief: its size and norms, its sparsity picture, its largest entries."""
    from rich.table import Table
    from rich.text import Text

    data = view.data
    magnitude = np.abs(data)
    finite = np.isfinite(magnitude)
    nnz = int(np.count_nonzero(data))
    yield Text(
        f"{len(view.rows)} × {len(view.columns)} matrix, {nnz:,} nonzero "
        f"({100.0 * nnz / max(data.size, 1):.3g}%), max |entry| "
        f"{format_number(magnitude[finite].max()) if finite.any() else 'nan'}, "
        f"Frobenius norm {format_number(np.sqrt(np.sum(magnitude[finite] ** 2)))}"
    )
    yield Text("sparsity (█ nonzero, · zero):", style="dim")
    yield Text(sparsity_picture(*np.nonzero(data), data.shape))
    order = np.argsort(np.where(finite, magnitude, np.inf).reshape(-1))[::-1][:10]
    table = Table(title="largest entries", box=None, header_style="bold")
    table.add_column("row")
    table.add_column("column")
    table.add_column("value", justify="right")
    for flat in order:
        i, j = divmod(int(flat), data.shape[1])
        if data[i, j] == 0:
            break
        table.add_row(
            Text(escape(view.rows[i])), Text(escape(view.columns[j])), format_number(data[i, j])
        )
    yield table


def sparsity_picture(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> str:
    """At most PICTURE_HEIGHT × PICTURE_WIDTH cells, each █ when its block holds an entry.

    >>> print(sparsity_picture(np.array([0, 1]), np.array([0, 2]), (2, 3)))
    █··
    ··█
    """
    m, n = shape
    h, w = min(m, PICTURE_HEIGHT), min(n, PICTURE_WIDTH)
    row_edges = np.linspace(0, m, h + 1).astype(int)
    col_edges = np.linspace(0, n, w + 1).astype(int)
    grid = np.zeros((h, w), dtype=bool)
    grid[
        np.searchsorted(row_edges, rows, side="right") - 1,
        np.searchsorted(col_edges, cols, side="right") - 1,
    ] = True
    return "\n".join("".join("█" if cell else "·" for cell in line) for line in grid)


def check_section(report: dict[str, Any]) -> Iterator[Any]:
    """The references side by side with their worst entries, and the diagnoses in words."""
    from rich.table import Table
    from rich.text import Text

    verdict = "passed" if report["passed"] else "FAILED"
    yield Text("")
    yield Text(
        f"check (order {report['order']}, rtol {report['rtol']:g}, atol {report['atol']:g}): "
        f"{verdict}",
        style="bold green" if report["passed"] else "bold red",
    )
    table = Table(box=None, header_style="bold", pad_edge=False)
    for title in ("reference", "max abs err", "max rel err", "error est.", "worst entry", "AD"):
        table.add_column(
            title, justify="left" if title in ("reference", "worst entry") else "right"
        )
    table.add_column("ref.", justify="right")
    table.add_column("")
    missing = []
    for ref in report["references"]:
        if not ref["available"]:
            missing.append(Text(f"{ref['name']}: not available: {escape(ref['reason'] or '')}"))
            continue
        if ref["passed"] is None:
            missing.append(Text(f"{ref['name']}: {escape(ref['reason'] or '')}", style="yellow"))
        worst = ref["worst"] or {}
        table.add_row(
            Text(ref["name"]),
            _fmt_error(ref["max_abs_err"]),
            _fmt_error(ref["max_rel_err"]),
            _fmt_error(ref["error_estimate"]) if ref["error_estimate"] is not None else "—",
            Text(escape("[" + ", ".join(str(i) for i in worst.get("index", [])) + "]")),
            _fmt_value_10(worst.get("ad")),
            _fmt_value_10(worst.get("reference")),
            _verdict(ref["passed"]),
        )
    if table.row_count:
        yield table
    yield from missing
    for diagnosis in report["diagnoses"]:
        yield Text(f"{diagnosis['kind']}: {escape(diagnosis['message'])}", style="yellow")


def _verdict(passed: bool | None) -> Any:
    """A reference's verdict: ok, MISMATCH, or unreliable (neither passed nor failed)."""
    from rich.text import Text

    if passed is None:
        return Text("unreliable", style="yellow")
    return Text("ok" if passed else "MISMATCH", style="green" if passed else "red")


def _fmt_error(x: float | None) -> str:
    return "nan/inf" if x is None else f"{x:.3g}"


def _fmt_value_10(x: float | None) -> str:
    return "nan/inf" if x is None else f"{x:.10g}"


def _info_table(result: InfoResult) -> Any:
    """The facts of ``info``: inputs and output with shapes, sizes, sparsity, mode and device."""
    from rich.table import Table
    from rich.text import Text

    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    for inp in result.function.inputs:
        differentiated = "" if inp.name in result.wrt else "  (held fixed)"
        table.add_row(
            Text(f"input {escape(inp.name)}"),
            Text(f"shape {_shape_text(inp.shape)}, {inp.dtype}{differentiated}"),
        )
    table.add_row(
        "output",
        f"shape {_shape_text(result.function.output_shape)}, {result.function.output_dtype}",
    )
    table.add_row("n (inputs)", f"{result.n:,}")
    table.add_row("m (outputs)", f"{result.m:,}")
    table.add_row(
        "Jacobian", f"shape {_shape_text(result.jacobian_shape)}, {result.jacobian_bytes:,} bytes"
    )
    if result.hessian_bytes is not None:
        table.add_row("Hessian", f"{result.hessian_bytes:,} bytes")
    if result.sparsity is not None:
        sparsity = result.sparsity
        colors = sparsity["colors"]
        table.add_row(
            "sparsity",
            f"{sparsity['nnz']:,} structural nonzeros ({100.0 * sparsity['density']:.3g}%)",
        )
        table.add_row(
            "colours",
            f"forward {colors['forward']:,} (columns), reverse {colors['reverse']:,} (rows)",
        )
    if result.hessian_sparsity is not None:
        hessian = result.hessian_sparsity
        table.add_row(
            "Hessian sparsity",
            f"{hessian['nnz']:,} structural nonzeros ({100.0 * hessian['density']:.3g}%), "
            f"{hessian['colors']:,} colours ({hessian['method']}, {hessian['recovery']} "
            "recovery)",
        )
    table.add_row("mode", f"{result.mode}: {result.mode_reason}")
    table.add_row("dtype / device", f"{result.dtype} / {result.device}")
    return table


def _shape_text(shape: Any) -> str:
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{escape(k)}: {_shape_text(v)}" for k, v in shape.items()) + "}"
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"
