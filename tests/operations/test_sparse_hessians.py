"""Sparse Hessians (hessian --sparse) through the Python API and the command line: the values
against hand-derived Hessians and raw `jax.hessian`, their outputs, the check and info. The
patterns and colourings themselves: tests/derivatives/test_hessian_sparsity.py."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

import jaccli
from jaccli._derivatives import sparsity
from jaccli.errors import ResourceError, UsageError
from jaccli.results import SparseJacobian
from sparse_functions import HESSIANS

SAMPLE = "samples/sparse_hessians.py"


def strict_json(text):
    return json.loads(text, parse_constant=lambda name: pytest.fail(f"non-strict JSON {name}"))


# --- values through the API -----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HESSIANS))
def test_hand_derived_hessians_at_fifty_inputs(name):
    fn, hessian, colors = HESSIANS[name]
    x = np.random.default_rng(7).uniform(-1.5, 1.5, 50)
    result = jaccli.hessian(fn, x, sparse=True)
    assert isinstance(result.result, SparseJacobian)
    H = result.result.to_scipy()
    expected = hessian(x).toarray()
    np.testing.assert_allclose(H.toarray(), expected, rtol=1e-13, atol=1e-13)
    assert H.nnz == np.count_nonzero(expected)
    assert (H - H.T).count_nonzero() == 0  # exactly symmetric, not only close
    assert result.extra["sparsity"]["colors"] == colors
    assert result.mode == "forward-over-reverse"
    assert result.mode_reason.endswith(f"{colors} forward-over-reverse HVPs")
    assert "star colouring with direct recovery" in result.mode_reason
    np.testing.assert_allclose(result.value, fn(jnp.asarray(x)), rtol=1e-15)


@pytest.mark.parametrize("name", sorted(HESSIANS))
def test_hand_derived_hessians_at_a_hundred_thousand_inputs(name):
    fn, hessian, colors = HESSIANS[name]
    x = np.random.default_rng(11).uniform(-1.5, 1.5, 100_000)
    result = jaccli.hessian(fn, x, sparse=True)
    H = sp.csr_array(result.result.to_scipy())
    difference = H - hessian(x)
    assert difference.count_nonzero() == 0 or abs(difference).max() <= 1e-12 * abs(H).max()
    assert H.nnz == hessian(x).count_nonzero()
    assert result.extra["sparsity"]["colors"] == colors


def test_several_arguments_follow_the_flat_input_order():
    def fn(x, w):
        return jnp.sum(x**2 * w["a"]) + w["b"][0] * x[2] ** 3

    x, w = np.array([1.0, 2.0, 3.0]), {"a": np.array([0.5, 1.5, 2.5]), "b": np.array([2.0])}
    result = jaccli.hessian(fn, x, w, sparse=True)
    flat = jnp.concatenate([jnp.asarray(x), w["a"], w["b"]])

    def on_flat(v):
        return fn(v[:3], {"a": v[3:6], "b": v[6:]})

    np.testing.assert_allclose(
        result.result.to_scipy().toarray(), jax.jit(jax.hessian(on_flat))(flat), rtol=1e-14
    )
    assert [b[0] for b in result.result.blocks] == ["x", "w.a", "w.b"]


def test_a_function_with_a_dense_operation_is_still_right_and_says_so():
    def fn(x):
        return jnp.sum(jnp.sort(x[:4]) ** 3) + jnp.sum(x[4:] ** 2)

    x = np.array([0.3, -1.0, 2.0, 0.5, 1.0, 2.0])
    result = jaccli.hessian(fn, x, sparse=True)
    np.testing.assert_allclose(
        result.result.to_scipy().toarray(), jax.jit(jax.hessian(fn))(x), rtol=1e-14
    )
    assert result.extra["sparsity"]["dense_operations"] == ["sort"]
    assert any("treats sort as dense" in w for w in result.warnings)


def test_vector_valued_and_complex_functions_are_refused():
    with pytest.raises(UsageError, match="Hessian of a scalar function; this one has 3 outputs"):
        jaccli.hessian(lambda x: x**2, np.ones(3), sparse=True)
    with pytest.raises(UsageError, match="real functions only"):
        jaccli.hessian(lambda z: jnp.sum(z**2), np.ones(2) + 1j, sparse=True)


def test_size_guards_on_the_pattern_and_on_the_products():
    with pytest.raises(ResourceError, match="sparsity pattern would hold 90,000") as info:
        jaccli.hessian(lambda x: jnp.sum(x) ** 2, np.ones(300), sparse=True, max_bytes=10**5)
    assert info.value.hint.startswith("the Hessian is not sparse enough for sparse; use hvp")
    # A clique of 40 inputs among 2,000: a small pattern, but 40 products of 2,000 numbers.
    with pytest.raises(ResourceError, match=r"compressed Hessian \(40 HVPs over n=2,000\)"):
        jaccli.hessian(
            lambda x: jnp.sum(x[:40]) ** 2 + jnp.sum(x**2), np.ones(2000), sparse=True,
            max_bytes=100_000,
        )  # fmt: skip


def test_the_dense_size_guard_points_to_sparse():
    with pytest.raises(ResourceError) as info:
        jaccli.hessian(HESSIANS["chain"][0], np.ones(2000), max_bytes=10**6)
    assert "32,000,000 bytes" in info.value.message
    assert "sparse" in info.value.hint


# --- the command line -----------------------------------------------------------------------


def test_json_layout(cli):
    run = cli("hessian", f"{SAMPLE}:arrowhead", "--at", "1,2,3,4", "--sparse", "-f", "json")
    assert run.code == 0, run.stderr
    out = strict_json(run.stdout)
    assert out["result"] == {
        "format": "coo",
        "shape": [4, 4],
        "output_shape": [],
        "blocks": [{"name": "x", "shape": [4], "offset": 0}],
        "rows": [0, 0, 0, 0, 1, 1, 2, 2, 3, 3],
        "cols": [0, 1, 2, 3, 0, 1, 0, 2, 0, 3],
        "values": [14.0, 1.0, 1.0, 1.0, 1.0, 48.0, 1.0, 108.0, 1.0, 192.0],
    }
    assert out["value"] == 1 * 10 + 1 + 16 + 81 + 256
    assert out["sparsity"] == {
        "nnz": 10,
        "density": 10 / 16,
        "colors": 2,
        "method": "star",
        "recovery": "direct",
        "dense_operations": [],
    }


def test_npz_and_mtx_round_trip(cli, tmp_path):
    x = np.random.default_rng(2).uniform(-1.0, 1.0, 200)
    np.save(tmp_path / "x.npy", x)
    expected = HESSIANS["five-band"][1](x).toarray()
    for name in ("H.npz", "H.mtx"):
        target = tmp_path / name
        run = cli("hessian", f"{SAMPLE}:five_band", "--at", f"@{tmp_path / 'x.npy'}", "--sparse",
                  "--output", str(target))  # fmt: skip
        assert run.code == 0, run.stderr
        loaded = sp.load_npz(target) if name.endswith(".npz") else scipy.io.mmread(target)
        np.testing.assert_allclose(sp.csr_array(loaded).toarray(), expected, rtol=1e-14)
    header = (tmp_path / "H.mtx").read_text().splitlines()[:2]
    assert header[0] == "%%MatrixMarket matrix coordinate real symmetric"
    assert "rows and columns are the inputs" in header[1]


def test_tables_small_and_big(cli, tmp_path):
    run = cli("hessian", f"{SAMPLE}:chain", "--at", "1,1,1,1,1", "--sparse", "-f", "table")
    assert run.code == 0, run.stderr
    assert "5 × 5 sparse matrix (symmetric, inputs × inputs), 13 structural nonzeros" in run.stdout
    assert "colours: 3 (star, direct recovery)" in run.stdout
    assert "x[0]    10    -4     ·" in run.stdout
    np.save(tmp_path / "x.npy", np.ones(300))
    big = cli("hessian", f"{SAMPLE}:arrowhead", "--at", f"@{tmp_path / 'x.npy'}", "--sparse",
              "-f", "table")  # fmt: skip
    assert big.code == 0, big.stderr
    assert "sparsity (█ structural nonzero, · zero):" in big.stdout
    assert "first 12 of 898 entries:" in big.stdout
    assert big.stdout.split("first 12 of 898 entries:")[1].split()[3:6] == ["x[0]", "x[0]", "14"]
    assert "--output H.npz or H.mtx" in big.stdout


def test_check_compares_with_the_dense_hessian(cli):
    run = cli("hessian", f"{SAMPLE}:five_band", "--at", "1,2,3,4,5,6", "--sparse", "--check",
              "-f", "json")  # fmt: skip
    assert run.code == 0, run.stderr
    check = strict_json(run.stdout)["check"]
    assert check["passed"] and check["order"] == 2
    assert [r["name"] for r in check["references"]] == ["dense"]
    assert check["references"][0]["max_abs_err"] == 0.0


def test_check_catches_an_entry_the_pattern_left_out(cli, monkeypatch):
    def diagonal_only(fn, x, limit):
        return sparsity.Pattern(sp.csr_array(sp.eye(np.size(x), dtype=bool)))

    monkeypatch.setattr(sparsity, "hessian_pattern", diagonal_only)
    run = cli("hessian", f"{SAMPLE}:chain", "--at", "1,2,3", "--sparse", "--check", "-f", "json")
    assert run.code == 1
    reference = strict_json(run.stdout)["check"]["references"][0]
    # One colour for every input: each "diagonal" entry is its row's sum.
    assert not reference["passed"] and reference["max_abs_err"] > 1.0
    assert "the check failed: dense disagreed with AD" in run.stderr


def test_info_adds_the_hessian_sparsity_of_a_scalar_function(cli):
    run = cli("info", f"{SAMPLE}:arrowhead", "--at", "1,2,3,4,5", "--sparse", "-f", "json")
    assert run.code == 0, run.stderr
    out = strict_json(run.stdout)
    assert out["hessian_sparsity"] == {
        "nnz": 13,
        "density": 13 / 25,
        "colors": 2,
        "method": "star",
        "recovery": "direct",
        "dense_operations": [],
    }
    table = cli("info", f"{SAMPLE}:arrowhead", "--at", "1,2,3,4,5", "--sparse", "-f", "table")
    assert "Hessian sparsity  13 structural nonzeros (52%), 2 colours" in table.stdout
    vector = cli("info", "samples/broyden.py", "--at=-1,-1,-1", "--sparse", "-f", "json")
    assert "hessian_sparsity" not in strict_json(vector.stdout)


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--batch", "points.npy"], "does not combine with --batch"),
        (["--at", "1,2", "--check", "--against", "fd"], "does not combine with --against"),
        (["--at", "1,2"], "computes the Hessian of a scalar function; this one has 2 outputs"),
    ],
)
def test_refusals(cli, extra, message):
    function = "samples/broyden.py" if "--check" not in extra else f"{SAMPLE}:chain"
    function = f"{SAMPLE}:chain" if "--batch" in extra else function
    run = cli("hessian", function, "--sparse", *extra)
    assert run.code == 2
    assert run.stdout == ""
    assert message in run.stderr
