"""Tests for jaccli._render.plots: every chart kind and the heatmap, as valid images of sensible size."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from jaccli._render.plots import charts_figure, heatmap_figure, plot_format
from jaccli.errors import MissingExtraError, UsageError
from jaccli.results import Chart

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

ELASTICITY = Chart(
    title="f",
    kind="tornado",
    measure="elasticity",
    labels=("x[2]", "x[0]", "x[1]"),
    series=(("elasticity", np.array([-2.5, 1.7, 0.1])),),
    note="at x = (1, 2, 3)",
)
SWING = Chart(
    title="f[1]",
    kind="tornado",
    measure="change of f for x ∓ dx",
    labels=("rate", "volume", "cost"),
    series=(("x − dx", np.array([-3.0, 1.0, 0.5])), ("x + dx", np.array([2.5, -1.2, 0.7]))),
)
SOBOL = Chart(
    title="f[0]",
    kind="bars",
    measure="Sobol index",
    labels=("alpha", "beta", "gamma", "delta"),
    series=(
        ("S1", np.array([0.6, 0.3, np.nan, 0.01])),
        ("ST", np.array([0.7, 0.35, 0.05, 0.02])),
    ),
    conf=(np.array([0.05, np.nan, 0.01, 0.02]), None),
    note="N = 1024 samples",
)
MATRIX = np.array([[1.0, 0.0, -2.0], [np.nan, 0.5, 3.0]])
ROWS, COLUMNS = ["f[0]", "f[1]"], ["x[0]", "x[1]", "x[2]"]


def _png_size(path) -> tuple[int, int]:
    """Width and height of a PNG file, after checking it is one of sensible size."""
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert 300 <= width <= 6000
    assert 300 <= height <= 6000
    assert len(data) > 5_000
    return width, height


def _svg_text(path) -> str:
    """All text of an SVG file, after checking it parses and has a size."""
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert root.get("width") and root.get("height")
    return "".join(root.itertext())


def test_plot_format_from_suffix():
    assert plot_format("a.png") == "png"
    assert plot_format("dir.v2/a.PDF") == "pdf"
    assert plot_format("a.svg") == "svg"
    for bad in ("a.gif", "a", "png"):
        with pytest.raises(UsageError, match=r"\.png, \.svg, \.pdf"):
            plot_format(bad)


@pytest.mark.parametrize("chart", [ELASTICITY, SWING, SOBOL], ids=lambda c: c.kind + c.title)
def test_each_chart_kind_as_png_and_svg(tmp_path, chart):
    charts_figure([chart], str(tmp_path / "chart.png"), "local sensitivity")
    _png_size(tmp_path / "chart.png")
    charts_figure([chart], str(tmp_path / "chart.svg"), "local sensitivity")
    text = _svg_text(tmp_path / "chart.svg")
    for label in (*chart.labels, chart.measure, chart.title, "local sensitivity"):
        assert label in text
    if chart.note:
        assert chart.note in text
    if chart is not ELASTICITY:
        assert all(name in text for name, _ in chart.series)  # the legend


def test_several_panels_and_pdf(tmp_path):
    charts = [ELASTICITY, SWING, SOBOL]
    charts_figure(charts, str(tmp_path / "all.png"), "three outputs")
    width, height = _png_size(tmp_path / "all.png")
    assert height > width  # stacked in one column
    charts_figure(charts, str(tmp_path / "all.pdf"), "three outputs")
    assert (tmp_path / "all.pdf").read_bytes().startswith(b"%PDF")


def test_many_panels_are_capped_with_a_note(tmp_path):
    charts_figure([SOBOL] * 14, str(tmp_path / "many.svg"), "fourteen outputs")
    text = _svg_text(tmp_path / "many.svg")
    assert "first 12 of 14 outputs" in text
    assert text.count("Sobol index") == 12


def test_long_panel_shows_the_most_influential_inputs(tmp_path):
    labels = tuple(f"input_{i}" for i in range(60))
    chart = Chart("g", "bars", "Sobol index", labels, (("ST", np.linspace(1.0, 0.0, 60)),))
    charts_figure([chart], str(tmp_path / "long.svg"), "sixty inputs")
    text = _svg_text(tmp_path / "long.svg")
    assert "input_39" in text and "input_40" not in text
    assert "top 40 of 60 inputs" in text
    charts_figure([chart], str(tmp_path / "long.png"), "sixty inputs")
    _png_size(tmp_path / "long.png")


def test_non_finite_bars_are_marked_not_drawn(tmp_path):
    chart = Chart("f", "tornado", "elasticity", ("a", "b"), (("e", np.array([np.inf, np.nan])),))
    charts_figure([chart], str(tmp_path / "nan.svg"), "nothing finite")
    assert _svg_text(tmp_path / "nan.svg").count("n/a") == 2


def test_user_text_is_literal(tmp_path):
    chart = Chart(
        title="cost in $",
        kind="tornado",
        measure="$\\alpha$ per [bold]unit[/bold]",
        labels=("$price", "[bold]x", "a $b$ c"),
        series=(("$e$", np.array([1.0, -0.5, 0.2])),),
        note="50% of $",
    )
    charts_figure([chart], str(tmp_path / "money.svg"), "$f$ [red]")
    text = _svg_text(tmp_path / "money.svg")
    for shown in ("$price", "[bold]x", "a $b$ c", "$f$ [red]", "cost in $", "$\\alpha$ per"):
        assert shown in text
    charts_figure([chart], str(tmp_path / "money.png"), "$f$ [red]")
    _png_size(tmp_path / "money.png")
    heatmap_figure(["$y"], ["$x$", "[b]"], np.ones((1, 2)), str(tmp_path / "h.png"), "$J")
    _png_size(tmp_path / "h.png")


def test_heatmap_png_svg_pdf(tmp_path):
    heatmap_figure(ROWS, COLUMNS, MATRIX, str(tmp_path / "j.png"), "Jacobian of f")
    _png_size(tmp_path / "j.png")
    heatmap_figure(ROWS, COLUMNS, MATRIX, str(tmp_path / "j.svg"), "Jacobian of f")
    text = _svg_text(tmp_path / "j.svg")
    assert all(label in text for label in ROWS + COLUMNS)
    assert "exact zero" in text and "NaN" in text
    heatmap_figure(ROWS, COLUMNS, MATRIX, str(tmp_path / "j.pdf"), "Jacobian of f")
    assert (tmp_path / "j.pdf").read_bytes().startswith(b"%PDF")


def test_complex_heatmap_shows_the_absolute_value(tmp_path):
    data = np.array([[1 + 2j, 0j], [-3j, 0.5]])
    heatmap_figure(["f[0]", "f[1]"], ["z[0]", "z[1]"], data, str(tmp_path / "c.svg"), "J")
    assert "J (absolute value)" in _svg_text(tmp_path / "c.svg")
    heatmap_figure(["f[0]", "f[1]"], ["z[0]", "z[1]"], data, str(tmp_path / "c.png"), "J")
    _png_size(tmp_path / "c.png")


def test_large_heatmap_thins_its_ticks(tmp_path):
    data = np.random.default_rng(0).normal(size=(100, 100))
    rows = [f"f[{i}]" for i in range(100)]
    columns = [f"x[{i}]" for i in range(100)]
    heatmap_figure(rows, columns, data, str(tmp_path / "big.png"), "100 × 100")
    _png_size(tmp_path / "big.png")
    heatmap_figure(rows, columns, data, str(tmp_path / "big.svg"), "100 × 100")
    text = _svg_text(tmp_path / "big.svg")
    assert "x[0]" in text and "x[99]" in text and "x[1]" not in text


def test_bad_suffix_is_a_usage_error_even_without_matplotlib(tmp_path, monkeypatch):
    _hide_matplotlib(monkeypatch)
    for draw in (
        lambda path: charts_figure([SOBOL], path, "t"),
        lambda path: heatmap_figure(ROWS, COLUMNS, MATRIX, path, "t"),
    ):
        with pytest.raises(UsageError, match=r"out\.gif") as error:
            draw(str(tmp_path / "out.gif"))
        assert not isinstance(error.value, MissingExtraError)
    assert not os.listdir(tmp_path)


def test_missing_matplotlib_names_the_extra(tmp_path, monkeypatch):
    _hide_matplotlib(monkeypatch)
    for draw in (
        lambda path: charts_figure([SOBOL], path, "t"),
        lambda path: heatmap_figure(ROWS, COLUMNS, MATRIX, path, "t"),
    ):
        with pytest.raises(MissingExtraError, match="--plot needs matplotlib") as error:
            draw(str(tmp_path / "out.png"))
        assert "jaccli[plot]" in error.value.hint
    assert not os.listdir(tmp_path)


def test_missing_directory_leaves_nothing_behind(tmp_path):
    with pytest.raises(UsageError, match="cannot write"):
        charts_figure([ELASTICITY], str(tmp_path / "missing" / "out.png"), "t")
    with pytest.raises(UsageError, match="cannot write"):
        heatmap_figure(ROWS, COLUMNS, MATRIX, str(tmp_path / "missing" / "out.svg"), "t")
    assert not os.listdir(tmp_path)


def test_nothing_to_plot(tmp_path):
    with pytest.raises(UsageError, match="nothing to plot"):
        charts_figure([], str(tmp_path / "out.png"), "t")
    with pytest.raises(UsageError, match="nothing to plot"):
        heatmap_figure([], [], np.zeros((0, 0)), str(tmp_path / "out.png"), "t")


def test_global_matplotlib_settings_are_untouched(tmp_path):
    import matplotlib

    # copy(), not dict(): reading rcParams["backend"] would resolve it by importing pyplot.
    before = matplotlib.rcParams.copy()
    charts_figure([SWING], str(tmp_path / "s.svg"), "t")
    heatmap_figure(ROWS, COLUMNS, MATRIX, str(tmp_path / "h.svg"), "t")
    assert matplotlib.rcParams.copy() == before


def test_matplotlib_loads_on_first_plot_and_pyplot_never(tmp_path):
    code = (
        "import sys, numpy as np, jaccli._render.plots as p\n"
        "assert 'matplotlib' not in sys.modules\n"
        f"p.heatmap_figure(['f'], ['x'], np.ones((1, 1)), {str(tmp_path / 'j.png')!r}, 'J')\n"
        "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    _png_size(tmp_path / "j.png")


def _hide_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `import matplotlib` (and its submodules) fail, as when it is not installed."""
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
