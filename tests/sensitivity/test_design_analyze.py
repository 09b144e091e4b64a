"""The external-model workflow: ``design`` writes the very sample ``sensitivity`` evaluates, a
model runs on it outside jaccli, and ``analyze`` gives the same indices; edited designs, wrong
row counts and NaN outputs are refused with exit 2."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest

import jaccli
from jaccli import parse_expr
from jaccli._load import read_design, read_outputs
from jaccli._sensitivity import analyze, design
from jaccli.errors import UsageError

MODEL = "x + 3*y**2 - x*z"
BOUNDS = "x=0:1,y=-1:2,z=0:1"


def model(points: np.ndarray) -> np.ndarray:
    x, y, z = points.T
    return x + 3 * y**2 - x * z


def design_rows(path) -> np.ndarray:
    with open(path) as f:
        rows = list(csv.reader(line for line in f if not line.startswith("#")))
    return np.array(rows[1:], dtype=float)


def same_indices(found: dict, expected: dict) -> None:
    """The model here is NumPy, the expression JAX: values may differ in the last bit."""
    assert found.keys() == expected.keys()
    for key, value in expected.items():
        np.testing.assert_allclose(found[key], value, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(
    ("method", "extra"), [("sobol", ()), ("sobol", ("--replicates", "2")), ("morris", ())]
)
def test_design_then_analyze_equals_sensitivity(cli, tmp_path, method, extra):
    path = tmp_path / "design.csv"
    options = ("--bounds", BOUNDS, "--method", method, "--samples", "16", *extra)
    run = cli("design", *options, "-o", str(path))
    assert run.code == 0 and run.stdout == "" and "design of" in run.stderr
    points = design_rows(path)
    outputs = tmp_path / "y.csv"
    outputs.write_text("y\n" + "".join(f"{float(v)!r}\n" for v in model(points)))
    analyzed = cli("analyze", str(path), str(outputs), "--format", "json")
    assert analyzed.code == 0, analyzed.stderr
    analyzed = analyzed.json()
    direct = cli("sensitivity", "-e", MODEL, *options, "--format", "json").json()
    keys = ("ranking", "samples", "evaluations", "seed", "bounds", "sampling", "interval")
    for key in (*keys, "replicates"):
        assert analyzed[key] == direct[key], key
    same_indices(analyzed["indices"], direct["indices"])
    assert analyzed["outputs"] == ["y"] and analyzed["function"]["kind"] == "external"


def test_npy_design_has_its_metadata_beside_it_and_outputs_may_be_npy(tmp_path):
    drawn = design(BOUNDS, "sobol", samples=8, seed=3)
    from jaccli._load import design_bytes

    files = design_bytes(drawn, str(tmp_path / "d.npy"), "output")
    for path, data in files.items():
        with open(path, "wb") as f:
            f.write(data)
    meta = json.loads((tmp_path / "d.json").read_text())
    assert meta["method"] == "sobol" and meta["seed"] == 3 and meta["rows"] == 8 * 5
    assert meta["inputs"] == ["x", "y", "z"] and meta["checksum"].startswith("sha256:")
    back = read_design(str(tmp_path / "d.npy"))
    np.testing.assert_array_equal(back.points, drawn.points)
    np.save(tmp_path / "y.npy", model(back.points))
    names, values = read_outputs(str(tmp_path / "y.npy"), len(back.points))
    assert names is None and values.shape == (40, 1)
    problem, distributions = jaccli._sensitivity.prepare_global(parse_expr(MODEL), BOUNDS)
    direct = jaccli._sensitivity.global_at(problem, distributions, "sobol", 8, seed=3)
    same_indices(analyze(back, values).to_dict()["indices"], direct.to_dict()["indices"])


def test_several_outputs_without_a_header_are_f0_f1(cli, tmp_path):
    path = tmp_path / "d.csv"
    cli("design", "--bounds", "a=0:1,b=0:1", "--samples", "8", "-o", str(path))
    points = design_rows(path)
    np.savetxt(tmp_path / "y.csv", np.stack([points[:, 0], 2 * points[:, 1]], 1), delimiter=",")
    d = cli("analyze", str(path), str(tmp_path / "y.csv"), "--format", "json").json()
    assert d["outputs"] == ["f[0]", "f[1]"]
    assert d["ranking"] == [["a", "b"], ["b", "a"]]


def test_an_edited_design_is_refused(cli, tmp_path):
    path = tmp_path / "d.csv"
    cli("design", "--bounds", "a=0:1,b=0:1", "--samples", "8", "-o", str(path))
    lines = path.read_text().splitlines()
    lines[3] = "0.5," + lines[3].split(",")[1]
    path.write_text("\n".join(lines) + "\n")
    (tmp_path / "y.csv").write_text("\n".join(["1.0"] * 32) + "\n")
    run = cli("analyze", str(path), str(tmp_path / "y.csv"))
    assert run.code == 2 and run.stdout == ""
    assert "edited" in run.stderr and "checksum" in run.stderr and "Traceback" not in run.stderr


def test_wrong_row_counts_and_nan_outputs_are_named(cli, tmp_path):
    path = tmp_path / "d.csv"
    cli("design", "--bounds", "a=0:1,b=0:1", "--samples", "8", "-o", str(path))
    (tmp_path / "short.csv").write_text("\n".join(["1.0"] * 31) + "\n")
    run = cli("analyze", str(path), str(tmp_path / "short.csv"))
    assert run.code == 2 and "31 rows but the design has 32" in run.stderr
    values = ["1.0"] * 32
    values[4], values[9] = "nan", "inf"
    (tmp_path / "nan.csv").write_text("\n".join(values) + "\n")
    run = cli("analyze", str(path), str(tmp_path / "nan.csv"))
    assert run.code == 2 and "design rows 5, 10" in run.stderr


def test_design_refusals():
    with pytest.raises(UsageError, match="name every input"):
        design("-1:1", "sobol")
    with pytest.raises(UsageError, match="sobol or morris"):
        design("x=0:1", "dgsm")
    with pytest.raises(UsageError, match="normal"):
        design("x=normal(0,1),y=0:1", "morris")
    with pytest.raises(UsageError, match=r"\.csv or \.npy"):
        from jaccli._load import design_suffix

        design_suffix("d.txt", "--output")


def test_design_goes_to_stdout_without_output(cli):
    run = cli("design", "--bounds", "a=0:1", "--method", "morris", "--samples", "4")
    assert run.code == 0
    assert run.stdout.startswith("# jaccli") and "\na\n" in run.stdout
    assert len([line for line in run.stdout.splitlines() if not line.startswith("#")]) == 1 + 8


def test_analyze_draws_its_plot(cli, tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "design.csv"
    run = cli("design", "--bounds", BOUNDS, "--samples", "16", "-o", str(path))
    assert run.code == 0, run.stderr
    outputs = tmp_path / "y.csv"
    outputs.write_text("y\n" + "".join(f"{float(v)!r}\n" for v in model(design_rows(path))))
    chart = tmp_path / "indices.png"
    analyzed = cli("analyze", str(path), str(outputs), "--plot", str(chart), "--format", "json")
    assert analyzed.code == 0, analyzed.stderr
    assert chart.read_bytes().startswith(b"\x89PNG")
