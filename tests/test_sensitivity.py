"""Sensitivity analysis against closed forms: elasticities of power laws, exact propagation
through linear maps, and the Ishigami and Sobol' G functions (DGSM, Sobol', Morris)."""

from __future__ import annotations

import json
import math
import sys

import numpy as np
import pytest

import jaccli
from jaccli import parse_expr
from jaccli.errors import MissingExtraError, ShapeError, UsageError

PI = math.pi
A, B = 7.0, 0.1
ISHIGAMI = f"sin(x1) + {A}*sin(x2)**2 + {B}*x3**4*sin(x1)"


def ishigami_truth() -> dict[str, np.ndarray]:
    """Closed-form Sobol' indices and DGSM of the Ishigami function on [−π, π]³."""
    v1 = B * PI**4 / 5 + B**2 * PI**8 / 50 + 0.5
    v2 = A**2 / 8
    v13 = B**2 * PI**8 / 18 - B**2 * PI**8 / 50
    variance = v1 + v2 + v13
    nu = np.array(
        [0.5 * (1 + 2 * B * PI**4 / 5 + B**2 * PI**8 / 9), A**2 / 2, 8 * B**2 * PI**6 / 7]
    )
    return {
        "S1": np.array([v1, v2, 0.0]) / variance,
        "ST": np.array([v1 + v13, v2, v13]) / variance,
        "vi": nu,
        "dgsm": (2 * PI) ** 2 / PI**2 * nu / variance,
    }


G_A = (0.0, 1.0, 4.5, 9.0)


def g_truth() -> dict[str, np.ndarray]:
    """Closed forms for the Sobol' G function ∏ (|4xᵢ − 2| + aᵢ)/(1 + aᵢ) on [0, 1]⁴."""
    a = np.array(G_A)
    partial = 1 / (3 * (1 + a) ** 2)
    variance = np.prod(1 + partial) - 1
    others = np.array([np.prod(np.delete(1 + partial, i)) for i in range(len(a))])
    return {
        "S1": partial / variance,
        "ST": partial * others / variance,
        "vi": 16 / (1 + a) ** 2 * others,
    }


G_EXPR = " * ".join(f"(abs(4*x{i} - 2) + {a})/(1 + {a})" for i, a in enumerate(G_A))


def within(estimate, conf, truth, slack: float = 1.0) -> None:
    estimate, conf, truth = (np.asarray(v, dtype=float) for v in (estimate, conf, truth))
    assert np.all(np.abs(estimate - truth) <= slack * conf), (estimate, conf, truth)


# --- local ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("a", "b", "x", "y"), [(2.5, -1.5, 2.0, 3.0), (3.0, 0.5, 0.7, 11.0)])
def test_elasticities_of_a_power_law_are_its_exponents(a, b, x, y):
    result = jaccli.sensitivity(parse_expr(f"x**{a} * y**({b})"), x, y)
    elasticity = result.fields["elasticity"]
    assert elasticity["x"] == pytest.approx(a, rel=1e-12)
    assert elasticity["y"] == pytest.approx(b, rel=1e-12)
    assert result.fields["ranking"] == (["x", "y"] if abs(a) > abs(b) else ["y", "x"])


def test_uncertainty_through_a_linear_map_is_exact():
    matrix = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, 1.0]])

    def f(x):
        return matrix @ x + 1.0

    sigma = np.array([0.1, 0.2, 0.3])
    result = jaccli.sensitivity(f, np.array([1.0, 2.0, 3.0]), sigma=sigma)
    u = result.fields["uncertainty"]
    expected = matrix @ np.diag(sigma**2) @ matrix.T
    np.testing.assert_allclose(u["cov_out"], expected, rtol=1e-14)
    np.testing.assert_allclose(u["sigma_out"], np.sqrt(np.diag(expected)), rtol=1e-14)
    share = (matrix * sigma) ** 2 / np.diag(expected)[:, None]
    np.testing.assert_allclose(u["variance_share"], share, rtol=1e-14)
    np.testing.assert_allclose(u["sigma_in"], sigma)
    assert result.fields["ranking"] == [["x[1]", "x[2]", "x[0]"], ["x[0]", "x[2]", "x[1]"]]


