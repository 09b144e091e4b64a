"""Render results: rich tables for people; JSON, CSV, LaTeX, .npy, .npz and Matrix Market for
programs.

Every renderer returns the whole output as text or bytes, so nothing reaches stdout or a file
until it is complete. This is the only module that uses rich, and it imports it inside functions
to keep ``jaccli --help`` fast.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import UsageError
from ..results import (
    Chart,
    DerivativeResult,
    InfoResult,
    SensitivityResult,
    SparseJacobian,
    SymbolicResult,
    input_labels,
    input_leaves,
    output_labels,
)

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

# A table beyond this many cells (or columns) is summarised instead of printed in full.
MAX_TABLE_CELLS = 400
PICTURE_WIDTH = 64
PICTURE_HEIGHT = 24

TITLES = {
    "jacobian": "Jacobian",
    "jvp": "Jacobian-vector product J·v",
    "vjp": "vector-Jacobian product vᵀ·J",
    "grad": "gradient",
    "hessian": "Hessian",
    "hvp": "Hessian-vector product H·v",
}


def format_for_path(path: str) -> str:
    """The output format implied by a file name's suffix."""
    for suffix, fmt in SUFFIX_FORMATS.items():
        if path.lower().endswith(suffix):
            return fmt
    raise UsageError(
        f"cannot tell the format of --output {escape(path)} from its suffix",
        hint="use one of " + ", ".join(SUFFIX_FORMATS) + " or pass --format",
    )


