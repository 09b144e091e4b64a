"""Local sensitivity against closed forms: elasticities of power laws, exact propagation through
linear maps, perturbations, and the options a local analysis refuses."""

from __future__ import annotations

import math

import numpy as np
import pytest

import jaccli
from jaccli import parse_expr
from jaccli.errors import UsageError


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