def test_a_correlated_covariance_propagates_exactly_and_shares_sum_to_one(tmp_path):
    matrix = np.array([[2.0, -1.0], [0.5, 4.0]])
    cov = np.array([[0.04, 0.03], [0.03, 0.09]])
    result = jaccli.sensitivity(lambda x: matrix @ x, np.array([1.0, 1.0]), cov=cov)
    u = result.fields["uncertainty"]
    np.testing.assert_allclose(u["cov_out"], matrix @ cov @ matrix.T, rtol=1e-14)
    np.testing.assert_allclose(np.sum(u["variance_share"], axis=1), 1.0, rtol=1e-12)
    assert any("correlated" in w for w in result.warnings)


def test_perturbation_of_a_quadratic_has_exactly_the_second_order_error():
    result = jaccli.sensitivity(parse_expr("x**2 + 3*y"), 2.0, 1.0, dx=(0.1, -0.2))
    p = result.fields["perturbation"]
    assert p["predicted"] == pytest.approx(2 * 2 * 0.1 + 3 * -0.2, rel=1e-12)
    assert p["actual"] == pytest.approx((2.1**2 + 3 * 0.8) - (4 + 3), rel=1e-12)
    assert p["linearization_error"] == pytest.approx(0.1**2, rel=1e-9)
    oat = result.fields["one_at_a_time"]
    assert oat["up"]["x"] == pytest.approx(2.1**2 - 4)
    assert oat["down"]["x"] == pytest.approx(1.9**2 - 4)
    assert oat["up"]["y"] == pytest.approx(-0.6)


def test_relative_step_scales_with_the_point():
    result = jaccli.sensitivity(parse_expr("x*y"), 2.0, -4.0, rel_dx=0.01)
    assert result.fields["perturbation"]["dx"] == {"x": pytest.approx(0.02), "y": 0.04}


def test_elasticity_where_the_output_is_zero_is_null_with_a_note():
    result = jaccli.sensitivity(parse_expr("[x - 1, x*y]"), 1.0, 0.0)
    d = result.to_dict()
    assert d["elasticity"]["x"][0] is None
    assert any("output is 0" in w for w in result.warnings)
    assert any("y is 0" in w for w in result.warnings)
    # The ranking still orders every input, by |∂f/∂x| where the elasticity cannot.
    assert sorted(d["ranking"][0]) == ["x", "y"]


def test_top_keeps_the_most_influential_inputs():
    result = jaccli.sensitivity(parse_expr("x + 10*y + 100*z"), 1.0, 1.0, 1.0, top=2)
    assert result.fields["ranking"] == ["z", "y"]
    assert [len(chart.labels) for chart in result.charts] == [2]


def test_local_contract_fields_from_the_cli(cli):
    run = cli(
        "sensitivity",
        "-e",
        "[x**2*y, y]",
        "--at",
        "1,2",
        "--dx",
        "0.1,0",
        "--sigma",
        "0.1,0.1",
        "--format",
        "json",
    )
    assert run.code == 0, run.stderr
    d = run.json()
    assert d["command"] == "sensitivity" and d["method"] == "local"
    assert d["result"] == {"x": [4.0, 0.0], "y": [1.0, 1.0]}
    assert d["elasticity"]["x"][0] == pytest.approx(2.0)
    assert set(d["perturbation"]) == {"dx", "predicted", "actual", "linearization_error"}
    assert set(d["uncertainty"]) == {"sigma_in", "cov_out", "sigma_out", "variance_share"}
    assert d["ranking"] == [["x", "y"], ["y", "x"]]


