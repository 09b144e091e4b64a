"""SymPy's reference in a process of its own: the same values and the same refusals as in this
process, the questions only this process can answer (constants bound by JAX, the user's line),
the work given back where the program cannot cross, and a console check whose own process never
imports SymPy.

The SymPy process is forked before JAX is imported, as the console does: each case runs in a
fresh interpreter (`remote_runner.py`), which starts it, then traces the function and computes
the derivative there and here.
"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from jaccli._symbolic import remote
from jaccli._symbolic.portable import NotPortable, Unportable, portable, sendable

HERE = Path(__file__).parent
ROOT = HERE.parent.parent


def run_case(tmp_path, **case):
    """What `remote_runner.py` prints for ``case``, run in a fresh interpreter."""
    path = tmp_path / "case.json"
    path.write_text(json.dumps(case))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), str(ROOT / "src")])}
    run = subprocess.run(
        [sys.executable, str(HERE / "remote_runner.py"), str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def both_ways(tmp_path, body, point, order=1):
    """The derivative computed in the SymPy process and here: ``(far, far_where, here,
    here_where)``, each outcome ``("value", array)`` or ``(refusal class, reason, hint)``."""
    outcomes = run_case(tmp_path, body=body, point=point, order=order)
    for outcome in outcomes[0::2]:
        if outcome[0] == "value":
            outcome[1] = np.array(outcome[1])
    return outcomes


PROGRAMS = {
    "elementwise and piecewise": (
        """
        def f(x):
            y = jnp.where(x > 1.0, jnp.sin(x) * jnp.exp(x), jnp.log1p(x**2))
            return y + jnp.sqrt(x) ** 3 + jnp.abs(x - 2.0) + jnp.tanh(x) ** 2 / x
        """,
        {"x": [0.5, 1.5, 2.5]},
    ),
    "constants, dot and indexing": (
        """
        W = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])

        def f(x):
            g = jnp.asarray(W) @ x
            picked = x[jnp.array([2, 0])] * x[1:]
            moved = x.at[0].set(g[1] * x[2]).at[1].add(jnp.prod(x))
            return jnp.concatenate([g, picked, jax.lax.dynamic_slice(moved, (1,), (2,))])
        """,
        {"x": [0.3, -1.2, 2.0]},
    ),
    "loops, branches, calls and custom rules": (
        """
        @jax.custom_jvp
        def soft(x):
            return jnp.log1p(jnp.exp(x))

        soft.defjvp(lambda p, t: (soft(p[0]), t[0] * 0.0))  # a wrong rule: SymPy ignores it

        def f(x):
            powered = jax.lax.fori_loop(0, 3, lambda i, c: c * x + i, x)
            branch = jax.lax.cond(x[0] > 0, lambda y: y * 2, lambda y: y**3, x)
            scanned, ys = jax.lax.scan(lambda c, v: (c * v + 1.0, c * v), 1.0, x)
            counted = jax.lax.while_loop(lambda c: c[0] < 2, lambda c: (c[0] + 1, c[1] * x), (0, x))
            return powered + branch + scanned + ys + counted[1] + jax.jit(soft)(x)
        """,
        {"x": [0.5, -0.25]},
    ),
    "constants JAX computes (sort, integer division, a factorisation)": (
        """
        A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]])

        def f(x):
            table = jnp.sort(jnp.array([3.0, 1.0, 2.0]))
            halves = (jnp.arange(3) // 2).astype(x.dtype)
            solved = jnp.linalg.cholesky(jnp.asarray(A))[:, 0] + jnp.argsort(-A[0])
            return table * x + halves * x**2 + solved * jnp.sin(x)
        """,
        {"x": [0.1, 0.2, 0.3]},
    ),
    "dict inputs": (
        """
        def f(params, t):
            return params["w"] * jnp.exp(-params["k"] * t) + t
        """,
        {"params": {"w": [1.5, 2.0], "k": 0.3}, "t": 2.0},
    ),
}


@pytest.mark.parametrize("name", list(PROGRAMS))
def test_the_sympy_process_computes_what_this_one_does(tmp_path, name):
    body, point = PROGRAMS[name]
    far, far_where, here, here_where = both_ways(tmp_path, body, point)
    assert (far_where, here_where) == ("process", "here")
    assert far[0] == here[0] == "value"
    np.testing.assert_array_equal(far[1], here[1])


@pytest.mark.parametrize(
    ("expression", "point", "order"),
    [
        ("[x*y**2, sin(x)*exp(y), max(x, y)]", {"x": 0.5, "y": 1.5}, 1),
        ("x[0]**3*x[1] + log(x[1])", {"x": [0.5, 2.0]}, 2),
    ],
)
def test_an_expression_crosses_as_its_parse(tmp_path, expression, point, order):
    far, far_where, here, here_where = run_case(
        tmp_path, expression=expression, point=point, order=order
    )
    assert (far_where, here_where) == ("process", "here")
    assert far[0] == here[0] == "value" and far[1] == here[1]


def test_a_hessian_crosses_too(tmp_path):
    body = "def f(x):\n    return jnp.sum(jnp.sin(x) * x[::-1] ** 3)\n"
    far, far_where, here, _ = both_ways(tmp_path, body, {"x": [0.2, 0.7, 1.1]}, order=2)
    assert far_where == "process" and far[1].shape == (3, 3)
    np.testing.assert_array_equal(far[1], here[1])


def test_refusals_cross_with_the_users_line(tmp_path):
    body = "def f(x):\n    return jnp.sort(x) * 2.0\n"
    far, far_where, here, _ = both_ways(tmp_path, body, {"x": [2.0, 1.0]})
    assert far_where == "process"
    assert far == here
    assert far[0] == "SymbolicUnavailable"
    assert far[1].endswith("in `return jnp.sort(x) * 2.0` (" + str(tmp_path / "f.py") + ", line 7)")


def test_a_random_table_from_a_key_in_the_program_is_refused_both_ways(tmp_path):
    # The key JAX computes has no NumPy form to fold into SymPy numbers.
    body = "def f(x):\n    return jax.random.normal(jax.random.PRNGKey(0), (2,)) * x\n"
    far, far_where, here, _ = both_ways(tmp_path, body, {"x": [1.0, 2.0]})
    assert far_where == "process" and far == here
    assert far[0] == "SymbolicUnavailable" and "random numbers (jax.random)" in far[1]


def test_size_refusals_cross_as_size_refusals(tmp_path):
    body = """
        def f(x):
            for _ in range(30):
                x = jnp.sin(x) * jnp.cos(x) + x
            return x
        """
    far, far_where, here, _ = both_ways(tmp_path, body, {"x": [0.1]})
    assert far_where == "process" and far == here
    assert far[0] == "SymbolicTooLarge"


def test_the_sympy_process_stops_at_its_cpu_limit(tmp_path):
    # Abs asks SymPy about the sign of its nested argument, a walk per question that no
    # operation count foresees; the SymPy process is stopped by the clock instead.
    body = """
        def f(x):
            for _ in range(10):
                x = jnp.abs(jnp.sin(x) * x + x)
            return x
        """
    far, far_where = run_case(
        tmp_path, body=body, point={"x": [0.7]}, order=1, cpu_seconds=0.5, far_only=True
    )
    assert far_where == "process"
    assert far[0] == "SymbolicTooLarge"
    assert far[1] == "SymPy's work took more than 0.5 s of CPU, and was stopped"


def test_a_program_that_cannot_cross_is_given_back(tmp_path):
    # A typed PRNG key has no NumPy form: the constant crosses as Unportable, the SymPy process
    # refuses to read it and the derivative is computed here, as if no process had been started.
    body = """
        KEY = jax.random.key(0)

        def f(x):
            return jax.random.normal(KEY, (2,)) * x
        """
    far, far_where, here, here_where = both_ways(tmp_path, body, {"x": [1.0, 2.0]})
    assert (far_where, here_where) == ("here", "here")
    assert far[0] == here[0]
    if far[0] == "value":
        np.testing.assert_array_equal(far[1], here[1])


def test_unportable_values_refuse_every_use_but_a_probe():
    value = pickle.loads(pickle.dumps(sendable(object())))
    assert isinstance(value, Unportable)
    assert not hasattr(value, "eqns") and not hasattr(value, "val")
    for use in (str, int, len, bool, np.asarray, lambda v: v.offset_dims, lambda v: v[0]):
        with pytest.raises(NotPortable):
            use(value)


def test_the_copy_keeps_shared_programs_shared():
    import jax

    inner = jax.jit(lambda y: y * 2.0)
    copied = portable(jax.make_jaxpr(lambda x: inner(x) + inner(x + 1.0))(1.0))
    calls = [e for e in copied.program.jaxpr.eqns if e.primitive.name in ("jit", "pjit")]
    assert len(calls) == 2 and calls[0].params["jaxpr"] is calls[1].params["jaxpr"]
    assert [copied.equations[e.index] for e in calls] == [
        e for e in copied.equations if e.primitive.name in ("jit", "pjit")
    ]


def test_a_check_that_stops_early_leaves_no_process(tmp_path):
    body = "def f(x):\n    return jnp.sin(x)\n"
    outcome = run_case(tmp_path, body=body, point={"x": [0.5]}, order=1, stop_early=True)
    assert outcome == {"gone": True}


def test_no_process_is_forked_once_jax_is_in():
    # The test process has imported JAX: a fork now could deadlock on a lock of its threads.
    import jax  # noqa: F401

    assert not remote.launch()


SPY = """
import sys

import jax.numpy as jnp

print("sympy loaded with the function:", "sympy" in sys.modules)


def f(x):
    return jnp.stack([x[0] ** 2 * jnp.sin(x[1]), jnp.exp(x[0] - x[1])])
"""


def test_the_console_check_gets_sympys_reference_without_importing_sympy(tmp_path):
    model = tmp_path / "spy.py"
    model.write_text(SPY)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JACCLI_")}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "jaccli",
            "check",
            str(model),
            "--at",
            "0.5,1.5",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    assert "sympy loaded with the function: False" in run.stderr
    sympy = {r["name"]: r for r in json.loads(run.stdout)["references"]}["sympy"]
    assert sympy["available"] and sympy["passed"] and sympy["max_abs_err"] < 1e-15
