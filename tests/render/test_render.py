"""Tests for jaccli._render: labelled matrix views, every output format and the tables."""

from __future__ import annotations

import csv
import io
import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import jaccli
from jaccli._render import (
    format_for_path,
    matrix_view,
    render,
    to_csv_text,
    to_latex_text,
    to_npy_bytes,
    to_npz_bytes,
    to_table_text,
)
from jaccli._render.formats import NPY_PIECE, npy_pieces
from jaccli.errors import UsageError


def _close(actual, expected):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=1e-12)


def _vec(x):
    return jnp.stack([x[0] * x[1], jnp.sin(x[0]) + 3.0 * x[1]])


X = np.array([0.5, -1.5])


@pytest.fixture(scope="module")
def jac():
    return jaccli.jacobian(_vec, X)


def _jac_truth(x):
    # d/dx [x0 x1, sin x0 + 3 x1]
    return np.array([[x[1], x[0]], [np.cos(x[0]), 3.0]])


# --- matrix_view ------------------------------------------------------------------------------


def test_jacobian_labels(jac):
    view = matrix_view(jac)
    assert view.rows == ["f[0]", "f[1]"]
    assert view.columns == ["x[0]", "x[1]"]
    _close(view.data, _jac_truth(X))


def test_matrix_input_labels():
    w = np.arange(6.0).reshape(2, 3)
    v = np.array([1.0, -1.0, 2.0])
    view = matrix_view(jaccli.jacobian(lambda W: W @ v, w))
    assert view.columns == ["W[0,0]", "W[0,1]", "W[0,2]", "W[1,0]", "W[1,1]", "W[1,2]"]
    assert view.rows == ["f[0]", "f[1]"]
    # ∂(W v)_i / ∂W[j,k] = δ_ij v_k
    _close(view.data, np.kron(np.eye(2), v))


def test_dict_and_several_argument_labels():
    def fn(params, x):
        return params["w"] * x + params["b"]

    params = {"w": np.array([2.0, -1.0]), "b": np.array(0.5)}
    x = np.array([3.0, 4.0])
    r = jaccli.jacobian(fn, params, x)
    view = matrix_view(r)
    columns = dict(zip(view.columns, view.data.T, strict=True))
    assert set(view.columns) == {"params.w[0]", "params.w[1]", "params.b", "x[0]", "x[1]"}
    _close(columns["params.w[0]"], [x[0], 0.0])
    _close(columns["params.w[1]"], [0.0, x[1]])
    _close(columns["params.b"], [1.0, 1.0])
    _close(columns["x[0]"], [params["w"][0], 0.0])
    _close(columns["x[1]"], [0.0, params["w"][1]])


def test_scalar_output_label():
    view = matrix_view(jaccli.jacobian(lambda x: jnp.sum(x**2), X))
    assert view.rows == ["f"]
    _close(view.data, [2 * X])


def test_grad_vjp_hvp_jvp_views():
    def scalar(x):
        return x[0] ** 2 * x[1]

    g = matrix_view(jaccli.grad(scalar, X))
    assert g.rows == ["x[0]", "x[1]"]
    assert g.columns == ["gradient"]
    _close(g.data, [[2 * X[0] * X[1]], [X[0] ** 2]])

    v = np.array([1.0, 2.0])
    jv = matrix_view(jaccli.jvp(_vec, X, v=v))
    assert jv.rows == ["f[0]", "f[1]"]
    assert jv.columns == ["J·v"]
    _close(jv.data[:, 0], _jac_truth(X) @ v)

    vj = matrix_view(jaccli.vjp(_vec, X, v=v))
    assert vj.rows == ["x[0]", "x[1]"]
    _close(vj.data[:, 0], v @ _jac_truth(X))

    hv = matrix_view(jaccli.hvp(scalar, X, v=v))
    hess = np.array([[2 * X[1], 2 * X[0]], [2 * X[0], 0.0]])
    _close(hv.data[:, 0], hess @ v)


