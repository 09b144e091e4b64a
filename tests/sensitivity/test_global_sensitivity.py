"""Global sensitivity against closed forms: the Ishigami and Sobol' G functions (DGSM, Sobol',
Morris), seeds, shapes from the bounds, and the options a global analysis refuses."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest
from closed_forms import G_EXPR, ISHIGAMI, g_truth, ishigami_truth, within

import jaccli
from jaccli import parse_expr
from jaccli.errors import MissingExtraError, ShapeError, UsageError


@pytest.fixture(scope="module")
def ishigami():
    return parse_expr(ISHIGAMI)


def test_dgsm_of_ishigami_matches_the_closed_form(ishigami):
    result = jaccli.sensitivity(ishigami, bounds="-pi:pi", method="dgsm", samples=8192)
    indices = result.to_dict()["indices"]
    truth = ishigami_truth()
    within(indices["vi"], indices["vi_conf"], truth["vi"])
    within(indices["dgsm"], indices["dgsm_conf"], truth["dgsm"])
    # DGSM bounds the total index from above.
    assert np.all(np.array(indices["dgsm"]) >= truth["ST"])


def test_sobol_of_ishigami_matches_the_closed_form(ishigami):
    result = jaccli.sensitivity(ishigami, bounds="-pi:pi", method="sobol", samples=4096)
    d = result.to_dict()
    truth = ishigami_truth()
    within(d["indices"]["S1"], d["indices"]["S1_conf"], truth["S1"])
    within(d["indices"]["ST"], d["indices"]["ST_conf"], truth["ST"])
    assert d["samples"] == 4096 and d["evaluations"] == 4096 * 5
    assert d["ranking"] == ["x1", "x2", "x3"]


def test_the_g_function_sobol_and_dgsm_match_their_closed_forms():
    g = parse_expr(G_EXPR)
    truth = g_truth()
    sobol = jaccli.sensitivity(g, bounds="0:1", method="sobol", samples=4096).to_dict()
    within(sobol["indices"]["S1"], sobol["indices"]["S1_conf"], truth["S1"])
    within(sobol["indices"]["ST"], sobol["indices"]["ST_conf"], truth["ST"])
    dgsm = jaccli.sensitivity(g, bounds="0:1", method="dgsm", samples=8192).to_dict()
    within(dgsm["indices"]["vi"], dgsm["indices"]["vi_conf"], truth["vi"])
    assert sobol["ranking"] == dgsm["ranking"] == ["x0", "x1", "x2", "x3"]


def test_morris_of_a_linear_function_is_exact():
    result = jaccli.sensitivity(
        parse_expr("3*x - 0.5*y"), bounds="x=0:2,y=-1:1", method="morris", samples=20
    )
    indices = result.to_dict()["indices"]
    # Elementary effects are per unit of the range: c·(high − low), the same on every path.
    np.testing.assert_allclose(indices["mu_star"], [6.0, 1.0], rtol=1e-9)
    np.testing.assert_allclose(indices["mu"], [6.0, -1.0], rtol=1e-9)
    np.testing.assert_allclose(indices["sigma"], [0.0, 0.0], atol=1e-9)


def test_normal_inputs_of_a_linear_function():
    c, sd = np.array([1.0, 2.0, -3.0]), np.array([0.5, 1.0, 0.1])
    variance = np.sum((c * sd) ** 2)
    bounds = "x0=normal(1,0.5), x1=normal(0,1), x2=normal(-2,0.1)"
    f = parse_expr("x0 + 2*x1 - 3*x2")
    sobol = jaccli.sensitivity(f, bounds=bounds, method="sobol", samples=2048).to_dict()
    within(sobol["indices"]["S1"], sobol["indices"]["S1_conf"], (c * sd) ** 2 / variance)
    dgsm = jaccli.sensitivity(f, bounds=bounds, method="dgsm", samples=2048).to_dict()
    np.testing.assert_allclose(dgsm["indices"]["vi"], c**2, rtol=1e-12)
    # For a linear function of normal inputs, σ²ν/V is exactly the Sobol' index.
    within(dgsm["indices"]["dgsm"], dgsm["indices"]["dgsm_conf"], (c * sd) ** 2 / variance)
    assert dgsm["mean"] == pytest.approx(1 - 3 * -2, abs=0.05)
    with pytest.raises(UsageError, match="morris"):
        jaccli.sensitivity(f, bounds=bounds, method="morris")


def test_the_same_seed_gives_the_same_numbers_and_another_seed_others(cli):
    args = ["sensitivity", "-e", ISHIGAMI, "--bounds=-pi:pi", "--samples", "512", "-f", "json"]
    first, again = cli(*args, "--seed", "3"), cli(*args, "--seed", "3")
    other = cli(*args, "--seed", "4")
    assert first.code == again.code == other.code == 0
    assert first.json()["indices"] == again.json()["indices"]
    assert first.json()["indices"] != other.json()["indices"]


def test_vector_outputs_give_one_index_object_per_output(cli):
    run = cli(
        "sensitivity",
        "-e",
        "[x + 2*y, x*y]",
        "--bounds",
        "x=0:1,y=0:1",
        "--method",
        "sobol",
        "--samples",
        "256",
        "-f",
        "json",
    )
    assert run.code == 0, run.stderr
    d = run.json()
    assert d["method"] == "sobol" and d["inputs"] == ["x", "y"]
    assert isinstance(d["indices"], list) and len(d["indices"]) == 2
    assert set(d["indices"][0]) == {"S1", "S1_conf", "ST", "ST_conf"}
    assert d["bounds"][0] == {"input": "x", "distribution": "uniform", "low": 0.0, "high": 1.0}


def test_a_file_argument_becomes_a_vector_from_the_entries_the_bounds_name(cli, tmp_path):
    source = tmp_path / "model.py"
    source.write_text("import jax.numpy as jnp\n\ndef f(x):\n    return x[0] + 2 * x[1]\n")
    run = cli(
        "sensitivity", str(source), "--bounds", "x[0]=0:1,x[1]=0:1", "--samples", "64", "-f", "json"
    )
    assert run.code == 0, run.stderr
    d = run.json()
    assert d["inputs"] == ["x[0]", "x[1]"]
    np.testing.assert_allclose(d["indices"]["vi"], [1.0, 4.0])


def test_at_fixes_the_shape_of_a_global_analysis(cli, tmp_path):
    run = cli(
        "sensitivity",
        "samples/rosenbrock.py",
        "--at",
        "0,0",
        "--bounds",
        "x=-2:2",
        "--samples",
        "256",
        "-f",
        "json",
    )
    assert run.code == 0, run.stderr
    assert run.json()["inputs"] == ["x[0]", "x[1]"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bounds", "x=0:1"], "no range for y"),
        (["--bounds", "x=0:1,y=0:1,z=0:1"], "z, which is not an input"),
        (["--bounds", "x=1:0,y=0:1"], "empty"),
        (["--bounds", "x=0:1,y=normal(0,0)"], "positive standard deviation"),
        (["--bounds", "x=0:1,y=0:__import__"], "not a number"),
        (["--bounds=-1:1", "--dx", "1,1"], "local analysis"),
        (["--method", "sobol"], "needs --bounds"),
        (["--bounds=-1:1", "--samples", "1"], "--samples"),
        (["--bounds=-1:1", "--method", "morris", "--wrt", "x"], "needs --at"),
    ],
)
def test_bad_global_options_are_usage_errors(cli, args, message):
    run = cli("sensitivity", "-e", "x*y", *args)
    assert run.code == 2, run.stderr
    assert run.stdout == ""
    assert message in run.stderr and "Traceback" not in run.stderr


def test_without_salib_morris_says_which_extra_to_install(monkeypatch):
    for name in ("SALib", "SALib.sample", "SALib.sample.morris"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingExtraError) as info:
        jaccli.sensitivity(parse_expr("x*y"), bounds="0:1", method="morris")
    assert "jaccli[global]" in info.value.hint
    # DGSM and Sobol' need no extra.
    jaccli.sensitivity(parse_expr("x*y"), bounds="0:1", method="dgsm", samples=16)
    jaccli.sensitivity(parse_expr("x*y"), bounds="0:1", method="sobol", samples=16)


def test_an_output_that_does_not_vary_has_null_indices(cli):
    run = cli("sensitivity", "-e", "[x, 0*y + 1]", "--bounds=0:1", "--samples", "64", "-f", "json")
    assert run.code == 0, run.stderr
    d = run.json()
    assert d["indices"][1]["dgsm"] == [None, None]
    assert any("does not vary" in w for w in d["warnings"])


def test_nonfinite_values_on_the_sample_exit_1(cli):
    run = cli("sensitivity", "-e", "log(x)", "--bounds=-1:1", "--samples", "64", "-f", "json")
    assert run.code == 1
    assert "non-finite" in run.stderr or "NaN" in run.stderr
    named = [w for w in run.json()["warnings"] if w.startswith("the first sampled point")]
    x = float(named[0].split("x=")[1].split(" ")[0])
    assert x < 0 and "of 64 points" in named[0]


def test_python_control_flow_is_evaluated_point_by_point(tmp_path):
    source = tmp_path / "branchy.py"
    source.write_text("def f(x, y):\n    return x * y if x > 0.5 else 2 * y\n")
    result = jaccli.sensitivity(jaccli.load(str(source)), bounds="0:1", samples=32)
    assert any("point by point" in w for w in result.warnings)
    # E[(∂f/∂y)²] = ½·E[x² | x > ½] + ½·4 = ½·(7/12) + 2 over x uniform on [0, 1].
    assert result.fields["indices"]["vi"][1] == pytest.approx(0.5 * 7 / 12 + 2, rel=0.1)


def test_the_global_table_shows_confidence_intervals_and_bars(cli):
    run = cli("sensitivity", "-e", ISHIGAMI, "--bounds=-pi:pi", "--samples", "512", "-f", "table")
    assert run.code == 0, run.stderr
    assert "global sensitivity (dgsm)" in run.stdout
    assert " ± " in run.stdout and "█" in run.stdout


def test_json_is_strict(cli):
    run = cli("sensitivity", "-e", "[x, 0*y]", "--bounds=0:1", "--samples", "16", "-f", "json")
    json.loads(run.stdout, parse_constant=lambda token: pytest.fail(f"non-strict {token}"))


def test_shape_errors_name_both_shapes():
    with pytest.raises(ShapeError):
        jaccli.sensitivity(parse_expr("x*y"), 1.0, bounds="0:1")


def test_api_bounds_as_pairs_are_checked_like_text():
    f = parse_expr("x + 2*y")
    result = jaccli.sensitivity(f, bounds={"x": (0, 1), "y": (0.0, 2.0)}, samples=64)
    np.testing.assert_allclose(result.fields["indices"]["vi"], [1.0, 4.0])
    assert result.fields["bounds"][1] == {
        "input": "y",
        "distribution": "uniform",
        "low": 0.0,
        "high": 2.0,
    }
    with pytest.raises(UsageError, match="empty"):
        jaccli.sensitivity(f, bounds={"x": (1, 0), "y": (0, 1)})
    with pytest.raises(UsageError, match="finite"):
        jaccli.sensitivity(f, bounds={"x": (0, math.inf), "y": (0, 1)})
