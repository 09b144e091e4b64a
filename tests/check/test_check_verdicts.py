"""What passes, fails and neither: a lone `precision` diagnosis is a note (exit 0, passed), an
unavailable reference has "passed": null, and only a reference that disagrees or a failing
diagnosis fails the check — as the README says."""

from __future__ import annotations

import jaccli


def test_a_lone_precision_diagnosis_is_a_note_not_a_failure(cli):
    run = cli("check", "-e", "sin(3*x)", "--at", "1e10", "--format", "json")
    out = run.json()
    assert [d["kind"] for d in out["diagnoses"]] == ["precision"]
    assert run.code == 0 and out["passed"] is True
    table = cli("check", "-e", "sin(3*x)", "--at", "1e10", "--format", "text")
    assert table.code == 0 and "passed" in table.stdout and "precision:" in table.stdout
    flagged = cli("grad", "-e", "sin(3*x)", "--at", "1e10", "--check", "--format", "json")
    assert flagged.code == 0 and flagged.json()["check"]["passed"] is True


def test_float32_precision_alone_does_not_fail(cli):
    run = cli(
        "check", "-e", "exp(x) * sin(y)", "--at", "0.5,0.25", "--dtype", "float32",
        "--rtol", "1e-7", "--atol", "0", "--against", "sympy,fd", "--format", "json",
    )  # fmt: skip
    out = run.json()
    assert [d["kind"] for d in out["diagnoses"]] == ["precision"]
    assert [r["passed"] for r in out["references"]] == [True, True]
    assert run.code == 0 and out["passed"] is True


def test_an_unavailable_reference_neither_passed_nor_failed():
    import jax.numpy as jnp

    result = jaccli.check(lambda x: jnp.abs(x[0]) + x[1], [1.0, 2.0])
    refs = {r["name"]: r for r in result.extra["references"]}
    assert refs["complex_step"]["available"] is False and refs["complex_step"]["passed"] is None
    assert refs["central_richardson"]["passed"] is True and result.extra["passed"] is True


def test_a_disagreeing_reference_fails(cli):
    run = cli("check", "-e", "abs(x) + y", "--at", "0,1", "--against", "fd", "--format", "json")
    out = run.json()
    assert run.code == 1 and out["passed"] is False
    assert out["references"][0]["passed"] is False
    assert "central_richardson disagreed with AD; diagnosed kink" in run.stderr


def test_a_check_where_no_reference_could_be_used_did_not_pass(cli):
    """Nothing passed, nothing failed: nothing vouches for the derivative, so exit 1."""
    run = cli("check", "-e", "abs(x)", "--at", "1.5", "--against", "complex", "--format", "json")
    out = run.json()
    assert out["references"][0]["available"] is False and out["references"][0]["passed"] is None
    assert run.code == 1 and out["passed"] is False
    assert "no reference could be compared" in run.stderr