def test_hessian_two_arguments_assembled():
    def fn(a, b):
        return jnp.sum(jnp.sin(a) * b[0]) + a[0] * b[1] ** 2 + jnp.prod(b)

    a = np.array([0.3, -0.8])
    b = np.array([1.2, 0.4, -0.6])
    view = matrix_view(jaccli.hessian(fn, a, b))
    labels = ["a[0]", "a[1]", "b[0]", "b[1]", "b[2]"]
    assert view.rows == labels
    assert view.columns == labels

    def flat(z):
        return fn(z[:2], z[2:])

    truth = jax.hessian(flat)(jnp.concatenate([jnp.asarray(a), jnp.asarray(b)]))
    _close(view.data, truth)


def test_hessian_dict_argument_assembled():
    def loss(p):
        return jnp.sum(p["w"] ** 2) * p["b"] + p["b"] ** 3

    params = {"w": np.array([1.0, -2.0]), "b": np.array(0.5)}
    view = matrix_view(jaccli.hessian(loss, params))
    order = [view.columns.index(label) for label in ("p.w[0]", "p.w[1]", "p.b")]
    w, b = params["w"], float(params["b"])
    truth = np.array([[2 * b, 0.0, 2 * w[0]], [0.0, 2 * b, 2 * w[1]], [2 * w[0], 2 * w[1], 6 * b]])
    _close(view.data[np.ix_(order, order)], truth)


def test_hessian_vector_output_rows():
    def fn(x):
        return jnp.stack([x[0] ** 2 * x[1], jnp.sin(x[1]) * x[0]])

    view = matrix_view(jaccli.hessian(fn, X))
    assert view.rows == ["f[0] · x[0]", "f[0] · x[1]", "f[1] · x[0]", "f[1] · x[1]"]
    assert view.columns == ["x[0]", "x[1]"]
    h0 = [[2 * X[1], 2 * X[0]], [2 * X[0], 0.0]]
    h1 = [[0.0, np.cos(X[1])], [np.cos(X[1]), -np.sin(X[1]) * X[0]]]
    _close(view.data, np.vstack([h0, h1]))


# --- machine formats ---------------------------------------------------------------------------


def test_csv_round_trip(jac):
    rows = list(csv.reader(io.StringIO(to_csv_text(jac))))
    assert rows[0] == ["output", "x[0]", "x[1]"]
    assert [row[0] for row in rows[1:]] == ["f[0]", "f[1]"]
    numbers = np.array([[float(cell) for cell in row[1:]] for row in rows[1:]])
    np.testing.assert_array_equal(numbers, jac.result)
    _close(numbers, _jac_truth(X))


def test_csv_of_grad_has_input_corner():
    text = to_csv_text(jaccli.grad(lambda x: jnp.sum(x**2), X))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["input", "gradient"]
    _close([float(row[1]) for row in rows[1:]], 2 * X)


def test_npy_round_trip(jac):
    data = to_npy_bytes(jac)
    loaded = np.load(io.BytesIO(data), allow_pickle=False)
    assert loaded.dtype == np.float64
    np.testing.assert_array_equal(loaded, jac.result)
    assert render(jac, "npy") == data