def escape(text: str) -> str:
    """Show user-supplied text safely: control and escape characters as \\x.. sequences."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


# --- the matrix view: labelled rows and columns for every command ---------------------------


@dataclass(frozen=True)
class Matrix:
    """A result laid out as a labelled 2-D matrix."""

    rows: list[str]
    columns: list[str]
    data: np.ndarray


def _lookup(tree: Any, path: tuple[str, ...], single: bool) -> Any:
    node = tree if single else tree[path[0]]
    for key in path[1:]:
        node = node[key]
    return node


def _checked_derivative(result: DerivativeResult) -> DerivativeResult:
    """A ``check`` result viewed as the derivative it checked (Jacobian or Hessian)."""
    if result.command != "check":
        return result
    import dataclasses

    return dataclasses.replace(
        result, command="jacobian" if result.extra.get("order", 1) == 1 else "hessian"
    )


def matrix_view(result: DerivativeResult) -> Matrix:
    """Lay any derivative out as rows × columns with labels (outputs and inputs)."""
    result = _checked_derivative(result)
    leaves = input_leaves(result.wrt, result.at)
    single = len(result.wrt) == 1
    out_shape = tuple(result.function.output_shape)
    m = int(np.prod(out_shape, dtype=np.int64))
    in_labels = input_labels(result.wrt, result.at)
    if result.command == "jacobian":
        blocks = [
            np.asarray(_lookup(result.result, path, single)).reshape(m, -1) for path, _ in leaves
        ]
        return Matrix(output_labels(out_shape), in_labels, np.concatenate(blocks, axis=1))
    if result.command in ("grad", "vjp", "hvp"):
        column = np.concatenate(
            [np.asarray(_lookup(result.result, path, single)).reshape(-1) for path, _ in leaves]
        )
        return Matrix(in_labels, [TITLES[result.command].split()[-1]], column.reshape(-1, 1))
    if result.command == "jvp":
        return Matrix(output_labels(out_shape), ["J·v"], np.asarray(result.result).reshape(-1, 1))
    if result.command == "hessian":
        rows = []
        for p, _ in leaves:
            outer = _lookup(result.result, (p[0],), single) if not single else result.result
            row_blocks = []
            for q, q_shape in leaves:
                block = outer if single else outer[q[0]]
                for key in p[1:]:
                    block = block[key]
                for key in q[1:]:
                    block = block[key]
                row_blocks.append(np.asarray(block).reshape(m, -1, int(np.prod(q_shape))))
            rows.append(np.concatenate(row_blocks, axis=2))
        stacked = np.concatenate(rows, axis=1)  # (m, n, n)
        if m == 1:
            return Matrix(in_labels, in_labels, stacked[0])
        row_labels = [f"{o} · {i}" for o in output_labels(out_shape) for i in in_labels]
        return Matrix(row_labels, in_labels, stacked.reshape(-1, len(in_labels)))
    raise ValueError(f"no matrix view for {result.command}")


# --- machine formats --------------------------------------------------------------------------


def to_json_text(result: DerivativeResult | InfoResult) -> str:
    """Strict JSON (one line); ``allow_nan=False`` is the final guard against NaN slipping out."""
    return json.dumps(result.to_dict(), allow_nan=False, ensure_ascii=False) + "\n"


def _number_text(x: Any) -> str:
    if isinstance(x, complex) or np.iscomplexobj(x):
        return repr(complex(x))
    return repr(float(x))


def to_csv_text(result: DerivativeResult) -> str:
    result = _checked_derivative(result)
    view = matrix_view(result)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    corner = "output" if result.command in ("jacobian", "jvp") else "input"
    writer.writerow([corner, *view.columns])
    for label, row in zip(view.rows, view.data, strict=True):
        writer.writerow([label, *(_number_text(x) for x in row)])
    return buffer.getvalue()


def to_latex_text(result: DerivativeResult) -> str:
    view = matrix_view(result)
    lines = [" & ".join(_latex_number(x) for x in row) + r" \\" for row in view.data]
    return "\\begin{bmatrix}\n" + "\n".join(lines) + "\n\\end{bmatrix}\n"


def _latex_number(x: Any) -> str:
    if np.iscomplexobj(x):
        return f"{x.real:.6g} {'+' if x.imag >= 0 else '-'} {abs(x.imag):.6g}i"
    return f"{float(x):.6g}"


def _result_arrays(result: DerivativeResult) -> dict[str, np.ndarray]:
    result = _checked_derivative(result)
    if not isinstance(result.result, dict):
        return {result.wrt[0] if result.command != "jvp" else "jvp": np.asarray(result.result)}
    arrays: dict[str, np.ndarray] = {}

    def walk(node: Any, prefix: str) -> None:
        for key, item in node.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(item, dict):
                walk(item, name)
            else:
                arrays[name] = np.asarray(item)

    walk(result.result, "")
    return arrays


def to_npy_bytes(result: DerivativeResult) -> bytes:
    if isinstance(result.result, dict):
        raise UsageError(
            "the result has several parts (" + ", ".join(_result_arrays(result)) + "); "
            ".npy holds one array",
            hint="write .npz (--output result.npz) or choose one argument with --wrt",
        )
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(result.result), allow_pickle=False)
    return buffer.getvalue()


def to_npz_bytes(result: DerivativeResult) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **_result_arrays(result))
    return buffer.getvalue()


def render(
    result: DerivativeResult | InfoResult, fmt: str, color: bool = False, width: int = 100
) -> str | bytes:
    """The whole output for ``result`` in format ``fmt``: text, or bytes for npy/npz."""
    if fmt == "json":
        return to_json_text(result)
    if isinstance(result, SensitivityResult):
        return to_sensitivity_text(result, fmt, color=color, width=width)
    if isinstance(result, SymbolicResult):
        return to_symbolic_text(result, fmt, color=color, width=width)
    if isinstance(result, DerivativeResult) and isinstance(result.result, SparseJacobian):
        return render_sparse(result, fmt, color=color, width=width)
    if fmt == "table":
        return to_table_text(result, color=color, width=width)
    if isinstance(result, InfoResult):
        raise UsageError(f"info has no {fmt} form", hint="use --format table or json")
    if fmt == "csv":
        return to_csv_text(result)
    if fmt == "latex":
        return to_latex_text(result)
    if fmt == "npy":
        return to_npy_bytes(result)
    if fmt == "npz":
        return to_npz_bytes(result)
    if fmt == "mtx":
        view = matrix_view(result)
        return to_matrix_market_text(view.data, _matrix_market_comment(result))
    raise UsageError(f"unknown format {fmt!r}", hint="formats: " + ", ".join(FORMATS))


# --- tables for people ---------------------------------------------------------------------


def _fmt_number(x: Any) -> str:
    if np.iscomplexobj(x):
        z = complex(x)
        return f"{z.real:.6g}{'+' if z.imag >= 0 else '-'}{abs(z.imag):.6g}j"
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return "0" if x == 0 else f"{x:.6g}"


def _fmt_value(value: Any, limit: int = 8) -> str:
    array = np.asarray(value)
    if array.ndim == 0:
        return _fmt_number(array)
    flat = array.reshape(-1)
    shown = ", ".join(_fmt_number(x) for x in flat[:limit])
    more = f", … ({array.size} entries)" if array.size > limit else ""
    return f"[{shown}{more}]" if array.ndim == 1 else f"{array.shape} [{shown}{more}]"


def format_point(at: dict[str, Any]) -> str:
    """A point in short form: ``x=2, y=[1, 2]``."""
    parts = []
    for name, value in at.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={_fmt_value(v, 4)}" for k, v in value.items())
            parts.append(f"{name}={{{inner}}}")
        else:
            parts.append(f"{name}={_fmt_value(value, 6)}")
    return ", ".join(parts)


def _header_lines(result: DerivativeResult | InfoResult) -> Iterator[tuple[str, str]]:
    fn = result.function
    if isinstance(result, InfoResult):
        title = "info"
    elif result.command == "check":
        title = "check of the " + TITLES[_checked_derivative(result).command]
    else:
        title = TITLES[result.command]
    yield ("bold", f"{title} of {escape(fn.source)} at {escape(format_point(result.at))}")
    if isinstance(result, DerivativeResult):
        yield ("", f"f = {_fmt_value(result.value)}")
        if result.v is not None:
            yield (
                "",
                f"v = {_fmt_value(result.v) if not isinstance(result.v, dict) else escape(format_point(result.v))}",
            )
        if result.holomorphic:
            yield ("yellow", "the function is treated as holomorphic (complex in, complex out)")
        yield ("dim", f"mode: {result.mode} — {result.mode_reason}")


def _console(buffer: io.StringIO, color: bool, width: int) -> Any:
    """A rich console that renders into ``buffer``; user text is never read as markup."""
    from rich.console import Console

    return Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=max(width, 40),
        highlight=False,
        emoji=False,
        markup=False,
    )


def to_table_text(
    result: DerivativeResult | InfoResult, color: bool = False, width: int = 100
) -> str:
    """A labelled table (or, for big results, a summary with a sparsity picture)."""
    from rich.text import Text

    buffer = io.StringIO()
    console = _console(buffer, color, width)
    for style, line in _header_lines(result):
        console.print(Text(line, style=style or ""))
    if isinstance(result, InfoResult):
        console.print(_info_table(result))
        return _strip_padding(buffer.getvalue())
    view = matrix_view(result)
    transposed = Matrix(view.columns, view.rows, view.data.T)
    if view.data.size <= MAX_TABLE_CELLS and _table_width(view) <= console.width:
        console.print(_full_table(view))
    elif view.data.size <= MAX_TABLE_CELLS and _table_width(transposed) <= console.width:
        console.print(Text("(transposed: inputs as rows, outputs as columns)", style="dim"))
        console.print(_full_table(transposed))
    else:
        for renderable in _summary(view):
            console.print(renderable)
    report = result.check_report
    if report is not None:
        for renderable in _check_section(report):
            console.print(renderable)
    return _strip_padding(buffer.getvalue())


def _check_section(report: dict[str, Any]) -> Iterator[Any]:
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
        worst = ref["worst"] or {}
        table.add_row(
            Text(ref["name"]),
            _fmt_error(ref["max_abs_err"]),
            _fmt_error(ref["max_rel_err"]),
            _fmt_error(ref["error_estimate"]) if ref["error_estimate"] is not None else "—",
            Text(escape("[" + ", ".join(str(i) for i in worst.get("index", [])) + "]")),
            _fmt_value_10(worst.get("ad")),
            _fmt_value_10(worst.get("reference")),
            Text("ok" if ref["passed"] else "MISMATCH", style="green" if ref["passed"] else "red"),
        )
    if table.row_count:
        yield table
    yield from missing
    for diagnosis in report["diagnoses"]:
        yield Text(f"{diagnosis['kind']}: {escape(diagnosis['message'])}", style="yellow")


def _fmt_error(x: float | None) -> str:
    return "nan/inf" if x is None else f"{x:.3g}"


def _fmt_value_10(x: float | None) -> str:
    return "nan/inf" if x is None else f"{x:.10g}"


def _strip_padding(text: str) -> str:
    """Drop the spaces rich pads wrapped lines with, so copied output has no trailing blanks."""
    return "".join(line.rstrip() + "\n" for line in text.splitlines())


def _table_width(view: Matrix) -> int:
    """The width a full table needs: the widest label or number in each column, plus spacing."""
    label_width = max((len(label) for label in view.rows), default=0)
    widths = [
        max([len(label), *(len(_fmt_number(x)) for x in view.data[:, j])])
        for j, label in enumerate(view.columns)
    ]
    return label_width + sum(widths) + 2 * len(widths)


def _full_table(view: Matrix, structural: np.ndarray | None = None) -> Any:
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
            else Text(_fmt_number(x), style="dim" if x == 0 else "")
            for j, x in enumerate(row)
        ]
        table.add_row(Text(escape(label)), *cells)
    return table


def _summary(view: Matrix) -> Iterator[Any]:
    from rich.table import Table
    from rich.text import Text

    data = view.data
    magnitude = np.abs(data)
    finite = np.isfinite(magnitude)
    nnz = int(np.count_nonzero(data))
    yield Text(
        f"{len(view.rows)} × {len(view.columns)} matrix, {nnz:,} nonzero "
        f"({100.0 * nnz / max(data.size, 1):.3g}%), max |entry| "
        f"{_fmt_number(magnitude[finite].max()) if finite.any() else 'nan'}, "
        f"Frobenius norm {_fmt_number(np.sqrt(np.sum(magnitude[finite] ** 2)))}"
    )
    yield Text("sparsity (█ nonzero, · zero):", style="dim")
    yield Text(_sparsity_picture(data))
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
            Text(escape(view.rows[i])), Text(escape(view.columns[j])), _fmt_number(data[i, j])
        )
    yield table


def _sparsity_picture(data: np.ndarray) -> str:
    return _coordinate_picture(*np.nonzero(data), data.shape)


def _coordinate_picture(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> str:
    """At most PICTURE_HEIGHT × PICTURE_WIDTH cells, each █ when its block holds an entry."""
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


def _info_table(result: InfoResult) -> Any:
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
    table.add_row("mode", f"{result.mode}: {result.mode_reason}")
    table.add_row("dtype / device", f"{result.dtype} / {result.device}")
    return table


# --- sparse Jacobians (--sparse) and Matrix Market ----------------------------------------------

# A sparse table lists at most this many entries; the files and JSON have them all.
MAX_SPARSE_ENTRIES = 12


def render_sparse(
    result: DerivativeResult, fmt: str, color: bool = False, width: int = 100
) -> str | bytes:
    """A sparse Jacobian: a summary table, COO as CSV (``row,col,value``), SciPy's ``.npz`` or
    Matrix Market. There is no ``.npy`` form: a dense copy of a matrix worth --sparse could be
    far larger than the limit that guarded its computation."""
    sparse: SparseJacobian = result.result
    if fmt == "table":
        return to_sparse_table_text(result, color=color, width=width)
    if fmt == "csv":
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
    if fmt == "npz":
        import scipy.sparse as sp

        buffer = io.BytesIO()
        sp.save_npz(buffer, sparse.to_scipy())
        return buffer.getvalue()
    if fmt == "mtx":
        return to_matrix_market_text(sparse.to_scipy(), _matrix_market_comment(result))
    if fmt in ("npy", "latex"):
        holds = ".npy, which holds one dense array" if fmt == "npy" else "LaTeX, a dense matrix"
        raise UsageError(
            f"a sparse Jacobian is not written as {holds}",
            hint="write --output J.npz (SciPy sparse) or J.mtx (Matrix Market), or --format "
            "json or csv; drop --sparse for a dense result",
        )
    raise UsageError(f"unknown format {fmt!r}", hint="formats: " + ", ".join(FORMATS))


def to_matrix_market_text(matrix: Any, comment: str = "") -> str:
    """A matrix (dense or SciPy sparse) in Matrix Market coordinate form; values round-trip."""
    import scipy.io
    import scipy.sparse as sp

    buffer = io.BytesIO()
    scipy.io.mmwrite(buffer, sp.coo_array(matrix), comment=comment)
    return buffer.getvalue().decode("ascii")


def _matrix_market_comment(result: DerivativeResult) -> str:
    title = TITLES.get(_checked_derivative(result).command, result.command)
    return (
        f"jaccli: {title} of {escape(result.function.source)}; rows are the outputs, columns "
        "the inputs, both flat in row-major order (see jaccli's README)"
    )


def _entry_label(base: str, shape: tuple[int, ...], flat: int) -> str:
    if not shape:
        return base
    return base + "[" + ",".join(map(str, np.unravel_index(flat, shape))) + "]"


def _column_label(sparse: SparseJacobian, column: int) -> str:
    offsets = [offset for _, _, offset in sparse.blocks]
    k = int(np.searchsorted(offsets, column, side="right")) - 1
    name, shape, offset = sparse.blocks[k]
    return _entry_label(name, tuple(shape), column - offset)


def to_sparse_table_text(result: DerivativeResult, color: bool = False, width: int = 100) -> str:
    """The summary of a sparse Jacobian: shape, nnz, density and colours; the whole matrix when
    it is small, else its sparsity picture and the first entries."""
    from rich.table import Table
    from rich.text import Text

    sparse: SparseJacobian = result.result
    sparsity = result.extra["sparsity"]
    m, n = sparse.shape
    buffer = io.StringIO()
    console = _console(buffer, color, width)
    for style, line in _header_lines(result):
        console.print(Text(line, style=style or ""))
    magnitude = np.abs(sparse.values)
    finite = np.isfinite(magnitude)
    largest = ""
    if sparse.nnz:
        largest = f", max |entry| {_fmt_number(magnitude[finite].max()) if finite.any() else 'nan'}"
    console.print(
        Text(
            f"{m:,} × {n:,} sparse matrix (outputs × inputs), {sparse.nnz:,} structural "
            f"nonzeros ({100.0 * sparsity['density']:.3g}%){largest}"
        )
    )
    colors = sparsity["colors"]
    console.print(
        Text(
            f"colours: {colors['forward']:,} column (forward), {colors['reverse']:,} row "
            f"(reverse); used {sparsity['direction']}"
        )
    )
    if m * n <= MAX_TABLE_CELLS:
        dense = np.zeros(sparse.shape, dtype=sparse.values.dtype)
        dense[sparse.rows, sparse.cols] = sparse.values
        structural = np.zeros(sparse.shape, dtype=bool)
        structural[sparse.rows, sparse.cols] = True
        view = Matrix(
            output_labels(sparse.output_shape), input_labels(result.wrt, result.at), dense
        )
        if _table_width(view) <= console.width:
            console.print(_full_table(view, structural))
            return _strip_padding(buffer.getvalue())
    console.print(Text("sparsity (█ structural nonzero, · zero):", style="dim"))
    console.print(Text(_coordinate_picture(sparse.rows, sparse.cols, sparse.shape)))
    shown = min(sparse.nnz, MAX_SPARSE_ENTRIES)
    console.print(Text(f"first {shown} of {sparse.nnz:,} entries:", style="dim"))
    table = Table(box=None, header_style="bold", pad_edge=False)
    for title in ("row", "column", "value"):
        table.add_column(title, justify="right" if title == "value" else "left")
    for i, j, value in zip(
        sparse.rows[:shown].tolist(),
        sparse.cols[:shown].tolist(),
        sparse.values[:shown].tolist(),
        strict=True,
    ):
        table.add_row(
            Text(escape(_entry_label("f", sparse.output_shape, i))),
            Text(escape(_column_label(sparse, j))),
            _fmt_number(value),
        )
    console.print(table)
    if sparse.nnz > shown:
        console.print(
            Text("all entries: --format json or csv, or --output J.npz or J.mtx", style="dim")
        )
    return _strip_padding(buffer.getvalue())


# --- sensitivity: a table per output with a bar chart beside it ---------------------------------

BAR_WIDTH = 24
MAX_PANELS = 20
_BLOCKS = " ▏▎▍▌▋▊▉█"


def sensitivity_title(result: SensitivityResult) -> str:
    source = result.function.source
    if result.method == "local":
        return f"local sensitivity of {source} at {format_point(result.fields['at'])}"
    return f"global sensitivity ({result.method}) of {source}"


def to_sensitivity_text(
    result: SensitivityResult, fmt: str, color: bool = False, width: int = 100
) -> str:
    if fmt == "table":
        return _sensitivity_table(result, color, width)
    if fmt == "csv":
        return _sensitivity_csv(result)
    raise UsageError(
        f"sensitivity has no {fmt} form", hint="use --format table, json or csv (or --plot)"
    )


def _sensitivity_cells(result: SensitivityResult) -> list[tuple[str, np.ndarray, Any]]:
    """Columns as (title, values, confidence half-widths or None): ``X_conf`` joins ``X``."""
    arrays = dict(result.columns)
    return [
        (title, values, arrays.get(f"{title}_conf"))
        for title, values in result.columns
        if not title.endswith("_conf")
    ]


def _sensitivity_csv(result: SensitivityResult) -> str:
    cells = _sensitivity_cells(result)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = ["output", "input", "rank"]
    for title, _, conf in cells:
        header += [title] + ([f"{title}_conf"] if conf is not None else [])
    writer.writerow(header)
    for i, output in enumerate(result.outputs):
        for rank, j in enumerate(result.order[i], start=1):
            row = [output, result.inputs[j], rank]
            for _, values, conf in cells:
                row.append(repr(float(values[i, j])))
                if conf is not None:
                    row.append(repr(float(conf[i, j])))
            writer.writerow(row)
    return buffer.getvalue()


def _sensitivity_table(result: SensitivityResult, color: bool, width: int) -> str:
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = _console(buffer, color, width)
    console.print(Text(escape(sensitivity_title(result)), style="bold"))
    for line in result.header:
        console.print(Text(escape(line), style="dim"))
    cells = _sensitivity_cells(result)
    panels = list(zip(result.outputs, result.charts, strict=True))
    for i, (output, chart) in enumerate(panels[:MAX_PANELS]):
        table = Table(title=escape(output), title_justify="left", box=None, pad_edge=False)
        table.add_column("rank", justify="right", style="dim")
        table.add_column("input", style="bold")
        for title, _, _ in cells:
            table.add_column(escape(title), justify="right")
        table.add_column(escape(_bar_legend(chart)), no_wrap=True)
        bars = _bars(chart, color)
        for rank, j in enumerate(result.order[i], start=1):
            row = [str(rank), escape(result.inputs[j])]
            for _, values, conf in cells:
                row.append(
                    _fmt_number(values[i, j])
                    if conf is None
                    else _fmt_estimate(values[i, j], conf[i, j])
                )
            table.add_row(*row, bars[rank - 1] if rank <= len(bars) else Text(""))
        console.print(table)
        console.print(Text(escape(chart.measure), style="dim"))
    if len(panels) > MAX_PANELS:
        console.print(
            Text(
                f"… {len(panels) - MAX_PANELS} more outputs; --format json has them all",
                style="dim",
            )
        )
    return _strip_padding(buffer.getvalue())


def _fmt_estimate(value: float, conf: float) -> str:
    """An estimate with its confidence half-width, both to the half-width's second digit.

    >>> _fmt_estimate(0.31596, 0.0296095)
    '0.316 ± 0.030'
    """
    if not (math.isfinite(value) and math.isfinite(conf)) or conf <= 0:
        return _fmt_number(value) + ("" if conf == 0 else f" ± {_fmt_number(conf)}")
    decimals = max(0, 1 - math.floor(math.log10(conf)))
    if decimals > 12 or abs(value) >= 1e6:
        return f"{value:.3g} ± {conf:.2g}"
    return f"{value:.{decimals}f} ± {conf:.{decimals}f}"


def _bar_legend(chart: Chart) -> str:
    if chart.kind == "bars" and len(chart.series) == 2 and chart.series[0][0] == "S1":
        return "█ S1  ░ ST"
    if chart.kind == "bars":
        return chart.series[0][0]
    if len(chart.series) == 2:
        return f"◀ {chart.series[0][0]} │ {chart.series[1][0]} ▶"
    return chart.series[0][0]


def _blocks(fraction: float, width: int, leftward: bool = False) -> str:
    """A bar of ``fraction`` (0..1) of ``width`` cells, in eighths of a cell; a bar that grows
    leftward is drawn in halves (Unicode has no right-aligned blocks for the other eighths)."""
    fraction = max(0.0, min(1.0, fraction))
    if leftward:
        halves = round(fraction * width * 2)
        return ("▐" if halves % 2 else "") + "█" * (halves // 2)
    eighths = round(fraction * width * 8)
    return "█" * (eighths // 8) + (_BLOCKS[eighths % 8] if eighths % 8 else "")


def _bars(chart: Chart, color: bool) -> list[Any]:
    """One rich Text bar per label: indices as bars from the left (S1 solid inside ST shaded);
    a tornado as bars left and right of a centre line."""
    from rich.text import Text

    values = [np.nan_to_num(np.asarray(v, dtype=float), nan=0.0) for _, v in chart.series]
    if chart.kind == "bars":
        main = values[1] if len(values) == 2 and chart.series[0][0] == "S1" else values[0]
        scale = float(np.max(np.abs(main))) if main.size else 0.0
        out = []
        for k in range(len(chart.labels)):
            fraction = main[k] / scale if scale > 0 else 0.0
            bar = Text(_blocks(fraction, BAR_WIDTH), style="cyan" if color else "")
            if main is not values[0]:
                inner = _blocks(values[0][k] / scale if scale > 0 else 0.0, BAR_WIDTH)
                shade = "░" * max(0, len(bar.plain) - len(inner))
                bar = Text(inner, style="cyan" if color else "") + Text(shade, style="dim")
            out.append(bar)
        return out
    half = BAR_WIDTH // 2
    scale = max((float(np.max(np.abs(v))) for v in values if v.size), default=0.0)
    out = []
    for k in range(len(chart.labels)):
        low = min(0.0, *(v[k] for v in values))
        high = max(0.0, *(v[k] for v in values))
        left = _blocks(-low / scale if scale > 0 else 0.0, half, leftward=True)
        right = _blocks(high / scale if scale > 0 else 0.0, half)
        out.append(
            Text(" " * (half - len(left)))
            + Text(left, style="red" if color else "")
            + Text("│", style="dim")
            + Text(right, style="green" if color else "")
        )
    return out


def _shape_text(shape: Any) -> str:
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{escape(k)}: {_shape_text(v)}" for k, v in shape.items()) + "}"
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def error_text(exc: Any, json_mode: bool) -> str:
    """The stderr text for an error: one line and maybe a hint line, or one JSON object."""
    message = escape(getattr(exc, "message", str(exc)))
    hint = getattr(exc, "hint", None)
    if json_mode:
        payload = {
            "error": {
                "code": getattr(exc, "exit_code", 2),
                "type": getattr(exc, "kind", "error"),
                "message": message,
                "hint": escape(hint) if hint else None,
            }
        }
        return json.dumps(payload, ensure_ascii=False) + "\n"
    text = f"jaccli: error: {message}\n"
    if hint:
        text += f"hint: {escape(hint)}\n"
    return text


# --- batches ----------------------------------------------------------------------------------


def to_batch_csv_text(result: DerivativeResult) -> str:
    """One row per point: its index, then every entry of its result, flattened in C order."""
    arrays = _result_arrays(result)
    header = ["index"]
    for name, array in arrays.items():
        header += [
            f"{name}[{','.join(map(str, i))}]" if i else name for i in np.ndindex(array.shape[1:])
        ]
    flat = [array.reshape(array.shape[0], -1) for array in arrays.values()]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for i, row in enumerate(np.concatenate(flat, axis=1)):
        writer.writerow([i, *(_number_text(x) for x in row)])
    return buffer.getvalue()


def render_batch(result: DerivativeResult, fmt: str) -> str | bytes:
    """A stacked batch result (leading batch axis) as csv, npy or npz."""
    if fmt == "csv":
        return to_batch_csv_text(result)
    if fmt == "npy":
        return to_npy_bytes(result)
    if fmt == "npz":
        return to_npz_bytes(result)
    raise UsageError(
        f"a batch cannot be written as {fmt!r}", hint="use json, table, csv, npy or npz"
    )


def _batch_cell(result: Any) -> str:
    if isinstance(result, dict):
        return ", ".join(f"{escape(str(k))}: {_batch_cell(v)}" for k, v in result.items())
    array = np.asarray(result)
    if array.size <= 6:
        return _fmt_value(array, 6)
    finite = np.abs(array[np.isfinite(array)])
    return f"{array.shape} norm {_fmt_number(np.sqrt(np.sum(finite**2)))}"


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
    console = _console(buffer, color, width)
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
            Text(_fmt_value(record.value, 4)),
            Text(_batch_cell(record.result)),
        )
    console.print(table)
    if total > len(records):
        console.print(Text(f"(first {len(records)} of {total} points shown)", style="dim"))
    return _strip_padding(buffer.getvalue())


class Progress:
    """A progress bar on stderr for long work, shown once it has run for ``delay`` seconds.

    Quick runs never flash a bar; a disabled one (stderr not a terminal, JSON output,
    ``--quiet``) costs one comparison per update. The bar is removed when the work ends.
    """

    def __init__(
        self, what: str, total: int | None, enabled: bool = True, delay: float = 1.0
    ) -> None:
        import time

        self._what = what
        self._total = total
        self._enabled = enabled
        self._started = time.monotonic() + delay
        self._done = 0
        self._bar: Any = None
        self._task: Any = None

    def advance(self, count: int) -> None:
        """Count ``count`` more items done; start drawing once the delay has passed."""
        import time

        self._done += count
        if not self._enabled:
            return
        if self._bar is None:
            if time.monotonic() < self._started:
                return
            self._start()
        self._bar.update(self._task, completed=self._done)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        console = Console(stderr=True, highlight=False, emoji=False, markup=False)
        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(self._what, total=self._total, completed=self._done)

    def close(self) -> None:
        """Remove the bar, if one is shown."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def to_symbolic_text(
    result: SymbolicResult, fmt: str, color: bool = False, width: int = 100
) -> str:
    """A symbolic derivative as a labelled table of formulas, or as a LaTeX matrix."""
    if fmt == "latex":
        lines = [" & ".join(row) + r" \\" for row in result.matrix]
        where = [f"{name} &= {value}" for name, value in result.replacements]
        text = "\\begin{bmatrix}\n" + "\n".join(lines) + "\n\\end{bmatrix}\n"
        if where:
            text += "\\begin{aligned}\n" + " \\\\\n".join(where) + "\n\\end{aligned}\n"
        return text
    if fmt != "table":
        raise UsageError(f"symbolic has no {fmt} form", hint="use --format table, json or latex")
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = _console(buffer, color, width)
    title = "symbolic Jacobian" if result.kind == "jacobian" else "symbolic Hessian"
    console.print(Text(f"{title} of {escape(result.function.source)} (SymPy)", style="bold"))
    for name, value in result.replacements:
        console.print(Text(f"{escape(name)} = {escape(value)}", style="dim"))
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    table.add_column("", style="bold", no_wrap=True)
    for label in result.columns:
        table.add_column(Text(escape(label)), justify="right")
    for label, row in zip(result.rows, result.matrix, strict=True):
        table.add_row(Text(escape(label)), *(Text(escape(cell)) for cell in row))
    console.print(table)
    return _strip_padding(buffer.getvalue())
