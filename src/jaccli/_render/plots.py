"""Sensitivity charts and Jacobian heatmaps as images (.png, .svg, .pdf).

matplotlib is the optional ``plot`` extra. It is imported inside the functions, so commands
without ``--plot`` neither need it nor pay for it. Figures use the object-oriented API (no
pyplot: no global state, no GUI backend) and are drawn under a temporary style. Each figure
function returns the whole image as bytes; writing the file is the caller's job.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import UsageError
from ..results import Chart, DerivativeResult, SensitivityResult
from .figures import (
    FORMATS,
    SERIES_COLOURS,
    drawing,
    image_bytes,
    literal,
    load_matplotlib,
    require_format,
    short,
)
from .matrix import matrix_view
from .notation import format_point
from .sensitivity import sensitivity_title
from .subspace_plots import subspace_figure

MAX_PANELS = 12
# Inputs come most influential first, so the bars left off a long panel are the smallest.
MAX_BARS = 40
MAX_TICKS = 40
# Beyond this many cells a dot per exact zero would only be noise.
MAX_ZERO_DOTS = 2500

_POSITIVE, _NEGATIVE = "#b2182b", "#2166ac"  # the ends of RdBu, as in the heatmaps


def plot_format(path: str) -> str:
    """The image format named by the suffix of `path`; UsageError for any other suffix.

    >>> plot_format("sobol.SVG")
    'svg'
    """
    suffix = os.path.splitext(os.fspath(path))[1].lower()
    if suffix not in FORMATS:
        raise UsageError(
            f"cannot tell the image format of --plot {path!r} from its suffix "
            f"{suffix or '(none)'!r}; use {', '.join(FORMATS)}",
            hint="name the image file sens.png, sens.svg or sens.pdf",
        )
    return FORMATS[suffix]


def figure(result: DerivativeResult | SensitivityResult, fmt: str) -> bytes:
    """The picture of a result as a `fmt` image: its charts for a sensitivity result (the decay
    and summary plots for an active subspace), else the heatmap of its matrix."""
    if isinstance(result, SensitivityResult) and result.method == "active_subspace":
        return subspace_figure(result.charts, fmt, sensitivity_title(result))
    if isinstance(result, SensitivityResult):
        return charts_figure(result.charts, fmt, sensitivity_title(result))
    view = matrix_view(result)
    title = f"Jacobian of {result.function.source} at {format_point(result.at)}"
    return heatmap_figure(view.rows, view.columns, view.data, fmt, title)


def charts_figure(charts: Sequence[Chart], fmt: str, title: str) -> bytes:
    """One panel per chart (the first 12 at most), as a `fmt` image.

    Panels stack in one column, or form a grid of two or three columns when there are many.
    Checks the format before anything else, so a bad one fails even without matplotlib:

    >>> charts_figure([], "gif", "f")
    Traceback (most recent call last):
    jaccli.errors.UsageError: cannot draw a 'gif' image; use png, svg or pdf
    """
    require_format(fmt)
    if not charts:
        raise UsageError("nothing to plot: the result has no charts")
    matplotlib, figure_class = load_matplotlib()
    shown = list(charts[:MAX_PANELS])
    ncols = 1 if len(shown) <= 3 else 2 if len(shown) <= 8 else 3
    nrows = math.ceil(len(shown) / ncols)
    bars = max(min(len(chart.labels), MAX_BARS) for chart in shown)
    panel_height = min(max(0.35 * bars + 1.3, 2.2), 16.0)
    size = (6.5 if ncols == 1 else 4.8 * ncols, min(nrows * panel_height + 0.6, 38.0))
    with drawing(matplotlib):
        fig = figure_class(figsize=size, layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
        for ax, chart in zip(axes, shown, strict=False):
            _panel(ax, chart)
        for ax in axes[len(shown) :]:
            fig.delaxes(ax)
        fig.suptitle(literal(title), fontweight="bold")
        if len(charts) > len(shown):
            fig.supxlabel(f"first {len(shown)} of {len(charts)} outputs", fontsize=8, color="0.35")
        return image_bytes(fig, fmt)


def heatmap_figure(
    rows: Sequence[str], columns: Sequence[str], data: np.ndarray, fmt: str, title: str
) -> bytes:
    """A Jacobian (rows × columns) as a heatmap, as a `fmt` image.

    Real entries use a diverging colormap centred on zero; complex ones are shown as their
    absolute value (the title says so). Non-finite entries are grey, exact zeros get a dot.

    >>> heatmap_figure(["f"], ["x"], np.ones((1, 1)), "jpg", "J")
    Traceback (most recent call last):
    jaccli.errors.UsageError: cannot draw a 'jpg' image; use png, svg or pdf
    """
    require_format(fmt)
    values = np.asarray(data)
    if values.size == 0:
        raise UsageError("nothing to plot: the matrix is empty")
    matplotlib, figure_class = load_matplotlib()
    magnitude = np.iscomplexobj(values)
    if magnitude:
        values, title = np.abs(values), f"{title} (absolute value)"
    values = np.reshape(values.astype(float), (len(rows), len(columns)))
    finite = np.isfinite(values)
    limit = float(np.abs(values[finite]).max(initial=0.0)) or 1.0
    size = (
        min(max(0.28 * len(columns) + 2.8, 4.0), 14.0),
        min(max(0.28 * len(rows) + 1.6, 2.8), 12.0),
    )
    with drawing(matplotlib):
        fig = figure_class(figsize=size, layout="constrained")
        ax = fig.add_subplot()
        colormap = matplotlib.colormaps["viridis" if magnitude else "RdBu_r"]
        image = ax.imshow(
            np.ma.masked_array(np.where(finite, values, 0.0), mask=~finite),
            cmap=colormap.with_extremes(bad="0.6"),
            vmin=0.0 if magnitude else -limit,
            vmax=limit,
            aspect="auto",
        )
        fig.colorbar(image, ax=ax, shrink=0.85, label="|entry|" if magnitude else "entry")
        notes = []
        if values.size <= MAX_ZERO_DOTS and (zeros := np.argwhere(values == 0.0)).size:
            # Sparsity matters in a Jacobian, and a zero is otherwise as pale as a tiny entry.
            dot = "white" if magnitude else "0.35"  # zero is dark in viridis, pale in RdBu_r
            ax.plot(zeros[:, 1], zeros[:, 0], ".", ms=3, color=dot)
            notes.append("dot: exact zero")
        if not finite.all():
            notes.append("grey: NaN or ±inf")
        ax.xaxis.tick_top()
        x_ticks, y_ticks = _thinned(len(columns)), _thinned(len(rows))
        rotate = len(columns) > 8 or max(len(str(c)) for c in columns) > 4
        ax.set_xticks(
            x_ticks, labels=[short(columns[i], 24) for i in x_ticks], rotation=90 if rotate else 0
        )
        ax.set_yticks(y_ticks, labels=[short(rows[i], 24) for i in y_ticks])
        ax.tick_params(length=0)
        ax.spines[:].set_visible(False)
        ax.set_title(literal(title), fontweight="bold")
        if notes:
            ax.set_xlabel("; ".join(notes), fontsize=7, color="0.35")
        return image_bytes(fig, fmt)


def require() -> None:
    """Refuse early, before any work is done, when matplotlib is not installed."""
    load_matplotlib()


def _panel(ax: Any, chart: Chart) -> None:
    """Horizontal bars, one group per input (the first at the top), one bar per series."""
    count = min(len(chart.labels), MAX_BARS)
    positions = np.arange(count)
    height = 0.8 / max(len(chart.series), 1)
    signed = chart.kind == "tornado" and len(chart.series) == 1
    extent = 0.0
    for j, (name, raw) in enumerate(chart.series):
        values = _real(raw)[:count]
        shown = np.isfinite(values)
        y = positions + (j - (len(chart.series) - 1) / 2) * height
        conf = chart.conf[j] if j < len(chart.conf) else None
        error = None if conf is None else np.abs(_real(conf)[:count])[shown]
        if signed:
            colour: Any = [_POSITIVE if v >= 0 else _NEGATIVE for v in values[shown]]
        else:
            colour = SERIES_COLOURS[j % len(SERIES_COLOURS)]
        ax.barh(
            y[shown],
            values[shown],
            height=0.9 * height,
            color=colour,
            xerr=error,
            label=literal(name),
            error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "0.2"},
        )
        for missing in y[~shown]:
            ax.text(0, missing, " n/a", va="center", fontsize=7, color="0.45")
        reach = np.abs(values[shown]) + (0.0 if error is None else np.nan_to_num(error))
        extent = max(extent, float(reach.max(initial=0.0)))
    ax.axvline(0.0, color="0.25", linewidth=0.8)
    if chart.kind == "tornado" and extent > 0:
        ax.set_xlim(-1.08 * extent, 1.08 * extent)  # zero in the middle: sides compare at a glance
    ax.set_yticks(positions, labels=[short(label) for label in chart.labels[:count]])
    ax.set_ylim(count - 0.5, -0.5)
    ax.tick_params(axis="y", length=0)
    ax.grid(axis="x")
    ax.set_axisbelow(True)
    ax.set_xlabel(literal(chart.measure))
    ax.set_title(literal(chart.title))
    if not signed and chart.series:
        ax.legend(loc="best")
    notes = [chart.note] if chart.note else []
    if len(chart.labels) > count:
        notes.append(f"top {count} of {len(chart.labels)} inputs")
    if notes:
        ax.annotate(
            literal("; ".join(notes)),
            xy=(0.5, 0),
            xycoords=ax.xaxis.label,
            xytext=(0, -3),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=7,
            color="0.35",
        )


def _real(values: Any) -> np.ndarray:
    values = np.ravel(np.asarray(values))
    return (np.abs(values) if np.iscomplexobj(values) else values).astype(float)


def _thinned(count: int) -> np.ndarray:
    """Tick positions: every entry up to MAX_TICKS of them, else evenly spaced ones."""
    return np.arange(0, count, max(1, math.ceil(count / MAX_TICKS)))
