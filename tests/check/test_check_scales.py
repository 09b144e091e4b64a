"""`check` at small, large and badly scaled inputs and near the edge of a domain: a correct
derivative never fails. Differences step by each input's own scale, shrink or go one-sided at an
edge, are "not available" where no step fits, and "unreliable" (neither passed nor failed) where
the exact references agree with AD and the differences cannot vouch for themselves."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest


def report(cli, *args: str) -> tuple[int, dict, dict]:
    run = cli("check", *args, "--format", "json")
    assert run.stdout, run.stderr
    out = run.json()
    return run.code, out, {r["name"]: r for r in out["references"]}


@pytest.mark.parametrize(
    ("expr", "at", "truth"),
    [
        ("log(x)", "1e-8", 1e8),
        ("log(x)", "1e-12", 1e12),
        ("sqrt(x)", "1e-12", 5e5),
        ("sin(1e8*x)", "1e-8", 1e8 * np.cos(1.0)),
        ("x", "1e10", 1.0),
        ("x^2", "1e10", 2e10),
        ("exp(x)", "1e-300", 1.0),
        ("1/x", "-1e-9", -1e18),
        ("log(x - 1)", "1.000000001", 1 / (1.000000001 - 1)),
        ("sqrt(1 - x)", "0.999999999", -0.5 / np.sqrt(1 - 0.999999999)),
    ],
)
def test_differences_follow_the_inputs_scale_and_agree(cli, expr, at, truth):
    code, out, refs = report(cli, "-e", expr, "--at", at)
    assert code == 0 and out["passed"] is True, refs
    central = refs["central_richardson"]
    assert central["available"] and central["passed"] is True, central
    assert abs(central["worst"]["reference"] - truth) <= 1e-6 * abs(truth)
    assert central["error_estimate"] <= 1e-6 * abs(truth)


@pytest.mark.parametrize(
    ("expr", "at"), [("sin(x)", "1e10"), ("sin(3*x)", "1e10"), ("log(x) * y", "1e-9,2")]
)
def test_differences_that_cannot_resolve_the_tolerance_leave_a_note_not_a_failure(cli, expr, at):
    """sin(3x) at 1e10: 3x is rounded to 1e-6, so no difference of f resolves 1e-6 relative."""
    code, out, refs = report(cli, "-e", expr, "--at", at)
    assert code == 0 and out["passed"] is True
    assert refs["sympy"]["passed"] and refs["complex_step"]["passed"]
    assert refs["central_richardson"]["passed"] in (True, None)
    assert {d["kind"] for d in out["diagnoses"]} <= {"precision"}


@pytest.mark.parametrize(("expr", "at"), [("sin(1e8*x)", "1"), ("sin(x*x)", "1e5")])
def test_differences_wrong_where_the_exact_references_agree_are_unreliable(cli, expr, at):
    """The function turns over many times within the smallest sensible step: the differences
    are wrong and say so (error estimate above the tolerance); SymPy and the complex step agree."""
    code, out, refs = report(cli, "-e", expr, "--at", at)
    assert code == 0 and out["passed"] is True
    central = refs["central_richardson"]
    assert central["available"] is True and central["passed"] is None
    assert central["reason"].startswith("unreliable at this point")
    assert "sympy and complex_step agree with AD" in central["reason"]
    table = cli("check", "-e", expr, "--at", at, "--format", "text")
    assert table.code == 0 and "unreliable" in table.stdout and "MISMATCH" not in table.stdout


def test_unreliable_differences_do_not_hide_a_wrong_derivative(cli, tmp_path):
    """A wrong custom rule: the exact references disagree with AD, so the differences count."""
    (tmp_path / "wrong.py").write_text(
        textwrap.dedent(
            """
            import jax
            import jax.numpy as jnp

            @jax.custom_jvp
            def f(x):
                return jnp.sin(1e8 * x)

            @f.defjvp
            def f_jvp(primals, tangents):
                (x,), (t,) = primals, tangents
                return f(x), t * 1e8 * jnp.sin(1e8 * x)  # should be cos
            """
        )
    )
    code, out, refs = report(cli, str(tmp_path / "wrong.py"), "--at", "1e-8")
    assert code == 1 and out["passed"] is False
    assert refs["central_richardson"]["passed"] is False
    assert refs["complex_step"]["passed"] is False


def test_differences_at_the_edge_of_the_domain_go_one_sided():
    from jaccli._derivatives import fd

    est = fd.jacobian_central(lambda v: v[0] * v[0] ** 0.5, np.array([0.0]))
    assert "one-sided differences for input 0" in est.note
    assert abs(est.estimate[0, 0]) <= est.error_estimate[0, 0] <= 1e-6


def test_a_function_finite_only_at_the_point_has_no_differences(cli, tmp_path):
    (tmp_path / "point.py").write_text(
        "import jax.numpy as jnp\n\ndef f(x):\n    return jnp.where(x == 0.5, 2.0 * x, jnp.nan)\n"
    )
    code, out, refs = report(cli, str(tmp_path / "point.py"), "--at", "0.5")
    central = refs["central_richardson"]
    assert central["available"] is False and central["passed"] is None
    assert "not available at this point" in central["reason"]
    assert code == 0 and out["passed"] is True and refs["sympy"]["passed"] is True


def _differences_against(exact: list[tuple[str, bool]], estimate: float, error: float):
    """unreliable_differences on AD = 1 with the given exact verdicts and failed differences."""
    from types import SimpleNamespace

    from jaccli._check.references import unreliable_differences
    from jaccli._check.report import Reference

    d = SimpleNamespace(ad=np.array([[1.0]]), shaped=lambda a: np.asarray(a).reshape(1, 1))
    central = SimpleNamespace(estimate=np.array([[estimate]]), error_estimate=np.array([[error]]))
    refs = [Reference(name, True, passed=passed) for name, passed in exact]
    refs.append(Reference("central_richardson", True, passed=False))
    marked = unreliable_differences(d, central, refs, 1e-6, 1e-9)
    return marked[-1]


@pytest.mark.parametrize(
    ("exact", "estimate", "error", "verdict", "words"),
    [
        # The differences say they are coarse; the exact reference agrees: unreliable.
        ([("sympy", True)], 3.0, 0.5, None, "is above the tolerance, and sympy agrees with AD"),
        ([("complex_step", True)], 3.0, 0.5, None, "and complex_step agrees with AD"),
        # Confident differences against two independent exact references: unreliable.
        ([("sympy", True), ("complex_step", True)], 3.0, 1e-12, None, "exact and independent"),
        # Confident differences against one exact reference: a real disagreement.
        ([("sympy", True)], 3.0, 1e-12, False, None),
        # An exact reference that disagrees: the differences keep their failure.
        ([("sympy", True), ("complex_step", False)], 3.0, 0.5, False, None),
        ([], 3.0, 0.5, False, None),
    ],
)
def test_failed_differences_are_unreliable_only_where_exact_references_vouch(
    exact, estimate, error, verdict, words
):
    central = _differences_against(exact, estimate, error)
    assert central.passed is verdict
    if words:
        assert central.reason.startswith("unreliable at this point") and words in central.reason
