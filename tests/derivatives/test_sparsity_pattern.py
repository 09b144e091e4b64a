"""Sparsity patterns read from the traced program, and their colourings, against independent
truth: hand-derived patterns and the nonzeros of raw `jax.jacfwd`."""

from __future__ import annotations

import time

import jax
import jax.extend.core
import jax.numpy as jnp
import numpy as np
import pytest

from jaccli._derivatives import coloring, sparsity
from sparse_functions import (
    COVERAGE,
    broyden,
    dense_column,
    dense_row,
    extended_rosenbrock,
    seven_band,
    truth,
)

# --- test functions with known patterns -----------------------------------------------------


def broyden_by_concatenation(x):
    left = jnp.concatenate([jnp.zeros(1), x[:-1]])
    right = jnp.concatenate([x[1:], jnp.zeros(1)])
    return (3.0 - 2.0 * x) * x - left - 2.0 * right + 1.0


def band(n, lower, upper):
    return np.triu(np.tril(np.ones((n, n), dtype=bool), upper), -lower)


def pattern_of(fn, n, seed=0):
    x = np.random.default_rng(seed).uniform(0.5, 1.5, n)
    return sparsity.jacobian_pattern(fn, x).matrix.toarray()


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


def assert_column_coloring(P, colors):
    """An independent check: columns of one colour never share a row; every used column has
    a colour."""
    for color in range(colors.max(initial=-1) + 1):
        assert P[:, colors == color].sum(axis=1).max() <= 1, f"colour {color} shares a row"
    assert (colors[P.any(axis=0)] >= 0).all()


def column_greedy(P, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(coloring, "band_colors", lambda *args: None)
        return coloring.color_columns(P)


def test_banded_jacobians_take_no_more_colours_than_the_greedy(monkeypatch):
    rng = np.random.default_rng(3)
    real, taken = coloring.band_colors, []

    def recorded(*args):
        colors = real(*args)
        taken.append(colors is not None)
        return colors

    for _ in range(80):
        m, n = int(rng.integers(1, 40)), int(rng.integers(1, 40))
        lower, upper = int(rng.integers(0, 4)), int(rng.integers(0, 4))
        offsets = np.subtract.outer(np.arange(n), np.arange(m)).T  # column - row
        keep = rng.uniform(size=(m, n)) < rng.uniform(0.4, 1)
        P = (offsets >= -lower) & (offsets <= upper) & keep
        monkeypatch.setattr(coloring, "band_colors", recorded)
        got = coloring.color_columns(P)
        assert_column_coloring(P, got.colors)
        assert got.count <= column_greedy(P, monkeypatch).count
    assert sum(taken) > 10  # both paths were tried
    assert not all(taken)


def test_a_long_banded_jacobian_is_coloured_without_the_loop(monkeypatch):
    n = 100_000
    P = sparsity.jacobian_pattern(seven_band, np.ones(n)).matrix
    loops = []
    real = coloring.greedy_columns

    def counted(graph, used):
        loops.append(graph.shape[0])
        return real(graph, used)

    monkeypatch.setattr(coloring, "greedy_columns", counted)
    plan = coloring.plan(P)
    assert (plan.forward.count, plan.reverse.count) == (7, 7)
    assert plan.forward.colors[:9].tolist() == [0, 1, 2, 3, 4, 5, 6, 0, 1]
    assert max(loops) < 100  # only the prefix that shows the band needs 7 colours


def test_a_pattern_too_costly_to_colour_gets_a_colour_per_line(monkeypatch):
    monkeypatch.setattr(coloring, "MAX_COLORING_WORK", 1000)
    plan = plan_of(dense_row, 100)
    assert not plan.forward.greedy and plan.forward.count == 100
    assert plan.reverse.greedy and plan.reverse.count == 2
    assert plan.chosen.direction == "reverse"
    assert "too costly to colour" in plan.reason
