"""An active subspace as a picture, one row per output: the eigenvalue decay on a log scale with
its bootstrap intervals, and the sufficient summary plot, f against the first active variable
(and, when K ≥ 2, the first two as a plane coloured by f)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import UsageError
from ..results import Chart
from .figures import SERIES_COLOURS, drawing, image_bytes, literal, load_matplotlib, require_format

MAX_OUTPUTS = 4
MAX_EIGENVALUES = 50
# Eigenvalues more than this many decades below the largest are rounding, not signal.
MAX_DECADES = 14
_POINT = {"s": 5, "alpha": 0.6, "linewidths": 0, "rasterized": True}


def subspace_figure(charts: Sequence[Chart], fmt: str, title: str) -> bytes:
    """The decay and summary plots of up to four outputs, as a ``fmt`` image.

    >>> subspace_figure([], "bmp", "f")
    Traceback (most recent call last):
    jaccli.errors.UsageError: cannot draw a 'bmp' image; use png, svg or pdf
    """
    require_format(fmt)
    rows = _rows(charts)
    if not rows:
        raise UsageError("nothing to plot: the result has no charts")
    matplotlib, figure_class = load_matplotlib()
    shown = rows[:MAX_OUTPUTS]
    ncols = max(1 + len(summary.labels) if summary else 1 for _, summary in shown)
    with drawing(matplotlib):
        fig = figure_class(figsize=(4.2 * ncols, 3.2 * len(shown) + 0.5), layout="constrained")
        axes = fig.subplots(len(shown), ncols, squeeze=False)
        for row, (decay, summary) in zip(axes, shown, strict=True):
            _decay(row[0], decay)
            if summary is not None:
                _summary_line(row[1], summary)
                if len(summary.labels) > 1:
                    _summary_plane(fig, row[2], summary)
            for ax in row[1 + (len(summary.labels) if summary else 0) :]:
                fig.delaxes(ax)
        fig.suptitle(literal(title), fontweight="bold")
        if len(rows) > len(shown):
            fig.supxlabel(f"first {len(shown)} of {len(rows)} outputs", fontsize=8, color="0.35")
        return image_bytes(fig, fmt)


def _rows(charts: Sequence[Chart]) -> list[tuple[Chart, Chart | None]]:
    """Each output's decay chart with its summary chart (none without a subspace)."""
    rows: list[tuple[Chart, Chart | None]] = []
    for chart in charts:
        if chart.kind == "decay":
            rows.append((chart, None))
        elif chart.kind == "summary" and rows:
            rows[-1] = (rows[-1][0], chart)
    return rows


def _decay(ax: Any, chart: Chart) -> None:
    """Eigenvalues against their index on a log scale, with intervals; K marked."""
    values = np.asarray(chart.series[0][1], dtype=float)[:MAX_EIGENVALUES]
    conf = np.asarray(chart.conf[0], dtype=float)[: len(values)]
    index = np.arange(1, len(values) + 1)
    top = float(values[0]) if np.isfinite(values[0]) else 0.0
    ax.set_title(literal(f"{chart.title}: {chart.measure}"), fontsize=9)
    ax.set_xlabel("index k")
    if top <= 0:
        ax.text(0.5, 0.5, "no active subspace", ha="center", transform=ax.transAxes)
        return
    kept = values > top * 10.0**-MAX_DECADES
    shown, low, high = values[kept], conf[kept, 0], conf[kept, 1]
    smallest = float(shown.min())
    bottom = float(np.min(low, initial=smallest, where=low > 0)) / 3
    ax.fill_between(
        index[kept], np.maximum(low, bottom), high, color=SERIES_COLOURS[0], alpha=0.2, lw=0
    )
    ax.plot(index[kept], shown, "o-", color=SERIES_COLOURS[0], ms=3, lw=1)
    ax.set_yscale("log")
    ax.set_ylim(min(bottom, top / 30), top * 3)
    ax.set_xlim(0.5, len(values) + 0.5)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_ylabel("eigenvalue (log scale)")
    ax.grid(axis="y")
    if chart.note:
        k = int(chart.note.removeprefix("K = "))
        ax.axvline(k + 0.5, color=SERIES_COLOURS[1], linestyle="--", linewidth=1)
        ax.annotate(
            chart.note,
            xy=(k + 0.5, 0.95),
            xycoords=("data", "axes fraction"),
            xytext=(3, 0),
            textcoords="offset points",
            color=SERIES_COLOURS[1],
            fontsize=8,
            va="top",
        )
    if not kept.all():
        ax.annotate(
            "eigenvalues at rounding level are left off",
            xy=(0.98, 0.02),
            xycoords="axes fraction",
            ha="right",
            fontsize=7,
            color="0.35",
        )


def _summary_line(ax: Any, chart: Chart) -> None:
    """f against the first active variable: a ridge shows as a curve."""
    (label, first), *_, (name, values) = chart.series
    ax.scatter(first, values, color=SERIES_COLOURS[0], **_POINT)
    ax.set_xlabel(literal(f"{label} (first active variable)"))
    ax.set_ylabel(literal(name))
    ax.set_title(literal(chart.measure))
    ax.grid()


def _summary_plane(fig: Any, ax: Any, chart: Chart) -> None:
    """The first two active variables, coloured by f."""
    (first_label, first), (second_label, second), (name, values) = chart.series
    points = ax.scatter(first, second, c=values, cmap="viridis", **_POINT)
    fig.colorbar(points, ax=ax, shrink=0.85, label=literal(name))
    ax.set_xlabel(literal(first_label))
    ax.set_ylabel(literal(second_label))
    ax.set_title(literal(f"{name} over the first two active variables"))
