"""Sensitivity results: a table per output with a bar chart beside it, drawn in block
characters, or CSV with one row per (output, input) pair.

rich is imported inside the functions to keep ``jaccli --help`` fast.
"""

from __future__ import annotations

import io
import math
from typing import Any

import numpy as np

from ..errors import UsageError
from ..results import Chart, SensitivityResult
from .bars import BAR_WIDTH, blocks
from .console import strip_padding, text_console
from .messages import csv_text, escape
from .notation import format_number, format_point
from .subspace import subspace_panels

MAX_PANELS = 20


def sensitivity_title(result: SensitivityResult) -> str:
    """What was measured, of which function, and (for local sensitivity) where."""
    source = result.function.source
    if result.method == "local":
        return f"local sensitivity of {source} at {format_point(result.fields['at'])}"
    return f"global sensitivity ({result.method}) of {source}"


def to_sensitivity_text(
    result: SensitivityResult, fmt: str, color: bool = False, width: int = 100
) -> str:
    """A sensitivity result as tables with bars, or as CSV."""
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
    header = ["output", "input", "rank"]
    for title, _, conf in cells:
        header += [title] + ([f"{title}_conf"] if conf is not None else [])
    rows: list[list[Any]] = [header]
    for i, output in enumerate(result.outputs):
        for rank, j in enumerate(result.order[i], start=1):
            row = [output, result.inputs[j], rank]
            for _, values, conf in cells:
                row.append(repr(float(values[i, j])))
                if conf is not None:
                    row.append(repr(float(conf[i, j])))
            rows.append(row)
    return csv_text(rows)


def _sensitivity_table(result: SensitivityResult, color: bool, width: int) -> str:
    from rich.text import Text

    buffer = io.StringIO()
    console = text_console(buffer, color, width)
    console.print(Text(escape(sensitivity_title(result)), style="bold"))
    for line in result.header:
        console.print(Text(escape(line), style="dim"))
    count = len(result.outputs)
    for i in range(min(count, MAX_PANELS)):
        if result.method == "active_subspace":
            parts = subspace_panels(result, i, color)
        else:
            chart = result.charts[i]
            parts = [
                _panel(result, i, result.outputs[i], chart, color),
                Text(escape(chart.measure), style="dim"),
            ]
            if "perturbation" in result.fields:
                parts.append(Text(escape(perturbation_line(result.fields["perturbation"], i))))
        for part in parts:
            console.print(part)
    if count > MAX_PANELS:
        console.print(
            Text(f"… {count - MAX_PANELS} more outputs; --format json has them all", style="dim")
        )
    return strip_padding(buffer.getvalue())


def _panel(result: SensitivityResult, i: int, output: str, chart: Chart, color: bool) -> Any:
    """The table of output ``i``: its inputs by rank, their measures, and the bars."""
    from rich.table import Table
    from rich.text import Text

    cells = _sensitivity_cells(result)
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
                format_number(values[i, j])
                if conf is None
                else _fmt_estimate(values[i, j], conf[i, j])
            )
        table.add_row(*row, bars[rank - 1] if rank <= len(bars) else Text(""))
    return table


def perturbation_line(perturbation: dict[str, Any], i: int) -> str:
    """The whole step at once for output ``i``: the actual change beside the linear prediction
    and the linearisation error, relative to the actual change.

    >>> p = {"predicted": 0.2701512, "actual": 0.1560240, "linearization_error": -0.1141272}
    >>> for part in perturbation_line(p, 0).split(", "):
    ...     print(part)
    dx at once: actual f(x+dx) − f(x) = 0.156024
    linear J·dx = 0.270151
    linearisation error -0.114127 (73% of the actual)
    """
    actual, predicted, error = (
        float(np.ravel(perturbation[key])[i])
        for key in ("actual", "predicted", "linearization_error")
    )
    share = (
        f" ({abs(error) / abs(actual):.0%} of the actual)"
        if actual != 0 and math.isfinite(error / actual)
        else ""
    )
    return (
        f"dx at once: actual f(x+dx) − f(x) = {format_number(actual)}, "
        f"linear J·dx = {format_number(predicted)}, "
        f"linearisation error {format_number(error)}{share}"
    )


def _fmt_estimate(value: float, conf: float) -> str:
    """An estimate with its confidence half-width, both to the half-width's second digit.

    >>> _fmt_estimate(0.31596, 0.0296095)
    '0.316 ± 0.030'
    """
    if not (math.isfinite(value) and math.isfinite(conf)) or conf <= 0:
        # No interval (NaN: one replicate) shows the estimate alone.
        alone = conf == 0 or math.isnan(conf)
        return format_number(value) + ("" if alone else f" ± {format_number(conf)}")
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


def _bars(chart: Chart, color: bool) -> list[Any]:
    """One rich Text bar per label: indices as bars from the left (S1 solid inside ST shaded);
    a tornado as bars left and right of a centre line."""
    values = [np.nan_to_num(np.asarray(v, dtype=float), nan=0.0) for _, v in chart.series]
    if chart.kind == "bars":
        return _index_bars(chart, values, color)
    return _tornado_bars(chart, values, color)


def _index_bars(chart: Chart, values: list[np.ndarray], color: bool) -> list[Any]:
    from rich.text import Text

    main = values[1] if len(values) == 2 and chart.series[0][0] == "S1" else values[0]
    scale = float(np.max(np.abs(main))) if main.size else 0.0
    out = []
    for k in range(len(chart.labels)):
        fraction = main[k] / scale if scale > 0 else 0.0
        bar = Text(blocks(fraction, BAR_WIDTH), style="cyan" if color else "")
        if main is not values[0]:
            inner = blocks(values[0][k] / scale if scale > 0 else 0.0, BAR_WIDTH)
            shade = "░" * max(0, len(bar.plain) - len(inner))
            bar = Text(inner, style="cyan" if color else "") + Text(shade, style="dim")
        out.append(bar)
    return out


def _tornado_bars(chart: Chart, values: list[np.ndarray], color: bool) -> list[Any]:
    from rich.text import Text

    half = BAR_WIDTH // 2
    scale = max((float(np.max(np.abs(v))) for v in values if v.size), default=0.0)
    out = []
    for k in range(len(chart.labels)):
        low = min(0.0, *(v[k] for v in values))
        high = max(0.0, *(v[k] for v in values))
        left = blocks(-low / scale if scale > 0 else 0.0, half, leftward=True)
        right = blocks(high / scale if scale > 0 else 0.0, half)
        out.append(
            Text(" " * (half - len(left)))
            + Text(left, style="red" if color else "")
            + Text("│", style="dim")
            + Text(right, style="green" if color else "")
        )
    return out
