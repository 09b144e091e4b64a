"""Tests for jaccli._render.plots: every chart kind and the heatmap, as valid images of sensible size."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import jaccli
from jaccli._render.plots import charts_figure, figure, heatmap_figure, plot_format
from jaccli._runtime import atomic_write
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


def _png_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG image, after checking it is one of sensible size."""
    assert data[:8] == PNG_MAGIC
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    assert 300 <= width <= 6000
    assert 300 <= height <= 6000
    assert len(data) > 5_000
    return width, height


def _svg_text(data: bytes) -> str:
    """All text of an SVG image, after checking it parses and has a size."""
    root = ET.fromstring(data)
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
def test_each_chart_kind_as_png_and_svg(chart):
    _png_size(charts_figure([chart], "png", "local sensitivity"))
    text = _svg_text(charts_figure([chart], "svg", "local sensitivity"))
    for label in (*chart.labels, chart.measure, chart.title, "local sensitivity"):
        assert label in text
    if chart.note:
        assert chart.note in text
    if chart is not ELASTICITY:
        assert all(name in text for name, _ in chart.series)  # the legend


def test_several_panels_and_pdf():
    charts = [ELASTICITY, SWING, SOBOL]
    width, height = _png_size(charts_figure(charts, "png", "three outputs"))
    assert height > width  # stacked in one column
    assert charts_figure(charts, "pdf", "three outputs").startswith(b"%PDF")


def test_many_panels_are_capped_with_a_note():
    text = _svg_text(charts_figure([SOBOL] * 14, "svg", "fourteen outputs"))
    assert "first 12 of 14 outputs" in text
    assert text.count("Sobol index") == 12


def test_long_panel_shows_the_most_influential_inputs():
    labels = tuple(f"input_{i}" for i in range(60))
    chart = Chart("g", "bars", "Sobol index", labels, (("ST", np.linspace(1.0, 0.0, 60)),))
    text = _svg_text(charts_figure([chart], "svg", "sixty inputs"))
    assert "input_39" in text and "input_40" not in text
    assert "top 40 of 60 inputs" in text
    _png_size(charts_figure([chart], "png", "sixty inputs"))


def test_non_finite_bars_are_marked_not_drawn():
    chart = Chart("f", "tornado", "elasticity", ("a", "b"), (("e", np.array([np.inf, np.nan])),))
    assert _svg_text(charts_figure([chart], "svg", "nothing finite")).count("n/a") == 2


def test_user_text_is_literal():
    chart = Chart(
        title="cost in $",
        kind="tornado",
        measure="$\\alpha$ per [bold]unit[/bold]",
        labels=("$price", "[bold]x", "a $b$ c"),
        series=(("$e$", np.array([1.0, -0.5, 0.2])),),
        note="50% of $",
    )
    text = _svg_text(charts_figure([chart], "svg", "$f$ [red]"))
    for shown in ("$price", "[bold]x", "a $b$ c", "$f$ [red]", "cost in $", "$\\alpha$ per"):
        assert shown in text
    _png_size(charts_figure([chart], "png", "$f$ [red]"))
    _png_size(heatmap_figure(["$y"], ["$x$", "[b]"], np.ones((1, 2)), "png", "$J"))


def test_heatmap_png_svg_pdf():
    _png_size(heatmap_figure(ROWS, COLUMNS, MATRIX, "png", "Jacobian of f"))
    text = _svg_text(heatmap_figure(ROWS, COLUMNS, MATRIX, "svg", "Jacobian of f"))
    assert all(label in text for label in ROWS + COLUMNS)
    assert "exact zero" in text and "NaN" in text
    assert heatmap_figure(ROWS, COLUMNS, MATRIX, "pdf", "Jacobian of f").startswith(b"%PDF")


def test_complex_heatmap_shows_the_absolute_value():
    data = np.array([[1 + 2j, 0j], [-3j, 0.5]])
    text = _svg_text(heatmap_figure(["f[0]", "f[1]"], ["z[0]", "z[1]"], data, "svg", "J"))
    assert "J (absolute value)" in text
    _png_size(heatmap_figure(["f[0]", "f[1]"], ["z[0]", "z[1]"], data, "png", "J"))


