"""Sparse Jacobians (--sparse) through the Python API and the command line: the compressed
products and their outputs, each against independent truth (hand-derived Jacobians and raw
`jax.jacfwd`). The patterns and colourings themselves: tests/derivatives/test_sparsity_pattern.py."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time

import jax.numpy as jnp
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import jaccli
from jaccli import _render as render
from jaccli.errors import ResourceError
from jaccli.results import SparseJacobian
from sparse_functions import (
    COVERAGE,
    broyden,
    dense_column,
    dense_row,
    extended_rosenbrock,
    seven_band,
    truth,
)

# --- patterns through the API -------------------------------------------------------------


def test_unused_inputs_and_constant_outputs_have_no_entries():
    result = jaccli.jacobian(lambda x: jnp.ones(3) + x[0] * 0.0, np.ones(4), sparse=True)
    assert result.extra["sparsity"]["colors"] == {"forward": 1, "reverse": 3}
    np.testing.assert_array_equal(result.result.cols, [0, 0, 0])
    empty = jaccli.jacobian(lambda x: jnp.ones(3), np.ones(4), sparse=True)
    assert empty.result.nnz == 0
    assert empty.extra["sparsity"]["colors"] == {"forward": 0, "reverse": 0}
    np.testing.assert_array_equal(empty.value, np.ones(3))


# --- values against raw jax.jacfwd --------------------------------------------------------


ALL_FUNCTIONS = [broyden, seven_band, extended_rosenbrock, dense_row, dense_column]


@pytest.mark.parametrize("mode", ["auto", "fwd", "rev"])
@pytest.mark.parametrize("fn", ALL_FUNCTIONS + [COVERAGE[k] for k in sorted(COVERAGE)])
def test_values_equal_the_dense_jacobian(fn, mode):
    n = 120 if fn in ALL_FUNCTIONS else 12
    x = np.random.default_rng(3).uniform(0.3, 1.7, n)
    result = jaccli.jacobian(fn, x, sparse=True, mode=mode)
    np.testing.assert_allclose(result.result.toarray(), truth(fn, x), rtol=1e-13, atol=1e-13)
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
    np.testing.assert_allclose(sparse.result.toarray(), flat, rtol=1e-14)
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
    assert sparse.result.toarray()[row, col] == pytest.approx(expected, rel=1e-14)


def test_float32_values():
    x = np.linspace(0.1, 1.0, 30)
    result = jaccli.jacobian(broyden, x, sparse=True, dtype="float32")
    assert result.result.values.dtype == np.float32
    np.testing.assert_allclose(result.result.toarray(), truth(broyden, x), rtol=1e-6, atol=1e-6)


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


def test_sparse_jacobians_need_no_scipy(cli, monkeypatch, tmp_path):
    for name in ("scipy", "scipy.sparse", "scipy.io"):
        monkeypatch.setitem(sys.modules, name, None)
    target = tmp_path / "J.npz"
    run = cli("jacobian", "samples/broyden.py", "--at=-1,-1,-1", "--sparse", "-o", str(target))
    assert run.code == 0, run.stderr
    loaded = sp.load_npz(target)
    assert isinstance(loaded, sp.csr_array)
    np.testing.assert_array_equal(loaded.toarray(), broyden_entries(-np.ones(3)).toarray())


def test_matrix_market_without_scipy_is_a_clean_error(cli, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "scipy.io", None)
    target = tmp_path / "J.mtx"
    run = cli("jacobian", "samples/broyden.py", "--at=-1,-1", "--sparse", "-o", str(target))
    assert run.code == 2
    assert "Matrix Market (.mtx) output needs SciPy" in run.stderr
    assert "pip install 'jaccli[sparse]'" in run.stderr
    assert not target.exists()


def test_help_imports_neither_jax_nor_scipy():
    probe = (
        "import sys\n"
        "from jaccli._cli import main\n"
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


def test_the_result_record_is_dense_on_request_without_scipy(monkeypatch):
    monkeypatch.setitem(sys.modules, "scipy.sparse", None)
    result = jaccli.jacobian(lambda x: x[1:] * x[:-1], [1.0, 2.0, 3.0], sparse=True).result
    np.testing.assert_array_equal(result.toarray(), [[2.0, 1.0, 0.0], [0.0, 3.0, 2.0]])
    with pytest.raises(ImportError):
        result.to_scipy()
