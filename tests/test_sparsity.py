"""Sparse Jacobians (--sparse): the traced pattern, the colourings, the compressed products and
their outputs, each against independent truth (hand-derived patterns and raw `jax.jacfwd`)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import jax
import jax.extend.core
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import jaccli
from jaccli import _render as render
from jaccli._derivatives import coloring, sparsity
from jaccli.errors import ResourceError
from jaccli.results import SparseJacobian

# --- test functions with known patterns -----------------------------------------------------


def broyden(x):
    padded = jnp.pad(x, 1)
    return (3.0 - 2.0 * x) * x - padded[:-2] - 2.0 * padded[2:] + 1.0


def broyden_by_concatenation(x):
    left = jnp.concatenate([jnp.zeros(1), x[:-1]])
    right = jnp.concatenate([x[1:], jnp.zeros(1)])
    return (3.0 - 2.0 * x) * x - left - 2.0 * right + 1.0


def seven_band(x):
    padded = jnp.pad(x, 3)
    return sum((k + 4.0) * jnp.sin(padded[3 + k : 3 + k + x.size]) for k in range(-3, 4)) * x


def extended_rosenbrock(x):
    first, second = x[0::2], x[1::2]
    return jnp.stack([10.0 * (second - first**2), 1.0 - first], axis=1).reshape(-1)


def dense_row(x):
    """f[0] = Σ x², f[i] = x[i]³: the first row is full, the rest diagonal."""
    return jnp.concatenate([jnp.sum(x**2)[None], x[1:] ** 3])


def dense_column(x):
    """f[i] = x[i]·x[0]: the first column is full, the rest diagonal."""
    return x * x[0] + x


def band(n, lower, upper):
    return np.triu(np.tril(np.ones((n, n), dtype=bool), upper), -lower)


def pattern_of(fn, n, seed=0):
    x = np.random.default_rng(seed).uniform(0.5, 1.5, n)
    return sparsity.jacobian_pattern(fn, x).matrix.toarray()


def truth(fn, x):
    """The dense Jacobian from raw `jax.jacfwd`, as an (m, n) matrix."""
    x = jnp.asarray(x)
    return np.asarray(jax.jacfwd(lambda v: jnp.ravel(fn(v)))(x)).reshape(-1, x.size)


def dense_of(result):
    sparse = result.result
    matrix = np.zeros(sparse.shape)
    matrix[sparse.rows, sparse.cols] = sparse.values
    return matrix


# --- patterns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (jnp.sin, lambda n: np.eye(n, dtype=bool)),
        (broyden, lambda n: band(n, 1, 1)),
        (broyden_by_concatenation, lambda n: band(n, 1, 1)),
        (seven_band, lambda n: band(n, 3, 3)),
        (dense_row, lambda n: np.eye(n, dtype=bool) | (np.arange(n) == 0)[:, None]),
        (dense_column, lambda n: np.eye(n, dtype=bool) | (np.arange(n) == 0)[None, :]),
    ],
)
def test_hand_known_patterns_are_exact(fn, expected):
    for n in (1, 2, 9):
        np.testing.assert_array_equal(pattern_of(fn, n), expected(n))


def test_extended_rosenbrock_pattern():
    pattern = pattern_of(extended_rosenbrock, 6)
    expected = np.zeros((6, 6), dtype=bool)
    for k in range(3):
        expected[2 * k, 2 * k : 2 * k + 2] = True
        expected[2 * k + 1, 2 * k] = True
    np.testing.assert_array_equal(pattern, expected)


@jax.custom_jvp
def straight_through(x):
    return jnp.round(x)


straight_through.defjvp(lambda primals, tangents: (jnp.round(primals[0]), tangents[0]))

A_CONSTANT = np.diag(np.arange(1.0, 13.0)) + np.eye(12, k=3)

COVERAGE = {
    "reshape and transpose": lambda x: (x.reshape(3, 4).T ** 2).ravel(),
    "strided slice": lambda x: x[1::3] * x[::3],
    "concatenate": lambda x: jnp.concatenate([x[6:], x[:6] ** 2]),
    "stack and split": lambda x: jnp.stack(jnp.split(x, 3), axis=1).ravel() ** 2,
    "tile and rev": lambda x: jnp.tile(x[:4], 2) * x[::-1][:8],
    "broadcasting": lambda x: jnp.outer(x[:3], x[3:7]).ravel(),
    "sum along an axis": lambda x: jnp.sum(x.reshape(3, 4) ** 2, axis=0),
    "mean of everything": lambda x: x - jnp.mean(x),
    "constant sparse matrix": lambda x: A_CONSTANT @ jnp.tanh(x),
    "batched dot_general": lambda x: jnp.einsum(
        "bij,bj->bi", x.reshape(2, 2, 3), x[:6].reshape(2, 3)
    ),
    "matrix product": lambda x: (x[:6].reshape(2, 3) @ x[6:].reshape(3, 2)).ravel(),
    "where": lambda x: jnp.where(x > 1.0, x**2, jnp.exp(x)),
    "nested jit": lambda x: jax.jit(lambda v: jnp.cos(v[2:]) * v[:-2])(x),
    "gather": lambda x: x[jnp.array([3, 0, 11, -1, 3])] ** 2,
    "scatter-add": lambda x: x.at[jnp.array([0, 0, 5])].add(x[8:11] ** 2),
    "pad with interior and negative": lambda x: jax.lax.pad(x, 0.0, [(-1, 2, 1)]) ** 2,
    "pad value from the input": lambda x: jax.lax.pad(x[:4], x[5], [(1, 1, 0)]) * 2.0,
    "cumsum both ways": lambda x: jnp.cumsum(x) + jax.lax.cumsum(x**2, reverse=True),
    "dynamic slice": lambda x: jax.lax.dynamic_slice(x, (2,), (4,)) ** 2,
    "dynamic update slice": lambda x: jax.lax.dynamic_update_slice(x, x[:3] ** 3, (7,)),
    "custom_jvp relu": lambda x: jax.nn.relu(x - 1.0) + jax.nn.softplus(x),
    "straight-through custom_jvp": lambda x: straight_through(x * 3.0) * 1.0,
    "stop_gradient and floor": lambda x: jax.lax.stop_gradient(x) * x + jnp.floor(x) * x,
    "norm": lambda x: jnp.linalg.norm(x.reshape(3, 4), axis=1),
    "scalar output": lambda x: jnp.sum(x[:5] ** 2)[None],
}


@pytest.mark.parametrize("name", COVERAGE)
def test_primitive_coverage_is_exact(name):
    """Exact: the pattern is the nonzeros of the Jacobian at a random point (no fewer, since a
    missing entry would be a wrong answer; no more, since each rule follows the structure)."""
    fn = COVERAGE[name]
    x = np.random.default_rng(1).uniform(0.3, 1.7, 12)
    pattern = sparsity.jacobian_pattern(fn, x)
    np.testing.assert_array_equal(pattern.matrix.toarray(), truth(fn, x) != 0)
    assert pattern.dense_operations == ()


@jax.custom_jvp
def through_callback(x):
    return jax.pure_callback(
        lambda v: np.roll(v, 1) * 2.0, jax.ShapeDtypeStruct(x.shape, x.dtype), x
    )


through_callback.defjvp(
    lambda primals, tangents: (through_callback(primals[0]), jnp.roll(tangents[0], 1) * 2.0)
)

mystery_p = jax.extend.core.Primitive("mystery")
mystery_p.def_impl(lambda x: jnp.roll(x, 1))
mystery_p.def_abstract_eval(lambda x: jax.core.ShapedArray(x.shape, x.dtype))


@pytest.mark.parametrize(
    ("fn", "dense"),
    [
        (lambda x: through_callback(x[:4]) + x[4:], "pure_callback"),
        (lambda x: jax.lax.fori_loop(0, 2, lambda i, v: v * v, x[:4]) + x[4:], "scan"),
        (lambda x: jnp.sort(x[:4]) + x[4:], "sort"),
    ],
)
def test_unknown_operations_are_dense_never_optimistic(fn, dense):
    x = np.random.default_rng(2).uniform(0.5, 1.5, 8)
    pattern = sparsity.jacobian_pattern(fn, x)
    expected = np.zeros((4, 8), dtype=bool)
    expected[:, :4] = True  # the unknown operation: each output on all its inputs
    expected[np.arange(4), 4 + np.arange(4)] = True  # the exactly followed `+ x[4:]`
    np.testing.assert_array_equal(pattern.matrix.toarray(), expected)
    assert not (truth(fn, x) != 0)[~expected].any()
    assert pattern.dense_operations == (dense,)


def test_a_primitive_jaccli_has_never_seen_is_dense():
    def fn(x):
        return jnp.concatenate([mystery_p.bind(x[:3]), x[3:] ** 2])

    pattern = sparsity.jacobian_pattern(fn, np.ones(5)).matrix.toarray()
    expected = np.zeros((5, 5), dtype=bool)
    expected[:3, :3] = True
    expected[3, 3] = expected[4, 4] = True
    np.testing.assert_array_equal(pattern, expected)


def test_unused_inputs_and_constant_outputs_have_no_entries():
    result = jaccli.jacobian(lambda x: jnp.ones(3) + x[0] * 0.0, np.ones(4), sparse=True)
    assert result.extra["sparsity"]["colors"] == {"forward": 1, "reverse": 3}
    np.testing.assert_array_equal(result.result.cols, [0, 0, 0])
    empty = jaccli.jacobian(lambda x: jnp.ones(3), np.ones(4), sparse=True)
    assert empty.result.nnz == 0
    assert empty.extra["sparsity"]["colors"] == {"forward": 0, "reverse": 0}
    np.testing.assert_array_equal(empty.value, np.ones(3))


def test_pattern_detection_is_fast_at_a_hundred_thousand():
    x = np.linspace(-1.0, 1.0, 100_000)
    sparsity.jacobian_pattern(broyden, x[:10])
    start = time.perf_counter()
    pattern = sparsity.jacobian_pattern(broyden, x)
    assert time.perf_counter() - start < 2.0
    assert pattern.nnz == 3 * 100_000 - 2


def test_pattern_limit_stops_early():
    with pytest.raises(sparsity.PatternTooLarge):
        sparsity.jacobian_pattern(lambda x: jnp.cumsum(x), np.ones(1000), max_entries=10_000)


# --- colourings -----------------------------------------------------------------------------


def plan_of(fn, n, mode="auto"):
    return coloring.plan(sparsity.jacobian_pattern(fn, np.ones(n)).matrix, mode)


def test_broyden_needs_three_colours_and_seven_band_seven():
    for n in (10, 1000):
        broyden_plan = plan_of(broyden, n)
        assert (broyden_plan.forward.count, broyden_plan.reverse.count) == (3, 3)
        assert broyden_plan.chosen.direction == "forward"  # a tie goes forward
        band_plan = plan_of(seven_band, n)
        assert (band_plan.forward.count, band_plan.reverse.count) == (7, 7)


def test_dense_row_picks_reverse_and_dense_column_forward():
    row = plan_of(dense_row, 50)
    assert (row.forward.count, row.reverse.count, row.chosen.direction) == (50, 2, "reverse")
    assert row.reason == "sparse: 50 column colours (forward) vs 2 row colours (reverse): 2 VJPs"
    column = plan_of(dense_column, 50)
    assert (column.forward.count, column.reverse.count) == (2, 50)
    assert column.chosen.direction == "forward"


def test_requested_direction_is_used_and_said():
    chosen = plan_of(dense_row, 20, "fwd")
    assert chosen.chosen.direction == "forward"
    assert "forward mode requested" in chosen.reason


@pytest.mark.parametrize("fn", [broyden, seven_band, dense_row, dense_column, *COVERAGE.values()])
def test_every_colouring_is_valid(fn):
    """Lines of one colour never share a row (column), so no product mixes two entries."""
    matrix = sparsity.jacobian_pattern(fn, np.ones(12)).matrix.toarray()
    plan = coloring.plan(matrix)
    for lines, colors in ((matrix, plan.forward.colors), (matrix.T, plan.reverse.colors)):
        for color in range(colors.max(initial=-1) + 1):
            assert lines[:, colors == color].sum(axis=1).max() <= 1
        assert (colors[lines.any(axis=0)] >= 0).all()


def test_a_pattern_too_costly_to_colour_gets_a_colour_per_line(monkeypatch):
    monkeypatch.setattr(coloring, "MAX_COLORING_WORK", 1000)
    plan = plan_of(dense_row, 100)
    assert not plan.forward.greedy and plan.forward.count == 100
    assert plan.reverse.greedy and plan.reverse.count == 2
    assert plan.chosen.direction == "reverse"
    assert "too costly to colour" in plan.reason


# --- values against raw jax.jacfwd --------------------------------------------------------


ALL_FUNCTIONS = [broyden, seven_band, extended_rosenbrock, dense_row, dense_column]


@pytest.mark.parametrize("mode", ["auto", "fwd", "rev"])
@pytest.mark.parametrize("fn", ALL_FUNCTIONS + [COVERAGE[k] for k in sorted(COVERAGE)])
def test_values_equal_the_dense_jacobian(fn, mode):
    n = 120 if fn in ALL_FUNCTIONS else 12
    x = np.random.default_rng(3).uniform(0.3, 1.7, n)
    result = jaccli.jacobian(fn, x, sparse=True, mode=mode)
    np.testing.assert_allclose(dense_of(result), truth(fn, x), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(result.value, np.asarray(fn(jnp.asarray(x))), rtol=1e-12)
    assert result.mode == {"fwd": "forward", "rev": "reverse"}.get(mode, result.mode)


def test_several_arguments_and_shaped_inputs_and_outputs():
    def fn(W, b, c):
        return jnp.tanh(W * b["scale"] + b["shift"][:, None]) * c

    W = np.arange(12.0).reshape(3, 4) / 10
    b = {"shift": np.array([0.1, -0.2, 0.3]), "scale": 0.5}
    sparse = jaccli.jacobian(fn, W, b, 2.0, wrt=["W", "b"], sparse=True)
    dense = jaccli.jacobian(fn, W, b, 2.0, wrt=["W", "b"]).result
    blocks = [dense["W"], dense["b"]["scale"], dense["b"]["shift"]]
    flat = np.concatenate([np.reshape(block, (12, -1)) for block in blocks], axis=1)
    np.testing.assert_allclose(dense_of(sparse), flat, rtol=1e-14)
    assert sparse.result.shape == (12, 16)
    assert sparse.result.output_shape == (3, 4)
    assert sparse.result.to_dict()["blocks"] == [
        {"name": "W", "shape": [3, 4], "offset": 0},
        {"name": "b.scale", "shape": [], "offset": 12},
        {"name": "b.shift", "shape": [3], "offset": 13},
    ]
    # Entry (output [1, 2], input b.shift[1]): d tanh(W·s + t)/dt, times c.
    row, col = 1 * 4 + 2, 13 + 1
    expected = 2.0 * (1 - np.tanh(W[1, 2] * 0.5 - 0.2) ** 2)
    assert dense_of(sparse)[row, col] == pytest.approx(expected, rel=1e-14)


def test_float32_values():
    x = np.linspace(0.1, 1.0, 30)
    result = jaccli.jacobian(broyden, x, sparse=True, dtype="float32")
    assert result.result.values.dtype == np.float32
    np.testing.assert_allclose(dense_of(result), truth(broyden, x), rtol=1e-6, atol=1e-6)


# --- the command line -----------------------------------------------------------------------


def broyden_entries(x):
    """Hand-derived Broyden tridiagonal Jacobian: 3 − 4x on the diagonal, −1 below, −2 above."""
    n = x.size
    rows = np.concatenate([np.arange(n), np.arange(1, n), np.arange(n - 1)])
    cols = np.concatenate([np.arange(n), np.arange(n - 1), np.arange(1, n)])
    values = np.concatenate([3.0 - 4.0 * x, -np.ones(n - 1), -2.0 * np.ones(n - 1)])
    return sp.csr_array((values, (rows, cols)), shape=(n, n))


def rosenbrock_entries(x):
    n = x.size
    k = np.arange(0, n, 2)
    rows = np.concatenate([k, k, k + 1])
    cols = np.concatenate([k, k + 1, k])
    values = np.concatenate([-20.0 * x[k], 10.0 * np.ones(k.size), -np.ones(k.size)])
    return sp.csr_array((values, (rows, cols)), shape=(n, n))


def from_json(result):
    assert result["format"] == "coo"
    return sp.csr_array((result["values"], (result["rows"], result["cols"])), shape=result["shape"])


def strict_json(text):
    def refuse(word):
        raise AssertionError(f"non-strict JSON constant {word}")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize(
    ("function", "entries", "colors"),
    [
        ("samples/broyden.py", broyden_entries, 3),
        ("samples/rosenbrock.py:residuals", rosenbrock_entries, 2),
    ],
)
def test_a_hundred_thousand_inputs_from_the_command_line(cli, tmp_path, function, entries, colors):
    n = 100_000
    x = np.random.default_rng(4).uniform(-2.0, 2.0, n)
    np.save(tmp_path / "x.npy", x)
    start = time.perf_counter()
    run = cli("jacobian", function, "--at", f"@{tmp_path / 'x.npy'}", "--sparse", "-f", "json")
    elapsed = time.perf_counter() - start
    assert run.code == 0, run.stderr
    assert run.stderr == ""
    out = strict_json(run.stdout)
    J = from_json(out["result"])
    expected = entries(x)
    assert J.shape == (n, n) and J.nnz == expected.nnz
    assert abs(J - expected).max() <= 1e-12
    assert out["sparsity"]["colors"] == {"forward": colors, "reverse": colors}
    assert out["sparsity"]["nnz"] == expected.nnz
    assert out["sparsity"]["density"] == pytest.approx(expected.nnz / n**2)
    assert out["mode"] == "forward"
    assert out["mode_reason"].endswith(f": {colors} JVPs")
    assert elapsed < 30  # seconds on a slow shared machine; a dense Jacobian would need 80 GB


def test_sparse_json_layout(cli):
    run = cli("jacobian", "samples/broyden.py", "--at=-1,-1,-1,-1", "--sparse", "-f", "json")
    assert run.code == 0, run.stderr
    out = strict_json(run.stdout)
    assert out["result"] == {
        "format": "coo",
        "shape": [4, 4],
        "output_shape": [4],
        "blocks": [{"name": "x", "shape": [4], "offset": 0}],
        "rows": [0, 0, 1, 1, 1, 2, 2, 2, 3, 3],
        "cols": [0, 1, 0, 1, 2, 1, 2, 3, 2, 3],
        "values": [7.0, -2.0, -1.0, 7.0, -2.0, -1.0, 7.0, -2.0, -1.0, 7.0],
    }
    assert out["value"] == [-2.0, -1.0, -1.0, -3.0]
    assert out["sparsity"] == {
        "nnz": 10,
        "density": 10 / 16,
        "colors": {"forward": 3, "reverse": 3},
        "direction": "forward",
        "dense_operations": [],
    }
    assert out["mode_reason"] == (
        "sparse: 3 column colours (forward) vs 3 row colours (reverse): 3 JVPs"
    )


def test_non_finite_entries_are_null_and_listed(cli, tmp_path):
    fn = tmp_path / "roots.py"
    fn.write_text("import jax.numpy as jnp\n\ndef f(x):\n    return jnp.sqrt(x)\n")
    run = cli("jacobian", str(fn), "--at", "0,4", "--sparse", "-f", "json")
    assert run.code == 1
    out = strict_json(run.stdout)
    assert out["result"]["values"] == [None, 0.25]
    assert any("non-finite" in w for w in out["warnings"])
    run = cli("jacobian", str(fn), "--at", "0,4", "--sparse", "-f", "json", "--allow-nonfinite")
    assert run.code == 0


def test_npz_and_mtx_round_trip(cli, tmp_path):
    x = np.random.default_rng(5).uniform(-1.0, 1.0, 500)
    np.save(tmp_path / "x.npy", x)
    for name in ("J.npz", "J.mtx"):
        target = tmp_path / name
        run = cli("jacobian", "samples/broyden.py", "--at", f"@{tmp_path / 'x.npy'}", "--sparse",
                  "--output", str(target))  # fmt: skip
        assert run.code == 0, run.stderr
        assert run.stdout == ""
        loaded = sp.load_npz(target) if name.endswith(".npz") else scipy.io.mmread(target)
        assert loaded.shape == (500, 500)
        assert abs(sp.csr_array(loaded) - broyden_entries(x)).max() <= 1e-14
    npz, mtx = sp.load_npz(tmp_path / "J.npz"), sp.csr_array(scipy.io.mmread(tmp_path / "J.mtx"))
    np.testing.assert_array_equal(npz.toarray(), mtx.toarray())  # Matrix Market loses no digit
    assert not list(tmp_path.glob(".jaccli-*"))


def test_explicit_zeros_keep_the_pattern_in_files(cli, tmp_path):
    """At x = 0.75 the diagonal 3 − 4x is zero, and stays a stored entry."""
    target = tmp_path / "J.npz"
    run = cli(
        "jacobian", "samples/broyden.py", "--at", "0.75,0.75,0.75", "--sparse", "-o", str(target)
    )
    assert run.code == 0, run.stderr
    assert sp.load_npz(target).nnz == 7


def test_csv_is_long_format(cli):
    run = cli("jacobian", "samples/broyden.py", "--at=-1,-1,-1", "--sparse", "-f", "csv")
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == "row,col,value"
    assert lines[1:4] == ["0,0,7.0", "0,1,-2.0", "1,0,-1.0"]
    assert len(lines) == 1 + 7


def test_small_table_shows_the_whole_matrix_with_structural_zeros(cli):
    run = cli("jacobian", "samples/broyden.py", "--at=-1,-1,-1,-1", "--sparse", "-f", "table")
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert "mode: forward — sparse: 3 column colours (forward)" in run.stdout
    assert "4 × 4 sparse matrix (outputs × inputs), 10 structural nonzeros (62.5%)" in run.stdout
    assert "colours: 3 column (forward), 3 row (reverse); used forward" in run.stdout
    assert lines[-4].split() == ["f[0]", "7", "-2", "·", "·"]
    assert lines[-1].split() == ["f[3]", "·", "·", "-1", "7"]


def test_big_table_has_a_picture_and_the_first_entries():
    x = np.linspace(-1.0, 1.0, 1000)
    text = render.render(jaccli.jacobian(broyden, x, sparse=True), "table")
    assert "1,000 × 1,000 sparse matrix" in text
    assert "sparsity (█ structural nonzero, · zero):" in text
    picture = [line for line in text.splitlines() if line and set(line) <= {"█", "·"}]
    assert len(picture) == render.PICTURE_HEIGHT
    assert picture[0].startswith("█") and picture[-1].endswith("█")
    assert all(1 <= line.count("█") <= 4 for line in picture)  # a band along the diagonal
    assert "first 12 of 2,998 entries:" in text
    rows = [line.split() for line in text.splitlines()]
    assert ["f[0]", "x[1]", "-2"] in rows and ["f[3]", "x[4]", "-2"] in rows


def test_entry_labels_follow_arguments_and_shapes():
    def fn(W, v):
        return (W**2).sum(axis=1) * v

    W, v = np.ones((40, 30)), np.ones(40)
    text = render.render(jaccli.jacobian(fn, W, v, sparse=True), "table")
    assert "W[0,0]" in text and "f[0]" in text
    result = jaccli.jacobian(fn, W, v, sparse=True)
    assert render.column_label(result.result, 1200) == "v[0]"
    assert render.column_label(result.result, 31) == "W[1,1]"


def test_npy_and_latex_are_refused_with_a_hint(cli):
    for fmt in ("npy", "latex"):
        run = cli("jacobian", "samples/broyden.py", "--at=-1,-1", "--sparse", "-f", fmt)
        assert run.code == 2
        assert run.stdout == ""
        assert "hint: write --output J.npz (SciPy sparse) or J.mtx" in run.stderr


def test_dense_results_also_write_matrix_market(cli):
    run = cli("jacobian", "samples/elementwise.py", "--at", "2,1", "-f", "mtx")
    assert run.code == 0, run.stderr
    matrix = scipy.io.mmread(io.BytesIO(run.stdout.encode()))
    np.testing.assert_allclose(matrix.toarray(), [[4.0, 0.0], [0.0, np.cos(1.0)]])


def test_info_reports_both_colour_counts(cli):
    run = cli("info", "samples/broyden.py", "--at=-1,-1,-1,-1,-1", "--sparse", "-f", "json")
    assert run.code == 0, run.stderr
    out = strict_json(run.stdout)
    assert out["sparsity"] == {
        "nnz": 13,
        "density": 13 / 25,
        "colors": {"forward": 3, "reverse": 3},
        "direction": "forward",
        "dense_operations": [],
    }
    assert out["mode"] == "forward" and out["mode_reason"].startswith("sparse: ")
    table = cli("info", "samples/broyden.py", "--at=-1,-1,-1,-1,-1", "--sparse", "-f", "table")
    assert "13 structural nonzeros (52%)" in table.stdout
    assert "forward 3 (columns), reverse 3 (rows)" in table.stdout
    plain = cli("info", "samples/broyden.py", "--at=-1,-1,-1,-1,-1", "-f", "json").json()
    assert "sparsity" not in plain


def test_info_of_a_dense_row_picks_reverse():
    info = jaccli.info(dense_row, np.ones(30), sparse=True)
    assert info.sparsity["colors"] == {"forward": 30, "reverse": 2}
    assert info.mode == "reverse"


def test_dense_operations_are_named_in_a_warning():
    result = jaccli.jacobian(lambda x: jnp.sort(x) * x, np.arange(5.0), sparse=True)
    assert result.extra["sparsity"]["dense_operations"] == ["sort"]
    assert any("treats sort as dense" in w for w in result.warnings)


# --- errors -----------------------------------------------------------------------------------


def test_complex_functions_are_refused(cli):
    run = cli("jacobian", "samples/complex_fn.py", "--at", "1+2j", "--sparse")
    assert run.code == 2
    assert "--sparse supports real functions only" in run.stderr


@pytest.mark.parametrize(
    ("extra", "option"),
    [
        (["--batch", "points.npy"], "--batch"),
        (["--at=-1,-1", "--check"], "--check"),
        (["--at=-1,-1", "--plot", "J.png"], "--plot"),
    ],
)
def test_options_that_do_not_combine_with_sparse(cli, extra, option):
    run = cli("jacobian", "samples/broyden.py", "--sparse", *extra)
    assert run.code == 2
    assert run.stdout == ""
    assert f"does not combine with {option}" in run.stderr


def test_size_guard_on_the_pattern_and_on_the_compressed_work(cli):
    """The dense --max-bytes check does not apply to --sparse; the pattern's does."""
    args = ("jacobian", "samples/broyden.py", "--at", "[" + ",".join(["1"] * 1000) + "]")
    dense = cli(*args, "--max-bytes", "100000")
    assert dense.code == 4
    sparse = cli(*args, "--sparse", "--max-bytes", "100000", "-f", "json")
    assert sparse.code == 0, sparse.stderr
    small = cli(*args, "--sparse", "--max-bytes", "50000")
    assert small.code == 4
    assert "sparsity pattern would hold" in small.stderr
    # A full row forces 1000 forward colours: 1000 × (n + m) numbers.
    with pytest.raises(ResourceError, match=r"compressed Jacobian \(1,000 JVPs"):
        jaccli.jacobian(dense_row, np.ones(1000), sparse=True, mode="fwd", max_bytes=10**6)
    assert jaccli.jacobian(dense_row, np.ones(1000), sparse=True, max_bytes=10**6).result.nnz


