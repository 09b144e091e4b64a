"""An active subspace as tables, per output: the eigenvalues with their intervals, a log-scale
bar and the subspace error, then the inputs by activity score with their weights in the first
K eigenvectors.

rich is imported inside the functions to keep ``jaccli --help`` fast.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..results import SensitivityResult
from .bars import BAR_WIDTH, blocks
from .messages import escape
from .notation import format_number

# Eigenvalues shown per output (more when K is larger); --format json has them all.
SHOWN_EIGENVALUES = 10
# The log scale spans at most this many decades below the largest eigenvalue.
MAX_DECADES = 14


def subspace_panels(result: SensitivityResult, i: int, color: bool) -> list[Any]:
    """The renderables of output ``i``: its eigenvalue table, its inputs table, and what they
    show."""
    from rich.text import Text

    indices = result.fields["indices"]
    found = indices if isinstance(indices, dict) else indices[i]
    name = result.outputs[i]
    k = found["dimension"]
    chosen = "no active subspace" if k is None else f"K = {k}"
    return [
        _eigenvalue_table(found, name, color),
        Text(
            escape(
                f"{chosen}; subspace error: the bootstrap's distance (0 to 1) between the span "
                "of the first k eigenvectors and the true one"
            ),
            style="dim",
        ),
        _input_table(result, i, k or 0, color),
        Text(
            escape("activity score αᵢ = Σ_{k≤K} λ_k·w_{k,i}²; wk: the k-th eigenvector's weights"),
            style="dim",
        ),
    ]


def _eigenvalue_table(found: dict[str, Any], name: str, color: bool) -> Any:
    from rich.table import Table
    from rich.text import Text

    values = np.asarray(found["eigenvalues"], dtype=float)
    conf = np.asarray(found["eigenvalues_conf"], dtype=float)
    error = np.asarray(found["subspace_error"], dtype=float)
    k = found["dimension"] or 0
    bars, decades = log_bars(values)
    table = Table(title=escape(f"{name}: eigenvalues"), title_justify="left", box=None)
    table.add_column("k", justify="right", style="dim")
    table.add_column("eigenvalue", justify="right")
    table.add_column("95% interval", justify="right")
    table.add_column(f"log scale, {decades} decade{'s' * (decades != 1)}", no_wrap=True)
    table.add_column("subspace error", justify="right")
    shown = min(len(values), max(SHOWN_EIGENVALUES, k + 1))
    for j in range(shown):
        table.add_row(
            str(j + 1),
            format_number(values[j]),
            f"[{_short(conf[j, 0])}, {_short(conf[j, 1])}]",
            Text(bars[j], style="cyan" if color else ""),
            _short(error[j]),
            style="bold" if j < k else "",
        )
    if shown < len(values):
        table.add_row("…", f"{len(values) - shown} more", "", "", "")
    return table


def _input_table(result: SensitivityResult, i: int, k: int, color: bool) -> Any:
    from rich.table import Table
    from rich.text import Text

    columns = dict(result.columns)
    scores = np.nan_to_num(np.asarray(columns["activity_scores"][i], dtype=float))
    weights = [title for title in columns if title.startswith("w")][:k]
    table = Table(title=escape(f"{result.outputs[i]}: inputs"), title_justify="left", box=None)
    table.add_column("rank", justify="right", style="dim")
    table.add_column("input", style="bold")
    table.add_column("activity score", justify="right")
    table.add_column("", no_wrap=True)
    for title in weights:
        table.add_column(title, justify="right")
    top = float(np.max(scores)) if scores.size else 0.0
    for rank, j in enumerate(result.order[i], start=1):
        fraction = scores[j] / top if top > 0 else 0.0
        table.add_row(
            str(rank),
            escape(result.inputs[j]),
            format_number(columns["activity_scores"][i, j]),
            Text(blocks(fraction, BAR_WIDTH), style="cyan" if color else ""),
            *(f"{columns[title][i, j]:+.3f}" for title in weights),
        )
    return table


def log_bars(values: np.ndarray, width: int = BAR_WIDTH) -> tuple[list[str], int]:
    """Bars of ``values`` (largest first) on a log scale from one decade below the smallest
    one that is not rounding up to the largest; the number of decades the scale spans.

    >>> log_bars(np.array([100.0, 1.0, 0.0]), width=3)
    (['███', '█', ''], 3)
    """
    top = float(values[0]) if values.size and np.isfinite(values[0]) else 0.0
    if top <= 0:
        return [""] * len(values), 0
    meaningful = values[np.isfinite(values) & (values > top * 10.0**-MAX_DECADES)]
    decades = max(1, math.ceil(math.log10(top / float(meaningful.min())) + 1))
    floor = top * 10.0**-decades
    bars = []
    for value in values:
        fraction = (
            math.log10(value / floor) / decades if np.isfinite(value) and value > floor else 0
        )
        bars.append(blocks(fraction, width))
    return bars, decades


def _short(value: float) -> str:
    """Three significant digits: intervals and errors are rough by nature. NaN and inf as
    `format_number` writes them, so a row reads one way throughout."""
    if not math.isfinite(value):
        return format_number(value)
    return "0" if value == 0 else f"{value:.3g}"
