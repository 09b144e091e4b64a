"""Hessian sparsity patterns read from the traced program, and their star colourings, against
independent truth: hand-derived Hessians and the nonzeros of raw `jax.hessian`."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.sparse as sp

from jaccli._derivatives import sparsity, star_coloring
from sparse_functions import COVERAGE, HESSIANS, recovered


def hessian_pattern(fn, n, seed=0):
    x = np.random.default_rng(seed).uniform(0.5, 1.5, n)
    return sparsity.hessian_pattern(fn, x)


def nonzeros(fn, n, seed=1):
    """Where raw `jax.hessian` is nonzero at a random point."""
    x = jnp.asarray(np.random.default_rng(seed).uniform(0.5, 1.5, n))
    return np.asarray(jax.jit(jax.hessian(lambda v: jnp.reshape(fn(v), ())))(x)) != 0


# --- patterns -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(HESSIANS))
def test_patterns_of_the_hand_derived_hessians_are_exact(name):
    fn, hessian, _ = HESSIANS[name]
    x = np.random.default_rng(3).uniform(0.5, 1.5, 50)
    pattern = sparsity.hessian_pattern(fn, x)
    np.testing.assert_array_equal(pattern.matrix.toarray(), hessian(x).toarray() != 0)
    assert pattern.dense_operations == ()


def test_linear_terms_add_nothing():
    c = np.arange(1.0, 7.0)
    pattern = hessian_pattern(lambda x: c @ x + jnp.sum(x[2:4]) + x[0] * x[5] - x[1], 6)
    expected = np.zeros((6, 6), dtype=bool)
    expected[0, 5] = expected[5, 0] = True
    np.testing.assert_array_equal(pattern.matrix.toarray(), expected)


def test_products_quotients_and_powers():
    def fn(x):
        return x[0] * x[1] + x[2] / x[3] + 2.0 / x[4] + x[5] / 3.0 + x[6] ** 3

    pattern = hessian_pattern(fn, 7).matrix.toarray()
    expected = np.zeros((7, 7), dtype=bool)
    for i, j in [(0, 1), (2, 3), (3, 3), (4, 4), (6, 6)]:
        expected[i, j] = expected[j, i] = True
    np.testing.assert_array_equal(pattern, expected)


def test_a_quadratic_form_with_a_constant_sparse_matrix():
    A = np.diag(np.arange(1.0, 9.0)) + np.eye(8, k=3)
    pattern = hessian_pattern(lambda x: x @ A @ x, 8).matrix.toarray()
    np.testing.assert_array_equal(pattern, (A + A.T) != 0)


def test_a_product_of_matrices_that_both_depend_on_x():
    # f = Σ (X Y)_ij with X = x[:6] as 2×3 and Y = x[6:] as 3×2: X_ik meets Y_kj for every k.
    def fn(x):
        return jnp.sum(x[:6].reshape(2, 3) @ x[6:].reshape(3, 2))

    pattern = hessian_pattern(fn, 12).matrix.toarray()
    np.testing.assert_array_equal(pattern, nonzeros(fn, 12))


def test_an_unknown_operation_makes_a_dense_block_and_is_named():
    def fn(x):
        return jnp.sum(jnp.sort(x[:4]) * jnp.arange(4.0)) + jnp.sum(x[4:] ** 2)

    pattern = hessian_pattern(fn, 8)
    assert pattern.dense_operations == ("sort",)
    expected = np.zeros((8, 8), dtype=bool)
    expected[:4, :4] = True
    expected[np.arange(4, 8), np.arange(4, 8)] = True
    np.testing.assert_array_equal(pattern.matrix.toarray(), expected)


def test_a_loop_is_dense_over_what_it_reads():
    def fn(x):
        carry, _ = jax.lax.scan(lambda c, v: (c * v, None), 1.0, x[:3])
        return carry + jnp.sum(x[3:] ** 2)

    pattern = hessian_pattern(fn, 6)
    assert "scan" in pattern.dense_operations
    assert pattern.matrix.toarray()[:3, :3].all()
    assert not pattern.matrix.toarray()[:3, 3:].any()


@pytest.mark.parametrize("name", sorted(COVERAGE))
def test_the_pattern_holds_every_nonzero_of_the_hessian(name):
    # Σ sin(F) has both parts of the chain rule: cos(F)·F'' and -sin(F)·F'F'ᵀ.
    fn = lambda x, inner=COVERAGE[name]: jnp.sum(jnp.sin(inner(x)))  # noqa: E731
    pattern = hessian_pattern(fn, 12).matrix.toarray()
    missing = nonzeros(fn, 12) & ~pattern
    assert not missing.any(), np.argwhere(missing)
    np.testing.assert_array_equal(pattern, pattern.T)


def test_the_pattern_is_tight_where_the_hessian_has_no_cancellation():
    for name in ["broadcasting", "matrix product", "constant sparse matrix", "strided slice"]:
        fn = lambda x, inner=COVERAGE[name]: jnp.sum(jnp.sin(inner(x)))  # noqa: E731
        np.testing.assert_array_equal(hessian_pattern(fn, 12).matrix.toarray(), nonzeros(fn, 12))


def test_a_custom_rule_counts_as_nonlinear_in_what_its_results_depend_on():
    # relu is piecewise linear, but its rule is the user's: its inputs' diagonal is kept.
    pattern = hessian_pattern(lambda x: jnp.sum(jax.nn.relu(x[:3]) * x[3:]), 6).matrix.toarray()
    expected = np.zeros((6, 6), dtype=bool)
    expected[np.arange(3), np.arange(3)] = True
    expected[np.arange(3), np.arange(3, 6)] = expected[np.arange(3, 6), np.arange(3)] = True
    np.testing.assert_array_equal(pattern, expected)


def test_the_entry_limit_stops_a_dense_hessian():
    with pytest.raises(sparsity.PatternTooLarge):
        sparsity.hessian_pattern(lambda x: jnp.sum(x) ** 2, np.ones(100), max_entries=5_000)


# --- star colouring -------------------------------------------------------------------------


def test_random_symmetric_matrices_are_recovered_exactly():
    rng = np.random.default_rng(0)
    for _ in range(150):
        n = int(rng.integers(1, 30))
        A = sp.random(n, n, density=rng.uniform(0.02, 0.4), random_state=rng).toarray()
        H = A + A.T + np.diag(rng.normal(size=n)) * (rng.uniform() < 0.5)
        coloring = star_coloring.star_color(sp.csr_array(H != 0))
        out = recovered(H, coloring)
        np.testing.assert_array_equal(out, H)
        np.testing.assert_array_equal(out, out.T)


@pytest.mark.parametrize("hub", [0, 25, 49])
def test_an_arrowhead_takes_two_colours_wherever_its_hub_is(hub):
    P = np.eye(50, dtype=bool)
    P[hub, :] = P[:, hub] = True
    coloring = star_coloring.star_color(sp.csr_array(P))
    assert coloring.count == 2
    assert coloring.colors[hub] not in np.delete(coloring.colors, hub)


@pytest.mark.parametrize("name", sorted(HESSIANS))
def test_colour_counts_of_the_hand_derived_hessians(name):
    _, hessian, colors = HESSIANS[name]
    H = hessian(np.random.default_rng(5).uniform(0.5, 1.5, 50)).toarray()
    coloring = star_coloring.star_color(sp.csr_array(H != 0))
    assert coloring.count == colors
    np.testing.assert_array_equal(recovered(H, coloring), H)


def test_inputs_with_no_entry_get_no_colour():
    P = np.zeros((4, 4), dtype=bool)
    P[1, 1] = P[2, 3] = P[3, 2] = True
    coloring = star_coloring.star_color(sp.csr_array(P))
    assert coloring.colors.tolist() == [-1, 0, 0, 1]


def test_too_costly_a_pattern_gets_one_colour_per_input(monkeypatch):
    monkeypatch.setattr(star_coloring, "MAX_STAR_WORK", 10)
    path = np.eye(30, dtype=bool) | np.eye(30, k=1, dtype=bool) | np.eye(30, k=-1, dtype=bool)
    coloring = star_coloring.star_color(sp.csr_array(path))
    assert not coloring.greedy and coloring.count == 30
    assert sorted(coloring.colors.tolist()) == list(range(30))
