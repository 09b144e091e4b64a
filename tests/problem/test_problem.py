"""`jaccli._problem`: binding a point, the caller's labels in messages, tangents, the flat view."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from jaccli._load import from_callable
from jaccli._problem import (
    COMMAND_LINE,
    PYTHON,
    bind_arguments,
    bind_cotangent,
    bind_tangent,
    flat_jacobian,
    flatten,
    guard_size,
    prepare,
    unflatten_jacobian,
)
from jaccli.errors import ResourceError, ShapeError, UsageError


def _two(x, y):
    return jnp.stack([x[0] * y, x[1] ** 2])


def _prepared(labels=PYTHON):
    point = {"x": np.array([2.0, 3.0]), "y": np.array(0.5)}
    return prepare(from_callable(_two), point, labels=labels)


def test_prepare_finds_the_output_without_computing_it():
    problem = _prepared()
    assert problem.out_shape == (2,) and problem.n == 3 and problem.m == 2
    assert problem.kind == "real" and problem.itemsize == 8
    assert problem.dtype == "float64" and str(problem.out_dtype) == "float64"


@pytest.mark.parametrize(
    ("labels", "wrt"), [(PYTHON, "wrt names z"), (COMMAND_LINE, "--wrt names z")]
)
def test_messages_name_options_as_the_caller_does(labels, wrt):
    point = {"x": np.array([2.0, 3.0]), "y": np.array(0.5)}
    with pytest.raises(UsageError) as info:
        prepare(from_callable(_two), point, wrt=["z"], labels=labels)
    assert info.value.message.startswith(wrt)
    with pytest.raises(UsageError, match="must be float64 or float32") as info:
        prepare(from_callable(_two), point, dtype="float16", labels=labels)
    assert info.value.message.startswith(labels("dtype"))


def test_the_size_guard_names_the_limit_as_the_caller_does():
    with pytest.raises(ResourceError, match="over the max_bytes limit of 10"):
        guard_size(100, 8, "Jacobian", 10)
    with pytest.raises(ResourceError, match="over the --max-bytes limit of 10"):
        _prepared(COMMAND_LINE).guard_size(100, "Jacobian", 10)


def test_bind_arguments_takes_wrt_by_name_or_index():
    function, point, wrt = bind_arguments(_two, ([1, 2], 3), wrt=-1)
    assert function.params == ("x", "y") and wrt == ["y"]
    assert point["x"].dtype == np.float64
    with pytest.raises(UsageError, match="wrt=5 is out of range"):
        bind_arguments(_two, ([1, 2], 3), wrt=5)
    with pytest.raises(ShapeError, match="takes 2 arguments"):
        bind_arguments(_two, ([1, 2],), wrt=None)


def test_tangents_and_cotangents_are_checked_against_the_problem():
    problem = _prepared(COMMAND_LINE)
    x_tangent, y_tangent = bind_tangent(
        problem, {"x": np.array([1.0, 0.0]), "y": np.array(2.0)}, "--v"
    )
    assert x_tangent.shape == (2,) and y_tangent.shape == ()
    with pytest.raises(ShapeError, match=r"^v has shape \(3,\) but the input x has shape \(2,\)"):
        bind_tangent(problem, {"x": np.zeros(3), "y": np.array(2.0)}, "v")
    with pytest.raises(ShapeError, match=r"^--v is complex but the output is real"):
        bind_cotangent(problem, [1j, 0.0], "--v")
    assert bind_cotangent(problem, [1.0, 2.0], "v").dtype == jnp.float64


def test_the_flat_view_round_trips_a_jacobian():
    problem = _prepared()
    flat = flatten(problem)
    assert flat.n == 3 and flat.m == 2
    assert flat.inputs == (("x", 0), ("x", 1), ("y",))
    np.testing.assert_allclose(flat.fn(flat.x), [1.0, 9.0])
    matrix = np.arange(6.0).reshape(2, 3)
    keyed = unflatten_jacobian(problem, matrix)
    assert keyed["x"].shape == (2, 2) and keyed["y"].shape == (2,)
    np.testing.assert_array_equal(flat_jacobian(problem, keyed), matrix)


# --- a function that unsettles the process ---------------------------------------------------


def test_an_exception_whose_str_fails_is_the_functions_failure(cli, tmp_path):
    (tmp_path / "f.py").write_text(
        "class Unprintable(Exception):\n    def __str__(self):\n        raise RuntimeError\n\n\n"
        "def f(x):\n    raise Unprintable()\n"
    )
    run = cli("jacobian", str(tmp_path / "f.py"), "--at", "1")
    assert run.code == 3 and run.stdout == ""
    assert "f.py:f raised Unprintable" in run.stderr
    assert "message could not be shown" in run.stderr and "bug in jaccli" not in run.stderr


@pytest.mark.filterwarnings("ignore:Explicitly requested dtype float64")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_a_function_that_turns_float64_off_is_refused(cli, tmp_path, dtype):
    import jax

    (tmp_path / "f.py").write_text(
        "import jax\n\n\ndef f(x):\n    jax.config.update('jax_enable_x64', False)\n"
        "    return x * 2.0\n"
    )
    try:
        run = cli("jacobian", str(tmp_path / "f.py"), "--at", "1", "--dtype", dtype)
    finally:
        jax.config.update("jax_enable_x64", True)
    assert run.code == 3 and run.stdout == ""
    assert "turned float64 off (jax_enable_x64) while it ran" in run.stderr
    assert "hint: remove that line" in run.stderr
