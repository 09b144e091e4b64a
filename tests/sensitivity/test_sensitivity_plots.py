"""Sensitivity charts written beside the JSON: PNG and SVG, and the refusals before any work."""

from __future__ import annotations

import json
import sys

import pytest
from closed_forms import ISHIGAMI


def _png_size(data: bytes) -> tuple[int, int]:
    import struct

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize(
    "args",
    [
        ["sensitivity", "-e", "[x**2*y, x + y]", "--at", "1,2", "--rel-dx", "0.1"],
        ["sensitivity", "-e", "x**2*y", "--at", "1,2"],
        ["sensitivity", "-e", ISHIGAMI, "--bounds=-pi:pi", "--method", "sobol", "--samples", "64"],
        ["sensitivity", "-e", ISHIGAMI, "--bounds=-pi:pi", "--samples", "64"],
        ["jacobian", "-e", "[x**2*y, x + y, x*y]", "--at", "1,2"],
    ],
)
def test_plot_writes_a_sensible_image_beside_the_json(cli, tmp_path, args):
    path = tmp_path / "chart.png"
    run = cli(*args, "--plot", str(path), "-f", "json")
    assert run.code == 0, run.stderr
    json.loads(run.stdout)
    width, height = _png_size(path.read_bytes())
    assert 300 <= width <= 6000 and 200 <= height <= 6000
    assert path.stat().st_size > 5000
    assert "wrote the chart" in run.stderr


def test_plot_as_svg_names_the_inputs(cli, tmp_path):
    import xml.etree.ElementTree as ET

    path = tmp_path / "chart.svg"
    run = cli(
        "sensitivity", "-e", "alpha*beta**2", "--at", "1,2", "--plot", str(path), "-f", "json"
    )
    assert run.code == 0, run.stderr
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    text = path.read_text()
    assert "alpha" in text and "beta" in text


def test_a_bad_plot_suffix_is_refused_before_any_work(cli, tmp_path):
    run = cli("sensitivity", "-e", "x*y", "--at", "1,2", "--plot", str(tmp_path / "c.gif"))
    assert run.code == 2 and run.stdout == ""
    assert ".gif" in run.stderr
    assert list(tmp_path.iterdir()) == []


def test_plot_without_matplotlib_names_the_extra(cli, tmp_path, monkeypatch):
    for name in ("matplotlib", "matplotlib.figure"):
        monkeypatch.setitem(sys.modules, name, None)
    run = cli("jacobian", "-e", "x*y", "--at", "1,2", "--plot", str(tmp_path / "c.png"))
    assert run.code == 2 and run.stdout == ""
    assert "jaccli[plot]" in run.stderr


def test_jacobian_plot_takes_one_point_not_a_batch(cli, tmp_path):
    points = tmp_path / "p.json"
    points.write_text("[[1, 2], [3, 4]]")
    run = cli("jacobian", "-e", "x*y", "--batch", str(points), "--plot", str(tmp_path / "c.png"))
    assert run.code == 2 and "--plot" in run.stderr
