"""`jaccli._operations.plan`: one plan per command, for one point and for a batch."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from jaccli import _operations
from jaccli._load import from_callable
from jaccli._problem import COMMAND_LINE, PYTHON, prepare
from jaccli.errors import ShapeError, UsageError


def _problem(fn, *values, labels=COMMAND_LINE):
    function = from_callable(fn)
    point = {
        name: np.asarray(v, dtype=float) for name, v in zip(function.params, values, strict=True)
    }
    return prepare(function, point, labels=labels)


def _square(x):
    return jnp.sum(x**2)


@pytest.mark.parametrize(
    ("command", "vector", "mode", "reason"),
    [
        ("jacobian", None, "reverse", "n=3, m=1: n > m"),
        ("grad", None, "reverse", "n=3, m=1: a gradient is one reverse-mode pass (one VJP)"),
        ("hessian", None, "forward-over-reverse", "3 JVPs of the reverse-mode gradient"),
        (
            "jvp",
            np.array([1.0, 0.0, 0.0]),
            "forward",
            "one forward-mode pass (one JVP); J is never formed",
        ),
        ("vjp", np.array(1.0), "reverse", "one reverse-mode pass (one VJP); J is never formed"),
        (
            "hvp",
            np.array([1.0, 0.0, 0.0]),
            "forward-over-reverse",
            "one JVP of the gradient; H is never",
        ),
    ],
)
def test_every_command_says_its_mode_and_why(command, vector, mode, reason):
    problem = _problem(_square, [1.0, 2.0, 3.0])
    plan = _operations.plan(problem, command, vector=vector)
    assert plan.mode == mode and reason in plan.reason
    result = _operations.run(problem, command, vector=vector)
    assert (result.mode, result.mode_reason) == (plan.mode, plan.reason)


def test_a_hessian_of_one_input_counts_one_jvp():
    plan = _operations.plan(_problem(lambda x: x**3, 2.0), "hessian")
    assert plan.reason.endswith("1 JVP of the reverse-mode gradient")


def test_the_result_agrees_with_the_hand_derived_derivative():
    problem = _problem(_square, [1.0, 2.0, 3.0])
    np.testing.assert_allclose(_operations.run(problem, "grad").result, [2.0, 4.0, 6.0])
    np.testing.assert_allclose(_operations.run(problem, "hessian").result, 2.0 * np.eye(3))
    hvp = _operations.run(problem, "hvp", vector=np.array([0.0, 1.0, 0.0]))
    np.testing.assert_allclose(hvp.result, [0.0, 2.0, 0.0])


def test_vectors_one_per_point_only_in_a_batch():
    problem = _problem(_square, [1.0, 2.0, 3.0])
    per_point = np.ones((4, 3))
    assert _operations.plan(problem, "hvp", vector=per_point, batch=True).per_point == 4
    with pytest.raises(ShapeError) as info:
        _operations.plan(problem, "hvp", vector=per_point)
    assert "one per point with a leading batch axis" in info.value.hint
    assert info.value.message.startswith("--v has shape (4, 3)")


def test_preconditions_hold_for_every_caller():
    problem = _problem(lambda x: x * 2.0, [1.0, 2.0])
    with pytest.raises(ShapeError, match="grad needs a scalar-valued function") as info:
        _operations.plan(problem, "grad")
    assert info.value.hint == "use jacobian for vector outputs"
    with pytest.raises(UsageError, match=r"^--mode must be auto, fwd or rev"):
        _operations.plan(problem, "jacobian", mode="sideways")
    python = _problem(lambda x: x * 2.0, [1.0, 2.0], labels=PYTHON)
    with pytest.raises(UsageError, match=r"^mode must be auto, fwd or rev"):
        _operations.plan(python, "jacobian", mode="sideways")
