"""Tests for the public Python API (jaccli.jacobian/jvp/vjp/grad/hessian/hvp/info)."""

from __future__ import annotations

import json
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaccli
from jaccli._problem import COMMAND_LINE, select_device
from jaccli.errors import FunctionError, ResourceError, ShapeError, UsageError

SPEC_KEYS = {
    "jaccli",
    "command",
    "function",
    "at",
    "value",
    "mode",
    "mode_reason",
    "result",
    "dtype",
    "device",
    "warnings",
}


def _close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-12)


def _tanh_mix(x):
    return jnp.tanh(x) * x[::-1]


X = np.array([0.2, -0.7, 1.1])


# --- the JSON contract -------------------------------------------------------------------------


def _check_spec(result, command):
    d = result.to_dict()
    assert d.keys() >= SPEC_KEYS
    assert d["jaccli"] == "1"
    assert d["command"] == command
    assert {"source", "inputs", "output_shape"} <= d["function"].keys()
    for inp in d["function"]["inputs"]:
        assert {"name", "shape"} <= inp.keys()
    assert isinstance(d["warnings"], list)
    text = json.dumps(d, allow_nan=False)
    assert json.loads(text) == d
    return d


def test_jacobian_matches_jax_and_spec():
    r = jaccli.jacobian(_tanh_mix, X)
    _close(r.result, jax.jacfwd(_tanh_mix)(jnp.asarray(X)))
    d = _check_spec(r, "jacobian")
    assert d["function"]["inputs"] == [{"name": "x", "shape": [3], "dtype": "float64"}]
    assert d["function"]["output_shape"] == [3]
    assert d["at"] == {"x": X.tolist()}
    assert d["mode"] == "forward"
    assert "n=3, m=3" in d["mode_reason"]
    assert d["dtype"] == "float64"
    assert d["device"] == "cpu"
    _close(d["result"], r.result)
    _close(d["value"], _tanh_mix(jnp.asarray(X)))


@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_jacobian_forced_mode(mode):
    r = jaccli.jacobian(_tanh_mix, X, mode=mode)
    assert r.mode == {"fwd": "forward", "rev": "reverse"}[mode]
    _close(r.result, jax.jacrev(_tanh_mix)(jnp.asarray(X)))


def test_every_command_is_strict_json():
    def scalar(x):
        return jnp.sum(x**3)

    v = np.array([1.0, 0.5, -2.0])
    _check_spec(jaccli.grad(scalar, X), "grad")
    _check_spec(jaccli.hessian(scalar, X), "hessian")
    _check_spec(jaccli.hvp(scalar, X, v=v), "hvp")
    _check_spec(jaccli.jvp(_tanh_mix, X, v=v), "jvp")
    _check_spec(jaccli.vjp(_tanh_mix, X, v=v), "vjp")
    info = jaccli.info(_tanh_mix, X).to_dict()
    assert info["n"] == 3
    assert info["m"] == 3
    assert info["jacobian_bytes"] == 3 * 3 * 8
    json.dumps(info, allow_nan=False)


# --- arguments: wrt, several args, dicts, dtype ------------------------------------------------


def _two(x, y):
    return x * jnp.sin(y)


XY = (np.array([1.0, 2.0]), np.array([0.3, -0.4]))


def test_several_arguments_keyed_by_name():
    r = jaccli.jacobian(_two, *XY)
    assert set(r.result) == {"x", "y"}
    x, y = XY
    _close(r.result["x"], np.diag(np.sin(y)))
    _close(r.result["y"], np.diag(x * np.cos(y)))
    assert r.wrt == ("x", "y")


@pytest.mark.parametrize("wrt", ["y", 1, ["y"]])
def test_wrt_by_name_and_index(wrt):
    r = jaccli.jacobian(_two, *XY, wrt=wrt)
    assert r.wrt == ("y",)
    x, y = XY
    _close(r.result, np.diag(x * np.cos(y)))


def test_wrt_unknown_name():
    with pytest.raises(UsageError, match="z"):
        jaccli.jacobian(_two, *XY, wrt="z")