def test_large_heatmap_thins_its_ticks():
    data = np.random.default_rng(0).normal(size=(100, 100))
    rows = [f"f[{i}]" for i in range(100)]
    columns = [f"x[{i}]" for i in range(100)]
    _png_size(heatmap_figure(rows, columns, data, "png", "100 × 100"))
    text = _svg_text(heatmap_figure(rows, columns, data, "svg", "100 × 100"))
    assert "x[0]" in text and "x[99]" in text and "x[1]" not in text


def test_a_result_is_drawn_as_its_charts_or_its_heatmap():
    jacobian = jaccli.jacobian(lambda x: x[::-1] * 2.0, np.array([1.0, 2.0]))
    text = _svg_text(figure(jacobian, "svg"))
    assert "Jacobian of" in text and "x[1]" in text and "f[0]" in text
    sensitivity = jaccli.sensitivity(lambda x: x[0] * x[1], np.array([1.0, 2.0]))
    text = _svg_text(figure(sensitivity, "svg"))
    assert "local sensitivity of" in text and "elasticity" in text


def test_bad_format_is_a_usage_error_even_without_matplotlib(tmp_path, monkeypatch):
    _hide_matplotlib(monkeypatch)
    with pytest.raises(UsageError, match=r"out\.gif") as error:
        plot_format(str(tmp_path / "out.gif"))
    assert not isinstance(error.value, MissingExtraError)
    for draw in (
        lambda fmt: charts_figure([SOBOL], fmt, "t"),
        lambda fmt: heatmap_figure(ROWS, COLUMNS, MATRIX, fmt, "t"),
    ):
        with pytest.raises(UsageError, match="'gif'") as error:
            draw("gif")
        assert not isinstance(error.value, MissingExtraError)
    assert not os.listdir(tmp_path)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    _hide_matplotlib(monkeypatch)
    for draw in (
        lambda fmt: charts_figure([SOBOL], fmt, "t"),
        lambda fmt: heatmap_figure(ROWS, COLUMNS, MATRIX, fmt, "t"),
    ):
        with pytest.raises(MissingExtraError, match="--plot needs matplotlib") as error:
            draw("png")
        assert "jaccli[plot]" in error.value.hint


def test_missing_directory_leaves_nothing_behind(tmp_path):
    with pytest.raises(UsageError, match="cannot write"):
        atomic_write(str(tmp_path / "missing" / "out.png"), charts_figure([ELASTICITY], "png", "t"))
    with pytest.raises(UsageError, match="cannot write"):
        image = heatmap_figure(ROWS, COLUMNS, MATRIX, "svg", "t")
        atomic_write(str(tmp_path / "missing" / "out.svg"), image)
    assert not os.listdir(tmp_path)


def test_nothing_to_plot():
    with pytest.raises(UsageError, match="nothing to plot"):
        charts_figure([], "png", "t")
    with pytest.raises(UsageError, match="nothing to plot"):
        heatmap_figure([], [], np.zeros((0, 0)), "png", "t")


def test_global_matplotlib_settings_are_untouched():
    import matplotlib

    # copy(), not dict(): reading rcParams["backend"] would resolve it by importing pyplot.
    before = matplotlib.rcParams.copy()
    charts_figure([SWING], "svg", "t")
    heatmap_figure(ROWS, COLUMNS, MATRIX, "svg", "t")
    assert matplotlib.rcParams.copy() == before


def test_matplotlib_loads_on_first_plot_and_pyplot_never(tmp_path):
    code = (
        "import sys, numpy as np, jaccli._render.plots as p\n"
        "assert 'matplotlib' not in sys.modules\n"
        "image = p.heatmap_figure(['f'], ['x'], np.ones((1, 1)), 'png', 'J')\n"
        "assert 'matplotlib' in sys.modules and 'matplotlib.pyplot' not in sys.modules\n"
        f"open({str(tmp_path / 'j.png')!r}, 'wb').write(image)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    _png_size((tmp_path / "j.png").read_bytes())


def _hide_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `import matplotlib` (and its submodules) fail, as when it is not installed."""
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, name, None)
