"""Refusals in the user's words: the operation as they wrote it (jnp.sort, gammainc,
jnp.linalg.solve) and its line instead of JAX's primitive names, "not available" said once, no
hint at an option the command does not have, and a conversion to float called one."""

from __future__ import annotations

import json
import textwrap

import pytest

SOURCE = """
import math

import jax.numpy as jnp
import jax.scipy.special as special


def ordered(x):
    return jnp.sort(x) * 2.0


def incomplete_gamma(x):
    return special.gammainc(2.0, x)


def solved(x):
    return jnp.linalg.solve(jnp.array([[2.0, 1.0], [1.0, 3.0]]) * x[0], x)


def python_sine(x):
    return math.sin(x)


def branches(x):
    if x > 0:
        return x * 2
    return x


def magnitude(x):
    return jnp.abs(x) * x
"""


@pytest.fixture
def model(tmp_path):
    path = tmp_path / "model.py"
    path.write_text(textwrap.dedent(SOURCE))
    return path


def line_of(path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if text in line)


@pytest.mark.parametrize(
    ("name", "words", "written"),
    [
        ("ordered", "sorting (jnp.sort", "jnp.sort(x) * 2.0"),
        ("incomplete_gamma", "(gammainc)", "special.gammainc(2.0, x)"),
        ("solved", "(jnp.linalg.solve, inv, det)", "jnp.linalg.solve("),
    ],
)
def test_symbolic_refusals_name_the_users_operation_and_line(cli, model, name, words, written):
    run = cli("symbolic", f"{model}:{name}", "--at", "1,2")
    assert run.code == 2 and run.stdout == ""
    first = run.stderr.splitlines()[0]
    assert words in first and f"`return {written}" in first
    assert first.endswith(f"model.py, line {line_of(model, written)})")
    for internal in ("igamma", " lu", "not available"):
        assert internal not in first
    # `symbolic` has no --against: the hint names what does the job.
    assert "--against" not in run.stderr and "check compares it" in run.stderr


def test_check_says_not_available_once_with_the_same_reason(cli, model):
    run = cli("check", f"{model}:ordered", "--at", "1,2", "--format", "text")
    assert run.code == 0, run.stderr
    assert "not available: not available" not in run.stdout
    assert "sympy: not available: SymPy has no rule for sorting" in run.stdout
    run = cli("check", f"{model}:ordered", "--at", "1,2", "--format", "json")
    refs = {r["name"]: r for r in json.loads(run.stdout)["references"]}
    assert refs["sympy"]["reason"].startswith("SymPy has no rule for sorting (jnp.sort")
    assert refs["sympy"]["passed"] is None and refs["central_richardson"]["passed"] is True
    # The complex step names the line that stands in its way too.
    assert "it uses sort, in `return jnp.sort(x) * 2.0`" in refs["complex_step"]["reason"]


def test_a_conversion_to_float_is_not_called_control_flow(cli, model):
    run = cli("symbolic", f"{model}:python_sine", "--at", "1")
    assert run.code == 2
    assert "`math.sin(x)` needs a Python float" in run.stderr
    assert "control flow" not in run.stderr
    run = cli("symbolic", f"{model}:branches", "--at", "1")
    assert run.code == 2 and "Python control flow on a traced value, `x > 0`" in run.stderr


def test_the_complex_step_names_the_line_that_is_not_analytic(cli, model):
    run = cli("check", f"{model}:magnitude", "--at", "1.5", "--format", "json")
    refs = {r["name"]: r for r in json.loads(run.stdout)["references"]}
    reason = refs["complex_step"]["reason"]
    assert reason.startswith("the function is not real-analytic: it uses abs, in `return jnp.abs")
    assert reason.endswith(f"model.py, line {line_of(model, 'jnp.abs(x) * x')})")


def test_size_refusals_hint_at_fewer_inputs_not_at_a_missing_option(cli, tmp_path):
    (tmp_path / "wide.py").write_text("def f(x):\n    return x * 2.0\n")
    point = "[" + ",".join(["1.0"] * 101) + "]"
    run = cli("symbolic", str(tmp_path / "wide.py"), "--at", point)
    assert run.code == 4 and "10,201 entries" in run.stderr
    assert "--against" not in run.stderr and "differentiate fewer inputs (--wrt)" in run.stderr


RANDOM = """
import jax
import jax.numpy as jnp

KEY = jax.random.key(0)


def held_key(x):
    return jax.random.normal(KEY, (2,)) * x


def made_key(x):
    return jax.random.normal(jax.random.PRNGKey(0), (2,)) * x
"""


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("held_key", "SymPy cannot hold constants of type key<fry>"),
        ("made_key", "SymPy cannot follow random numbers (jax.random)"),
    ],
)
def test_random_numbers_from_a_key_leave_sympy_out_and_blame_nothing_on_the_function(
    cli, tmp_path, name, reason
):
    # A PRNG key has no NumPy form: that is SymPy's limit, not an error of the user's function.
    path = tmp_path / "random_model.py"
    path.write_text(textwrap.dedent(RANDOM))
    run = cli("check", f"{path}:{name}", "--at", "1,2", "--format", "json")
    assert run.code == 0, run.stderr
    sympy = json.loads(run.stdout)["references"][0]
    assert sympy["name"] == "sympy" and not sympy["available"]
    assert sympy["reason"].startswith(reason)
    run = cli("symbolic", f"{path}:{name}", "--at", "1,2")
    assert run.code == 2 and run.stdout == ""
    assert run.stderr.startswith(f"jaccli: error: {reason}")