def test_dict_argument_keyed_by_key():
    def loss(p):
        return jnp.sum(p["w"] ** 2) + 3.0 * p["b"]

    r = jaccli.grad(loss, {"w": [0.5, -0.25], "b": 0.1})
    assert set(r.result) == {"w", "b"}
    _close(r.result["w"], [1.0, -0.5])
    _close(r.result["b"], 3.0)
    d = _check_spec(r, "grad")
    assert d["function"]["inputs"][0]["shape"] == {"w": [2], "b": []}


def test_float32():
    r = jaccli.jacobian(lambda x: x**2, [1.0, 3.0], dtype="float32")
    assert r.result.dtype == np.float32
    assert r.dtype == "float32"
    assert r.to_dict()["dtype"] == "float32"
    _close(r.result, np.diag([2.0, 6.0]))


def test_bad_dtype():
    with pytest.raises(UsageError, match="float16"):
        jaccli.jacobian(lambda x: x, [1.0], dtype="float16")


def test_wrong_number_of_arguments():
    with pytest.raises(ShapeError, match="takes 2 arguments"):
        jaccli.jacobian(_two, [1.0])


# --- complex values ----------------------------------------------------------------------------


def test_holomorphic_jacobian_json():
    z = np.array([0.5 + 1.0j])
    r = jaccli.jacobian(lambda z: z**2 + jnp.exp(z), z)
    expected = 2 * z[0] + np.exp(z[0])
    _close(r.result, [[expected]])
    assert r.holomorphic is True
    d = _check_spec(r, "jacobian")
    entry = d["result"][0][0]
    _close([entry["re"], entry["im"]], [expected.real, expected.imag])


def test_grad_complex_input_convention():
    r = jaccli.grad(lambda z: jnp.abs(z) ** 2, 3.0 + 4.0j)
    _close(r.result, 6.0 + 8.0j)


def test_complex_output_jacobian():
    r = jaccli.jacobian(lambda x: jnp.exp(1j * x), [0.5])
    _close(r.result, [[1j * np.exp(0.5j)]])


@pytest.mark.parametrize("command", ["hessian", "hvp"])
@pytest.mark.parametrize("fn", [lambda z: z**2, lambda z: jnp.abs(z) ** 2])
def test_second_order_of_complex_is_usage_error(command, fn):
    with pytest.raises(UsageError, match="real functions only") as info:
        if command == "hessian":
            jaccli.hessian(fn, 1.0 + 1.0j)
        else:
            jaccli.hvp(fn, 1.0 + 1.0j, v=1.0)
    assert info.value.exit_code == 2


# --- products and second order -----------------------------------------------------------------


def test_jvp_vjp_hvp_against_jax():
    v = np.array([0.3, 1.0, -0.5])
    jac = np.asarray(jax.jacfwd(_tanh_mix)(jnp.asarray(X)))
    _close(jaccli.jvp(_tanh_mix, X, v=v).result, jac @ v)
    _close(jaccli.vjp(_tanh_mix, X, v=v).result, v @ jac)

    def scalar(x):
        return jnp.sum(jnp.sin(x) * x[0])

    hess = np.asarray(jax.hessian(scalar)(jnp.asarray(X)))
    _close(jaccli.hessian(scalar, X).result, hess)
    _close(jaccli.hvp(scalar, X, v=v).result, hess @ v)
    assert jaccli.hvp(scalar, X, v=v).mode == "forward-over-reverse"


def test_jvp_several_arguments_with_dict_v():
    x, y = XY
    r = jaccli.jvp(_two, x, y, v={"x": [1.0, 0.0], "y": [0.0, 1.0]})
    _close(r.result, [np.sin(y[0]), x[1] * np.cos(y[1])])