def test_untraceable_function_is_a_function_error(cli, tmp_path):
    fn = tmp_path / "branch.py"
    fn.write_text("def f(x):\n    return x * 2 if x[0] > 0 else x\n")
    run = cli("jacobian", str(fn), "--at", "1,2", "--sparse")
    assert run.code == 3
    assert "--sparse reads the pattern from the traced program" in run.stderr


def test_missing_scipy_is_a_clean_error(cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    run = cli("jacobian", "samples/broyden.py", "--at=-1,-1", "--sparse")
    assert run.code == 2
    assert "pip install 'jaccli[sparse]'" in run.stderr


def test_help_imports_neither_jax_nor_scipy():
    probe = (
        "import sys\n"
        "from jaccli._cli.cli import main\n"
        "try:\n"
        "    main(['jacobian', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(repr([m for m in ('jax', 'scipy') if m in sys.modules]))\n"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert run.stderr == "[]"
    assert "--sparse" in run.stdout


def test_result_record_round_trips_through_scipy():
    result = jaccli.jacobian(extended_rosenbrock, np.array([-1.2, 1.0, -1.2, 1.0]), sparse=True)
    assert isinstance(result.result, SparseJacobian)
    np.testing.assert_array_equal(
        result.result.to_scipy().toarray(),
        [[24.0, 10.0, 0, 0], [-1.0, 0, 0, 0], [0, 0, 24.0, 10.0], [0, 0, -1.0, 0]],
    )
