"""Checks of functions with loops, conds, remat and custom rules: the walkers step into a call
only, and evaluate a scan, a while loop or a cond as one operation (a scan's body runs on one
slice of ``xs`` at a time, never on all of it)."""

from __future__ import annotations

import json
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaccli import _check

FUNCTIONS = """
    import jax
    import jax.numpy as jnp


    def scanned(x):
        def step(carry, xi):
            return carry * jnp.sin(xi) + xi**2, carry

        final, history = jax.lax.scan(step, x[0], x)
        return jnp.stack([final, jnp.sum(history)])


    def fori(x):
        return jax.lax.fori_loop(0, 4, lambda i, c: c * jnp.cos(c) + x[1], x[0])


    def while_(x):
        def body(state):
            i, c = state
            return i + 1, c * jnp.tanh(c) + x[1] * x[0]

        return jax.lax.while_loop(lambda s: s[0] < 3, body, (0, x[0]))[1]


    def cond(x):
        return jax.lax.cond(x[0] > 0, lambda v: jnp.sin(v) * v[1], lambda v: v**3, x)


    def remat(x):
        return jax.checkpoint(lambda v: jnp.exp(jnp.sin(v)) * v[::-1])(x)


    @jax.custom_jvp
    def softplus(x):
        return jnp.log1p(jnp.exp(x))


    @softplus.defjvp
    def softplus_jvp(primals, tangents):
        (x,), (t,) = primals, tangents
        return softplus(x), t * jax.nn.sigmoid(x)


    def custom(x):
        return softplus(x[0]) * x[1]


    def after_scan(x):
        total, _ = jax.lax.scan(lambda c, xi: (c + xi, c), 0.0, x)
        return jnp.sqrt(total - 6.0) + jnp.log(total - 6.0)
"""


@pytest.fixture
def functions(tmp_path):
    path = tmp_path / "control_flow.py"
    path.write_text(textwrap.dedent(FUNCTIONS))
    return path


@pytest.mark.parametrize(
    ("name", "mode"),
    [
        ("scanned", "auto"),
        ("fori", "fwd"),
        ("while_", "fwd"),
        ("cond", "auto"),
        ("remat", "auto"),
        ("custom", "auto"),
    ],
)
def test_check_passes_on_loops_conds_remat_and_a_right_custom_rule(cli, functions, name, mode):
    run = cli("check", f"{functions}:{name}", "--at", "0.5,1.5", "--mode", mode, "--format", "json")
    assert run.code == 0, run.stdout + run.stderr
    out = json.loads(run.stdout)
    assert out["passed"] is True and out["diagnoses"] == []
    central = next(r for r in out["references"] if r["name"] == "central_richardson")
    assert central["available"] and central["passed"]


def test_check_flag_passes_on_a_scan_over_xs(cli, functions):
    run = cli("jvp", f"{functions}:scanned", "--at", "0.5,1.5,2", "--v", "1,0,-1", "--check")
    assert run.code == 0, run.stderr


def _scan(x):
    total, _ = jax.lax.scan(lambda c, xi: (c + xi, c), 0.0, x)
    return total


def test_the_walkers_evaluate_a_scan_over_xs_and_name_the_operation_after_it():
    x = np.array([1.0, 2.0, 3.0])
    # The scan's total is 6: the operations after it see exactly 0.
    culprit = _check.first_nonfinite(lambda v: jnp.log(_scan(v) - 6.0) * 2.0, x)
    assert culprit is not None and (culprit.primitive, culprit.inputs) == ("log", ("0",))
    singular = _check.first_singular(lambda v: jnp.sqrt(_scan(v) - 6.0), x)
    assert singular is not None and (singular.primitive, singular.inputs) == ("sqrt", ("0",))
    assert _check.first_nonfinite(lambda v: jnp.log(_scan(v)), x) is None
    assert _check.first_singular(jax.jit(lambda v: jnp.sqrt(_scan(v))), x) is None


def test_the_walkers_name_a_scan_that_turns_finite_into_inf_and_step_into_calls():
    def diverging(v):
        logs, _ = jax.lax.scan(lambda c, xi: (c + jnp.log(xi), c), 0.0, v)
        return logs

    culprit = _check.first_nonfinite(diverging, np.array([1.0, 0.0, 2.0]))
    assert culprit is not None and culprit.primitive == "scan"
    # Inside a jitted call the walk goes on into the call's program, and names the scan there.
    culprit = _check.first_nonfinite(jax.jit(diverging), np.array([1.0, 0.0, 2.0]))
    assert culprit is not None and culprit.primitive == "scan"


def test_a_nonfinite_value_after_a_scan_names_the_operation_and_its_line(cli, functions):
    # The scan's total is 6, so the value is log(0): the first non-finite operation is the log.
    run = cli("check", f"{functions}:after_scan", "--at", "1,2,3", "--format", "json")
    assert run.code == 1 and "Traceback" not in run.stderr
    message = next(d["message"] for d in run.json()["diagnoses"] if d["kind"] == "nonfinite")
    line = (
        functions.read_text()
        .splitlines()
        .index("    return jnp.sqrt(total - 6.0) + jnp.log(total - 6.0)")
    )
    assert "it first appears in log(0) (" in message
    assert f"control_flow.py, line {line + 1})" in message