def test_hessian_rosenbrock():
    def rosen(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    r = jaccli.hessian(rosen, [1.0, 1.0])
    _close(r.result, [[802.0, -400.0], [-400.0, 200.0]])


def test_hessian_two_arguments_nested_by_name():
    def fn(a, b):
        return jnp.sum(a**2) * b

    a, b = np.array([1.0, -2.0]), np.array(3.0)
    r = jaccli.hessian(fn, a, b)
    _close(r.result["a"]["a"], 2 * b * np.eye(2))
    _close(r.result["a"]["b"], 2 * a)
    _close(r.result["b"]["a"], 2 * a)
    _close(r.result["b"]["b"], 0.0)


def test_hessian_dict_argument():
    def fn(p):
        return jnp.sum(p["w"] ** 2 * p["b"])

    r = jaccli.hessian(fn, {"w": [1.0, 2.0], "b": 3.0})
    _close(r.result["w"]["w"], 6.0 * np.eye(2))
    _close(r.result["w"]["b"], [2.0, 4.0])
    _close(r.result["b"]["b"], 0.0)


def test_grad_and_hvp_at_can_leave_the_value_out():
    from jaccli import _operations, _problem
    from jaccli._load import loader

    sample = str(Path(__file__).resolve().parents[2] / "samples" / "rosenbrock.py")
    problem = _problem.prepare(loader.load(sample), {"x": np.array([-1.2, 1.0])})
    grad = _operations.run(problem, "grad", value=False)
    assert grad.value is None and grad.to_dict()["value"] is None
    _close(grad.result, [-215.6, -88.0])
    hvp = _operations.run(problem, "hvp", vector=np.array([1.0, 0.0]), value=False)
    assert hvp.value is None
    _close(hvp.result, _operations.run(problem, "hvp", vector=np.array([1.0, 0.0])).result)


def test_grad_of_vector_function_is_shape_error():
    with pytest.raises(ShapeError, match=r"scalar-valued.*\(3,\)") as info:
        jaccli.grad(_tanh_mix, X)
    assert info.value.hint == "use jacobian for vector outputs"


def test_jvp_v_wrong_shape():
    with pytest.raises(ShapeError) as info:
        jaccli.jvp(_tanh_mix, X, v=[1.0, 2.0])
    assert "(2,)" in info.value.message
    assert "(3,)" in info.value.message
    # Python callers are told about their argument, not about a command-line flag.
    assert info.value.message.startswith("v has shape") and "--" not in info.value.message


def test_vjp_v_wrong_shape():
    with pytest.raises(ShapeError) as info:
        jaccli.vjp(lambda x: x[:2] * 2.0, X, v=[1.0, 2.0, 3.0])
    assert info.value.message.startswith("v has shape (3,)")
    assert "output has shape (2,)" in info.value.message


# --- non-finite results ------------------------------------------------------------------------


def test_nan_is_counted_warned_and_null():
    r = jaccli.jacobian(jnp.sqrt, [-1.0, 4.0])
    # d sqrt(x)/dx = 1/(2 sqrt x): 0.25 at 4, NaN at -1; the value at -1 is NaN too.
    assert r.nonfinite == 2
    assert any("2 non-finite" in w for w in r.warnings)
    d = json.loads(json.dumps(r.to_dict(), allow_nan=False))
    assert d["result"] == [[None, 0.0], [0.0, 0.25]]
    assert d["value"] == [None, 2.0]


# --- the size guard ---------------------------------------------------------------------------


def test_size_guard_refuses_before_computing():
    calls = []

    def fn(x):
        calls.append(1)
        return x * 2.0

    with pytest.raises(ResourceError) as info:
        jaccli.jacobian(fn, np.ones(10), max_bytes=100)
    assert info.value.exit_code == 4
    assert "800 bytes" in info.value.message
    assert "100" in info.value.message
    # Only the shape-finding trace ran; computing would have traced the function again.
    assert len(calls) == 1


def test_size_guard_hessian():
    with pytest.raises(ResourceError, match="Hessian would take 800 bytes"):
        jaccli.hessian(lambda x: jnp.sum(x**2), np.ones(10), max_bytes=799)


# --- errors from the user's function ----------------------------------------------------------


def _raises_value_error(x):
    raise ValueError("the model diverged")


def _uses_numpy(x):
    return np.asarray(x) * 2.0


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (lambda x: None, "returned None"),
        (lambda x: "text", "string"),
        (lambda x: {"a": x}, "dict"),
        (lambda x: jnp.array([1, 2]), "floating point"),
        (_raises_value_error, "raised ValueError"),
    ],
)
def test_function_errors(fn, words):
    with pytest.raises(FunctionError) as info:
        jaccli.jacobian(fn, [1.0, 2.0])
    assert info.value.exit_code == 3
    assert words in info.value.message