def test_npy_pieces_are_the_bytes_numpy_saves_and_views_of_the_array():
    big = jaccli.grad(lambda x: jnp.sum(x**2), np.arange(3 * NPY_PIECE // 8 + 5.0))
    for result in (big, jaccli.grad(lambda x: x**2, 3.0)):
        expected = io.BytesIO()
        np.save(expected, np.asarray(result.result), allow_pickle=False)
        pieces = list(npy_pieces(result))
        assert b"".join(pieces) == expected.getvalue()
    # The header, then four pieces of the array, none of them a copy.
    assert len(pieces) == 2 and [type(p) for p in list(npy_pieces(big))[1:]] == [memoryview] * 4


def test_npy_of_several_parts_is_usage_error():
    r = jaccli.jacobian(lambda x, y: x * y, [1.0, 2.0], [3.0, 4.0])
    with pytest.raises(UsageError, match=r"several parts \(x, y\)") as info:
        to_npy_bytes(r)
    assert ".npz" in info.value.hint


def test_npz_keys():
    def fn(params, x):
        return params["w"] * x + params["b"]

    r = jaccli.jacobian(fn, {"w": [2.0, -1.0], "b": 0.5}, [3.0, 4.0])
    with np.load(io.BytesIO(to_npz_bytes(r)), allow_pickle=False) as npz:
        assert set(npz.files) == {"params.w", "params.b", "x"}
        _close(npz["params.w"], np.diag([3.0, 4.0]))
        _close(npz["params.b"], [1.0, 1.0])
        _close(npz["x"], np.diag([2.0, -1.0]))


def test_npz_single_result_keyed_by_argument(jac):
    with np.load(io.BytesIO(to_npz_bytes(jac)), allow_pickle=False) as npz:
        assert npz.files == ["x"]
        np.testing.assert_array_equal(npz["x"], jac.result)


def test_latex(jac):
    text = to_latex_text(jac)
    assert text.startswith("\\begin{bmatrix}\n")
    assert text.endswith("\\end{bmatrix}\n")
    body = text.splitlines()[1:-1]
    assert len(body) == 2
    numbers = [[float(cell) for cell in line.removesuffix(r" \\").split(" & ")] for line in body]
    _close(numbers, np.round(_jac_truth(X), 6))


def test_json_render(jac):
    d = json.loads(render(jac, "json"))
    assert d["command"] == "jacobian"
    _close(d["result"], jac.result)


def test_unknown_format(jac):
    with pytest.raises(UsageError, match="unknown format"):
        render(jac, "xml")


# --- tables --------------------------------------------------------------------------------------


def test_table_has_labels_and_mode_line(jac):
    text = to_table_text(jac)
    for label in ("f[0]", "f[1]", "x[0]", "x[1]"):
        assert label in text
    assert "mode: forward — n=2, m=2" in text
    assert "Jacobian of" in text
    assert "\x1b" not in text
    assert f"{np.cos(X[0]):.6g}" in text


def test_big_jacobian_is_summarised_with_sparsity_picture():
    n = 100
    x = np.linspace(0.1, 1.0, n)
    text = to_table_text(jaccli.jacobian(lambda x: x**3, x))
    assert "100 × 100 matrix, 100 nonzero (1%)" in text
    assert "sparsity" in text
    picture = [line for line in text.splitlines() if set(line.strip()) <= {"█", "·"} and line]
    assert len(picture) == 24
    # A diagonal matrix: each band of rows is nonzero only near the diagonal.
    assert all(line.count("█") < 10 for line in picture)
    assert picture[0].startswith("█")
    assert picture[-1].rstrip().endswith("█")
    assert "largest entries" in text
    assert len(text.splitlines()) < 60
    assert f"{3 * x[-1] ** 2:.6g}" in text


def test_table_escapes_hostile_source():
    function = jaccli.Function(fn=lambda x: x * 2.0, params=("x",), source="evil\x1b[31m")
    text = to_table_text(jaccli.jacobian(function, [1.0]))
    assert "\x1b" not in text
    assert "evil\\x1b[31m" in text


# --- formats from file names ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        ("out.json", "json"),
        ("OUT.CSV", "csv"),
        ("a/b.npy", "npy"),
        ("r.npz", "npz"),
        ("m.tex", "latex"),
        ("t.txt", "table"),
    ],
)
def test_format_for_path(path, fmt):
    assert format_for_path(path) == fmt


def test_format_for_unknown_suffix():
    with pytest.raises(UsageError, match="suffix") as info:
        format_for_path("result.xlsx")
    assert ".json" in info.value.hint
