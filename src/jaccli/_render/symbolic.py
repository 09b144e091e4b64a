"""Symbolic derivatives (SymPy's formulas, already as text): a labelled table or a LaTeX matrix.

rich is imported inside the functions to keep ``jaccli --help`` fast.
"""

from __future__ import annotations

import io

from ..errors import UsageError
from ..results import SymbolicResult
from .console import strip_padding, text_console
from .messages import escape


def to_symbolic_text(
    result: SymbolicResult, fmt: str, color: bool = False, width: int = 100
) -> str:
    """A symbolic derivative as a labelled table of formulas, or as a LaTeX matrix."""
    if fmt == "latex":
        return _symbolic_latex(result)
    if fmt != "table":
        raise UsageError(f"symbolic has no {fmt} form", hint="use --format table, json or latex")
    return _symbolic_table(result, color, width)


def _symbolic_latex(result: SymbolicResult) -> str:
    """A ``bmatrix``, then the common subexpressions it names in an ``aligned`` block."""
    lines = [" & ".join(row) + r" \\" for row in result.matrix]
    where = [f"{name} &= {value}" for name, value in result.replacements]
    text = "\\begin{bmatrix}\n" + "\n".join(lines) + "\n\\end{bmatrix}\n"
    if where:
        text += "\\begin{aligned}\n" + " \\\\\n".join(where) + "\n\\end{aligned}\n"
    return text


def _symbolic_table(result: SymbolicResult, color: bool, width: int) -> str:
    from rich.table import Table
    from rich.text import Text

    buffer = io.StringIO()
    console = text_console(buffer, color, width)
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
    return strip_padding(buffer.getvalue())