def test_conversion_to_numpy_falls_back_to_finite_differences_for_jacobians_only():
    result = jaccli.jacobian(_uses_numpy, [1.0, 2.0])
    assert result.mode == "finite_differences" and result.extra["method"] == "finite_differences"
    np.testing.assert_allclose(result.result, [[2.0, 0.0], [0.0, 2.0]], atol=1e-9)
    assert np.all(np.asarray(result.extra["error_estimate"]) < 1e-9)
    with pytest.raises(FunctionError) as info:
        jaccli.jvp(_uses_numpy, [1.0, 2.0], v=[1.0, 0.0])
    assert info.value.exit_code == 3 and "NumPy" in info.value.message


def test_function_error_names_exception_message_and_line():
    with pytest.raises(FunctionError) as info:
        jaccli.grad(_raises_value_error, 1.0)
    message = info.value.message
    assert "ValueError" in message
    assert "the model diverged" in message
    assert "test_api.py, line" in message


def test_list_output_is_stacked():
    r = jaccli.jacobian(lambda x: [x[0] * x[1], x[0]], [2.0, 3.0])
    _close(r.result, [[3.0, 2.0], [1.0, 0.0]])


# --- devices and control flow ------------------------------------------------------------------


def test_select_device_gpu_on_cpu_machine():
    if any(d.platform == "gpu" for d in jax.devices()):
        pytest.skip("a GPU is visible")
    with pytest.raises(UsageError, match="no GPU") as info:
        select_device("gpu", COMMAND_LINE)
    assert info.value.exit_code == 2
    assert "--device cpu" in info.value.hint
    with pytest.raises(UsageError, match="no GPU") as info:
        select_device("gpu")
    assert "use device cpu" in info.value.hint


def test_select_device_bad_name():
    with pytest.raises(UsageError, match="tpu"):
        select_device("tpu")
    assert select_device("cpu").platform == "cpu"


def _branchy(x):
    if x[0] > 0:
        return x**2
    return -x


@pytest.mark.parametrize(("x", "diag"), [([1.5, 2.0], [3.0, 4.0]), ([-1.0, 2.0], [-1.0, -1.0])])
def test_control_flow_warns_and_is_right(x, diag):
    r = jaccli.jacobian(_branchy, x)
    _close(r.result, np.diag(diag))
    assert any("computed eagerly" in w for w in r.warnings)
    json.dumps(r.to_dict(), allow_nan=False)


def test_compiled_function_has_no_warning():
    assert jaccli.jacobian(lambda x: x * 2.0, [1.0]).warnings == ()


# --- bad input must be a JaccliError, never a bare Python exception ----------------------------


def test_ragged_argument_is_usage_error():
    with pytest.raises(UsageError):
        jaccli.jacobian(lambda x: x, [[1.0], [1.0, 2.0]])


def test_wrt_index_out_of_range_is_usage_error():
    with pytest.raises(UsageError):
        jaccli.jacobian(_two, *XY, wrt=3)


def test_jvp_several_arguments_with_list_v():
    def fn(x, y):
        return jnp.sum(x) * y

    x, y = [1.0, 2.0], [3.0, 4.0, 5.0]
    vx, vy = [1.0, 0.0], [0.0, 0.0, 1.0]
    expected = jaccli.jvp(fn, x, y, v=(vx, vy)).result
    # d/dt [sum(x + t vx) (y + t vy)] = sum(vx) y + sum(x) vy
    _close(expected, [3.0, 4.0, 8.0])
    _close(jaccli.jvp(fn, x, y, v=[vx, vy]).result, expected)


# --- messages name Python's arguments, never the command line's flags --------------------------


@pytest.mark.parametrize(
    ("text", "variables", "words"),
    [
        ("x + y", ["x"], "not in vars: y"),
        ("x", ["x", "x"], "vars names 'x' twice"),
        ("x", ["x", "2y"], "vars entry '2y' is not a name"),
    ],
)
def test_parse_expr_names_the_vars_argument(text, variables, words):
    with pytest.raises(jaccli.JaccliError) as info:
        jaccli.parse_expr(text, vars=variables)
    assert words in info.value.message
    assert "--" not in info.value.message + (info.value.hint or "")


def test_parse_expr_hint_names_the_vars_argument():
    with pytest.raises(jaccli.JaccliError) as info:
        jaccli.parse_expr("x + y", vars=["x"])
    assert info.value.hint == "list every input name in vars, in the order you want"


def test_load_hints_parse_expr_for_an_expression():
    with pytest.raises(UsageError) as info:
        jaccli.load("x**2")
    assert info.value.hint == "to differentiate an expression, use parse_expr"