def test_cov_from_a_csv_file(cli, tmp_path):
    path = tmp_path / "cov.csv"
    path.write_text("0.01,0\n0,0.04\n")
    run = cli("sensitivity", "-e", "x + 2*y", "--at", "1,1", "--cov", str(path), "-f", "json")
    assert run.code == 0, run.stderr
    assert run.json()["uncertainty"]["cov_out"] == pytest.approx(0.01 + 4 * 0.04)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dx", "1,1", "--rel-dx", "0.1"], "not both"),
        (["--sigma", "-1,1"], "non-negative"),
        (["--sigma", "1,1,1"], "--sigma"),
        (["--top", "0"], "--top"),
        (["--samples", "10"], "global analysis"),
        (["--bounds=-1:1", "--method", "local"], "global analysis"),
        (["--method", "spline"], "--method must be"),
        (["--rel-dx", "0"], "non-zero"),
    ],
)
def test_bad_local_options_are_usage_errors(cli, args, message):
    run = cli("sensitivity", "-e", "x*y", "--at", "1,2", *args)
    assert run.code == 2
    assert run.stdout == ""
    assert message in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize(
    ("cov", "message"),
    [
        ([[1.0, 0.5], [0.0, 1.0]], "not symmetric"),
        ([[1.0, 2.0], [2.0, 1.0]], "positive semi-definite"),
        ([[1.0]], "must be (2, 2)"),
    ],
)
def test_a_bad_covariance_is_refused(cov, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        jaccli.sensitivity(parse_expr("x*y"), 1.0, 2.0, cov=np.array(cov))


def test_complex_functions_are_refused():
    with pytest.raises(UsageError, match="real functions"):
        jaccli.sensitivity(lambda z: z**2, np.array(1 + 1j))


def test_a_file_function_with_a_vector_argument(cli):
    run = cli("sensitivity", "samples/rosenbrock.py", "--at", "1.2,1", "-f", "json")
    assert run.code == 0, run.stderr
    d = run.json()
    assert d["inputs"] == ["x[0]", "x[1]"]
    assert set(d["ranking"]) == {"x[0]", "x[1]"}


def test_the_table_shows_ranked_rows_and_a_tornado(cli):
    run = cli("sensitivity", "-e", "[x**2*y, y]", "--at", "1,2", "--rel-dx", "0.1", "-f", "table")
    assert run.code == 0, run.stderr
    assert "local sensitivity of" in run.stdout
    assert "elasticity" in run.stdout and "│" in run.stdout and "█" in run.stdout
    assert "f[0]" in run.stdout and "f[1]" in run.stdout


def test_csv_has_one_row_per_output_and_input(cli):
    run = cli("sensitivity", "-e", "[x**2*y, y]", "--at", "1,2", "-f", "csv")
    assert run.code == 0, run.stderr
    lines = run.stdout.strip().splitlines()
    assert lines[0].startswith("output,input,rank,")
    assert len(lines) == 1 + 2 * 2


# --- global -----------------------------------------------------------------------------------


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


def test_without_salib_sobol_says_which_extra_to_install(monkeypatch):
    for name in ("SALib", "SALib.sample", "SALib.sample.sobol"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(MissingExtraError) as info:
        jaccli.sensitivity(parse_expr("x*y"), bounds="0:1", method="sobol")
    assert "jaccli[global]" in info.value.hint
    # DGSM needs no extra.
    jaccli.sensitivity(parse_expr("x*y"), bounds="0:1", method="dgsm", samples=16)


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


# --- pictures ---------------------------------------------------------------------------------


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


def test_the_beam_sample_has_its_exponents_as_elasticities(cli):
    at = "F=1000,L=2,E=2e11,I=8e-6"
    d = cli("sensitivity", "samples/beam.py", "--at", at, "-f", "json").json()
    np.testing.assert_allclose([d["elasticity"][k] for k in "FLEI"], [1, 3, -1, -1], rtol=1e-12)
    assert d["ranking"][0] == "L"
    d = cli("sensitivity", "samples/beam.py", "--at", at, "--rel-dx", "0.1", "-f", "json").json()
    base = 1000 * 8 / (3 * 2e11 * 8e-6)
    assert d["perturbation"]["actual"] == pytest.approx(base * (1.1 * 1.1**3 / 1.1**2 - 1))
    assert d["perturbation"]["predicted"] == pytest.approx(base * 0.2)
    assert d["one_at_a_time"]["up"]["L"] == pytest.approx(base * 0.331)
    sigma = "F=100,L=0.01,E=1e10,I=4e-7"
    d = cli("sensitivity", "samples/beam.py", "--at", at, "--sigma", sigma, "-f", "json").json()
    shares = {"F": 0.1**2, "L": (3 * 0.005) ** 2, "E": 0.05**2, "I": 0.05**2}
    total = sum(shares.values())
    for name, share in shares.items():
        assert d["uncertainty"]["variance_share"][name] == pytest.approx(share / total)
    assert d["uncertainty"]["sigma_out"] == pytest.approx(base * math.sqrt(total))


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
