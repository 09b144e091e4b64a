"""Every sample runs as its docstring says, and gives the hand-derived answer it promises."""

from __future__ import annotations

import ast
import math
import shlex

import numpy as np
import pytest

from conftest import ROOT

SAMPLES = sorted((ROOT / "samples").glob("*.py"))


def documented_commands(path):
    doc = ast.get_docstring(ast.parse(path.read_text()))
    return [line.strip() for line in doc.splitlines() if line.strip().startswith("jaccli ")]


def test_every_sample_documents_a_command():
    assert SAMPLES
    for path in SAMPLES:
        assert documented_commands(path), f"{path.name} has no 'jaccli ...' line in its docstring"


@pytest.mark.parametrize(
    "command",
    [c for path in SAMPLES for c in documented_commands(path)],
)
def test_documented_command_runs(cli, command):
    run = cli(*shlex.split(command)[1:], "--format", "json")
    assert run.code == 0, run.stderr
    assert run.json()["command"] == shlex.split(command)[1]


def result_of(cli, *args):
    run = cli(*args, "--format", "json")
    assert run.code == 0, run.stderr
    return run.json()


def test_elementwise_matches_hand_derivative(cli):
    out = result_of(cli, "jacobian", "samples/elementwise.py", "--at", "2,1")
    np.testing.assert_allclose(out["value"], [4.0, math.sin(1.0)], rtol=1e-15)
    np.testing.assert_allclose(out["result"], [[4.0, 0.0], [0.0, math.cos(1.0)]], rtol=1e-15)
    assert out["mode"] == "forward"


def test_affine_is_its_matrix_and_relu_zeroes_inactive_rows(cli):
    A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    for at in ("1,2", "-3,0.5"):
        out = result_of(cli, "jacobian", "samples/affine.py", "--at", at)
        np.testing.assert_array_equal(out["result"], A)
    out = result_of(cli, "jacobian", "samples/affine.py:relu_layer", "--at", "1,2")
    pre = A @ np.array([1.0, 2.0]) + np.array([0.0, -22.0, 1.0])
    np.testing.assert_array_equal(out["result"], A * (pre > 0)[:, None])


def test_matrix_input_layout_is_output_plus_input(cli):
    W = "[[1,0,0,0],[0,1,0,0],[0,0,1,0]]"
    out = result_of(cli, "jacobian", "samples/matrix.py", "--at", W)
    J = np.array(out["result"])
    c = np.array([1.0, 2.0, 3.0, 4.0])
    expected = np.einsum("ik,l->ikl", np.eye(3), c)
    assert J.shape == (3, 3, 4)
    np.testing.assert_array_equal(J, expected)


def logistic_gradient(w, b):
    X = np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -1.2], [2.0, 1.0]])
    y = np.array([1.0, 0.0, 0.0, 1.0])
    residual = 1.0 / (1.0 + np.exp(-(X @ w + b))) - y
    return X.T @ residual / len(y), residual.mean()


def test_logistic_gradient_keyed_by_argument(cli):
    out = result_of(cli, "grad", "samples/logistic.py", "--at", "w=[0.5,-0.25],b=0.1")
    gw, gb = logistic_gradient(np.array([0.5, -0.25]), 0.1)
    np.testing.assert_allclose(out["result"]["w"], gw, rtol=1e-12)
    np.testing.assert_allclose(out["result"]["b"], gb, rtol=1e-12)


def test_logistic_params_dict_keyed_by_dict_key(cli):
    out = result_of(
        cli, "grad", "samples/logistic_params.py", "--at", 'params={"w": [0.5, -0.25], "b": 0.1}'
    )
    gw, gb = logistic_gradient(np.array([0.5, -0.25]), 0.1)
    np.testing.assert_allclose(out["result"]["w"], gw, rtol=1e-12)
    np.testing.assert_allclose(out["result"]["b"], gb, rtol=1e-12)


def test_complex_holomorphic_and_real_valued(cli):
    out = result_of(cli, "jacobian", "samples/complex_fn.py", "--at", "1+2j")
    z = 1 + 2j
    expected = 2 * z + np.exp(z)
    assert out["holomorphic"] is True
    assert out["result"]["re"] == pytest.approx(expected.real, rel=1e-14)
    assert out["result"]["im"] == pytest.approx(expected.imag, rel=1e-14)
    out = result_of(cli, "grad", "samples/complex_fn.py:energy", "--at", "3+4j")
    # |z|^2 = x^2 + y^2: df/dx + i df/dy = 2x + 2iy.
    assert out["result"] == {"re": 6.0, "im": 8.0}
    assert out["holomorphic"] is False


def test_rosenbrock_gradient_and_hessian(cli):
    out = result_of(cli, "grad", "samples/rosenbrock.py", "--at", "-1.2,1")
    x, y = -1.2, 1.0
    expected = [-400 * x * (y - x**2) - 2 * (1 - x), 200 * (y - x**2)]
    np.testing.assert_allclose(out["result"], expected, rtol=1e-13)
    out = result_of(cli, "hessian", "samples/rosenbrock.py", "--at", "1,1")
    np.testing.assert_allclose(out["result"], [[802.0, -400.0], [-400.0, 200.0]], rtol=1e-14)
    assert out["mode"] == "forward-over-reverse"


def test_kepler_solve_is_differentiated_in_forward_mode(cli):
    E = 1.0885977523978936  # E - 0.1 sin E = 1
    assert abs(E - 0.1 * math.sin(E) - 1) < 1e-15
    D = 1 - 0.1 * math.cos(E)
    out = result_of(cli, "grad", "samples/kepler.py", "--at", "1,0.1")
    assert out["mode"] == "forward" and "lax.while_loop" in out["mode_reason"]
    np.testing.assert_allclose([out["result"]["M"], out["result"]["e"]], [1 / D, math.sin(E) / D])
    hessian = result_of(cli, "hessian", "samples/kepler.py", "--at", "1,0.1")
    np.testing.assert_allclose(hessian["result"]["M"]["M"], -0.1 * math.sin(E) / D**3)
