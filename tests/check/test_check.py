"""`jaccli check` and `--check`: planted bugs are caught with the right diagnosis, correct
functions pass, and the JSON follows the contract of SPEC §8."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from jaccli import _check, _operations, _problem
from jaccli._load import loader, points

REFERENCE_FIELDS = {
    "name",
    "available",
    "reason",
    "max_abs_err",
    "max_rel_err",
    "error_estimate",
    "passed",
    "worst",
}
PLANTED = {
    "wrong_rule.py": """
        import jax
        import jax.numpy as jnp

        @jax.custom_jvp
        def softplus(x):
            return jnp.log1p(jnp.exp(x))

        @softplus.defjvp
        def softplus_jvp(primals, tangents):
            (x,), (t,) = primals, tangents
            return softplus(x), t * jnp.exp(x)  # should be t * sigmoid(x)

        def f(x):
            return softplus(x[0]) * x[1]
    """,
    "stopped.py": """
        import jax
        import jax.numpy as jnp

        def f(x):
            return jnp.sin(x[0]) * jax.lax.stop_gradient(x[1])
    """,
    "second_order.py": """
        import jax
        import jax.numpy as jnp

        @jax.custom_jvp
        def wave(x):
            return jnp.sin(x)

        @wave.defjvp
        def wave_jvp(primals, tangents):
            (x,), (t,) = primals, tangents
            # Right to first order; the rule's own derivative ignores x, so second order is wrong.
            return wave(x), t * jnp.cos(jax.lax.stop_gradient(x))

        def f(x):
            return wave(x[0]) * x[1] ** 2
    """,
    "radius.py": """
        import jax.numpy as jnp

        def f(x):
            return jnp.sqrt(x[0] ** 2 + x[1] ** 2)
    """,
    "powell.py": '''
        import jax.numpy as jnp

        def f(x):
            """Powell's badly scaled function (Moré, Garbow and Hillstrom, problem 3)."""
            return jnp.stack([1e4 * x[0] * x[1] - 1, jnp.exp(-x[0]) + jnp.exp(-x[1]) - 1.0001])
    ''',
}


@pytest.fixture
def planted(tmp_path):
    for name, source in PLANTED.items():
        (tmp_path / name).write_text(textwrap.dedent(source))
    return tmp_path


def checked(cli, *args: str) -> tuple[int, dict]:
    run = cli("check", *args, "--format", "json")
    assert run.stdout, run.stderr
    assert "Traceback" not in run.stderr
    return run.code, json.loads(run.stdout)


def kinds(report: dict) -> list[str]:
    return [d["kind"] for d in report["diagnoses"]]


def reference(report: dict, name: str) -> dict:
    return next(r for r in report["references"] if r["name"] == name)


def test_a_correct_function_passes_every_reference_with_the_contract_fields(cli):
    code, out = checked(cli, "-e", "[x*y, sin(x)*exp(y)]", "--at", "2,1")
    assert code == 0 and out["passed"] is True and out["command"] == "check"
    assert out["order"] == 1 and out["diagnoses"] == []
    assert [r["name"] for r in out["references"]] == list(_check.REFERENCES)
    for ref in out["references"]:
        assert set(ref) == REFERENCE_FIELDS
        assert ref["available"] and ref["passed"] and ref["max_rel_err"] < 1e-9
        assert set(ref["worst"]) == {"index", "ad", "reference"}
    # The AD result is the Jacobian, hand-derived: [[y, x], [cos x e^y, sin x e^y]].
    np.testing.assert_allclose(
        [out["result"]["x"], out["result"]["y"]],
        [[1, np.cos(2) * np.e], [2, np.sin(2) * np.e]],
        rtol=1e-15,
    )


def test_a_wrong_custom_jvp_rule_is_a_broken_graph(cli, planted):
    code, out = checked(cli, str(planted / "wrong_rule.py"), "--at", "0.5,2")
    assert code == 1 and out["passed"] is False
    assert "broken_graph" in kinds(out)
    central = reference(out, "central_richardson")
    assert central["passed"] is False and central["worst"]["index"] == [0]
    # d/dx0 softplus(x0) x1 = sigmoid(x0) x1, the reference's value; AD used e^x0 x1.
    assert central["worst"]["reference"] == pytest.approx(2 / (1 + np.exp(-0.5)), rel=1e-9)
    assert central["worst"]["ad"] == pytest.approx(2 * np.exp(0.5), rel=1e-12)


def test_stop_gradient_on_an_input_is_a_broken_graph_naming_the_entry(cli, planted):
    code, out = checked(cli, str(planted / "stopped.py"), "--at", "0.5,2")
    assert code == 1
    (diagnosis,) = [d for d in out["diagnoses"] if d["kind"] == "broken_graph"]
    assert diagnosis["entries"] == [[1]] and "exactly 0" in diagnosis["message"]


def test_a_rule_wrong_only_to_second_order_is_caught_by_order_2(cli, planted):
    function = str(planted / "second_order.py")
    code, out = checked(cli, function, "--at", "0.5,2")
    assert code == 0 and out["passed"] is True
    code, out = checked(cli, function, "--at", "0.5,2", "--order", "2")
    assert code == 1 and out["order"] == 2 and "broken_graph" in kinds(out)
    central = reference(out, "central_richardson")
    # ∂²/∂x0² sin(x0) x1² = -sin(x0) x1²; the broken rule gives 0.
    assert central["worst"]["index"] == [0, 0]
    assert central["worst"]["reference"] == pytest.approx(-np.sin(0.5) * 4, rel=1e-8)


@pytest.mark.parametrize(
    ("expr", "at"), [("abs(x) + y", "0,1"), ("relu(x) * y", "0,2"), ("max(x, y)", "1,1")]
)
def test_kinks_are_diagnosed_with_both_one_sided_values(cli, expr, at):
    code, out = checked(cli, "-e", expr, "--at", at)
    assert code == 1 and "kink" in kinds(out)
    message = next(d["message"] for d in out["diagnoses"] if d["kind"] == "kink")
    assert "left" in message and "right" in message


def test_the_norm_at_the_origin_is_nonfinite_and_names_sqrt_and_its_line(cli, planted):
    code, out = checked(cli, str(planted / "radius.py"), "--at", "0,0")
    assert code == 1
    message = next(d["message"] for d in out["diagnoses"] if d["kind"] == "nonfinite")
    assert "sqrt at 0" in message and "radius.py, line 5" in message and "where" in message
    assert reference(out, "complex_step")["available"] is False
    assert "kink" in kinds(out)


@pytest.mark.parametrize("at", ["0,1", "1e-5,9.106", "-1.2,1"])
def test_powells_badly_scaled_function_passes_with_default_tolerances(cli, planted, at):
    code, out = checked(cli, str(planted / "powell.py"), "--at", at)
    assert code == 0, out
    assert all(r["passed"] for r in out["references"] if r["available"])


def test_rosenbrock_sample_passes_to_second_order(cli):
    code, out = checked(cli, "samples/rosenbrock.py", "--at", "-1.2,1", "--order", "2")
    assert code == 0 and out["order"] == 2
    # Hand-derived Hessian of (1-x)² + 100 (y - x²)² at (-1.2, 1).
    x, y = -1.2, 1.0
    expected = [[2 - 400 * (y - x**2) + 800 * x**2, -400 * x], [-400 * x, 200]]
    np.testing.assert_allclose(out["result"], expected, rtol=1e-13)


def test_nondeterminism_is_diagnosed(cli, tmp_path):
    (tmp_path / "noisy.py").write_text(
        "import itertools\n"
        "import jax.numpy as jnp\n"
        "calls = itertools.count()\n"
        "def f(x):\n"
        "    return jnp.sin(x) * (1 + 1e-3 * next(calls))\n"
    )
    code, out = checked(cli, str(tmp_path / "noisy.py"), "--at", "0.3")
    assert code == 1 and "nondeterministic" in kinds(out)


def test_float32_uses_looser_defaults_and_reports_what_differences_cannot_resolve(cli):
    code, out = checked(cli, "-e", "exp(x) * sin(y)", "--at", "0.5,0.25", "--dtype", "float32")
    assert code == 0 and out["rtol"] == 1e-3 and out["dtype"] == "float32"
    code, out = checked(
        cli,
        "-e",
        "exp(x) * sin(y)",
        "--at",
        "0.5,0.25",
        "--dtype",
        "float32",
        "--rtol",
        "1e-12",
        "--atol",
        "0",
        "--against",
        "fd",
    )
    assert "precision" in kinds(out)


def test_against_selects_references_and_rejects_unknown_names(cli):
    code, out = checked(cli, "-e", "x**2", "--at", "3", "--against", "fd")
    assert code == 0 and [r["name"] for r in out["references"]] == ["central_richardson"]
    run = cli("check", "-e", "x**2", "--at", "3", "--against", "fd,magic")
    assert (run.code, run.stdout) == (2, "") and "magic" in run.stderr


@pytest.mark.parametrize(
    ("command", "extra", "order"),
    [
        ("jacobian", [], 1),
        ("grad", [], 1),
        ("jvp", ["--v", "1,-2"], 1),
        ("vjp", ["--v", "0.5"], 1),
        ("hessian", [], 2),
        ("hvp", ["--v", "1,-2"], 2),
    ],
)
def test_check_flag_on_every_derivative_command(cli, command, extra, order):
    run = cli(
        command, "samples/rosenbrock.py", "--at", "-1.2,1", *extra, "--check", "--format", "json"
    )
    assert run.code == 0, run.stderr
    report = run.json()["check"]
    assert report["passed"] is True and report["order"] == order
    assert all(r["passed"] for r in report["references"] if r["available"])


def test_check_flag_sets_exit_1_on_a_wrong_product(cli, planted):
    run = cli(
        "jvp",
        str(planted / "wrong_rule.py"),
        "--at",
        "0.5,2",
        "--v",
        "1,0",
        "--check",
        "--format",
        "json",
    )
    assert run.code == 1 and run.json()["check"]["passed"] is False
    assert "the check failed" in run.stderr


def test_check_table_shows_references_and_diagnoses(cli):
    run = cli("check", "-e", "abs(x) + y", "--at", "0,1", "--format", "table")
    assert run.code == 1
    assert "FAILED" in run.stdout and "central_richardson" in run.stdout
    assert "kink:" in run.stdout and "complex_step: not available" in run.stdout


def test_check_options_need_check_and_a_single_point(cli, tmp_path):
    run = cli("grad", "-e", "x**2", "--at", "1", "--rtol", "1e-3")
    assert run.code == 2 and "--check" in run.stderr
    (tmp_path / "p.json").write_text("[1, 2]")
    run = cli("grad", "-e", "x**2", "--batch", str(tmp_path / "p.json"), "--check")
    assert (run.code, run.stdout) == (2, "") and "one point" in run.stderr


def test_complex_functions_are_refused_cleanly(cli):
    run = cli("check", "-e", "x**2", "--at", "1+2j")
    assert (run.code, run.stdout) == (2, "") and "real functions" in run.stderr


def test_first_nonfinite_names_the_operation_in_a_derivative_program():
    import jax
    import jax.numpy as jnp

    # sqrt(0) is finite; its derivative 0.5 / sqrt(0) is where inf first appears.
    culprit = _check.first_nonfinite(jax.grad(jnp.sqrt), 0.0)
    assert culprit is not None and culprit.primitive == "div" and culprit.inputs[1] == "0"
    assert _check.first_singular(jnp.sqrt, 0.0).primitive == "sqrt"
    assert _check.first_nonfinite(jnp.sin, 1.0) is None


def test_the_singular_walk_evaluates_only_programs_with_an_operation_it_looks_for(monkeypatch):
    import jax.numpy as jnp

    from jaccli._check import walkers

    walked = []
    walk = walkers._walk
    monkeypatch.setattr(walkers, "_walk", lambda *args: walked.append(1) or walk(*args))
    assert _check.first_singular(lambda x: jnp.sin(x) * x**2, 0.0) is None
    assert walked == []
    culprit = _check.first_singular(lambda x: jnp.sin(x) * jnp.log(x**2), 0.0)
    assert culprit is not None and culprit.primitive == "log" and walked == [1]


def test_run_check_directly_on_a_prepared_problem():
    function = loader.from_expression("x**3 * y")
    point = points.bind_point(points.parse_point("1,2", "--at"), function.params, "--at", "e")
    problem = _problem.prepare(function, point)
    result = _operations.run(problem, "jacobian")
    report = _check.run_check(problem, result.result, against=("central_richardson",))
    assert report.passed and report.references[0].max_rel_err < 1e-9


def test_a_function_jax_cannot_differentiate_gets_finite_differences_labelled_as_such(
    cli, tmp_path
):
    (tmp_path / "special.py").write_text(
        "import numpy as np\n"
        "import scipy.special\n"
        "def f(x):\n"
        "    return np.array([scipy.special.gamma(x[0]) * x[1], np.sin(x[1])])\n"
    )
    import scipy.special

    run = cli("jacobian", str(tmp_path / "special.py"), "--at", "2.5,1", "--format", "json")
    assert run.code == 0, run.stderr
    out = run.json()
    assert out["method"] == "finite_differences" and out["mode"] == "finite_differences"
    # d/dx0 Γ(x0) x1 = Γ(x0) ψ(x0) x1, hand-derived; the estimate is within its error estimate.
    expected = [
        [scipy.special.gamma(2.5) * scipy.special.digamma(2.5), scipy.special.gamma(2.5)],
        [0.0, np.cos(1.0)],
    ]
    error = np.asarray(out["error_estimate"])
    assert np.all(np.abs(np.asarray(out["result"]) - expected) <= error + 1e-15)
    assert np.all(error < 1e-8)
    assert "finite differences" in out["warnings"][0] and "scipy.special.gamma" in run.stderr
    run = cli("check", str(tmp_path / "special.py"), "--at", "2.5,1")
    assert (run.code, run.stdout) == (3, "") and "scipy.special.gamma" in run.stderr


def _smooth_expressions():
    from hypothesis import strategies as st

    leaves = st.sampled_from(["x", "y", "0.5", "1.5", "2"])

    def extend(inner):
        unary = st.tuples(st.sampled_from(["sin", "cos", "tanh", "sigmoid"]), inner).map(
            lambda t: f"{t[0]}({t[1]})"
        )
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*"]), inner).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        )
        return unary | binary

    return st.recursive(leaves, extend, max_leaves=6)


def test_ad_sympy_and_differences_agree_on_random_smooth_expressions():
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        first=_smooth_expressions(),
        second=_smooth_expressions(),
        x=st.floats(-1, 1),
        y=st.floats(-1, 1),
    )
    def agree(first, second, x, y):
        function = loader.from_expression(f"[{first} + x*y, {second}]", ["x", "y"])
        problem = _problem.prepare(function, {"x": np.float64(x), "y": np.float64(y)})
        result = _operations.run(problem, "jacobian")
        report = _check.run_check(problem, result.result)
        assert report.passed, report.to_dict()
        assert report.references[0].name == "sympy" and report.references[0].available

    agree()
