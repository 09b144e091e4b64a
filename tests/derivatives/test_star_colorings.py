"""Star colourings, greedy and banded, checked by an independent checker (proper, and no path
on four vertices in two colours), against the greedy's colour count, and by exact recovery of
random symmetric matrices with those patterns."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from jaccli._derivatives import star_coloring
from sparse_functions import recovered


def assert_star_coloring(P, coloring):
    """Every input with an entry has a colour in 0..count-1 (others -1), no edge joins two
    inputs of one colour, and no path x-v-w-y has x coloured like w and y like v."""
    P = np.asarray(P, dtype=bool)
    used = P.any(axis=0) | P.any(axis=1)
    colors = coloring.colors
    assert colors.shape == (P.shape[0],)
    assert (colors[~used] == -1).all()
    assert sorted(set(colors[used].tolist())) == list(range(coloring.count))
    edges = P & ~np.eye(P.shape[0], dtype=bool)
    same = colors[:, None] == colors[None, :]
    assert not (edges & same).any(), "two neighbours share a colour"
    for v, w in np.argwhere(edges):
        x = edges[v] & (colors == colors[w])
        x[w] = False
        y = edges[w] & (colors == colors[v])
        y[v] = False
        assert not (x.any() and y.any()), f"a two-coloured path through {v}-{w}"


def greedy(P, monkeypatch):
    """The greedy colouring alone, with the banded one turned off."""
    with monkeypatch.context() as patched:
        patched.setattr(star_coloring, "band_coloring", lambda graph, used: None)
        return star_coloring.star_color(sp.csr_array(P))


def band(n, width, rng=None, keep=1.0):
    """A symmetric pattern of bandwidth ``width``: the full band, or each pair kept with
    probability ``keep``."""
    offsets = np.subtract.outer(np.arange(n), np.arange(n))
    P = np.abs(offsets) <= width
    if rng is not None:
        upper = np.triu(P & (rng.uniform(size=(n, n)) < keep), 1)
        P = upper | upper.T | (np.eye(n, dtype=bool) & (rng.uniform(size=n) < 0.7)[:, None])
    return P


def test_the_checker_refuses_what_is_not_a_star_colouring():
    path = band(4, 1)
    bicoloured = star_coloring.StarColoring(np.array([0, 1, 0, 1]), 2)
    with pytest.raises(AssertionError, match="two-coloured path"):
        assert_star_coloring(path, bicoloured)
    with pytest.raises(AssertionError, match="share a colour"):
        assert_star_coloring(path, star_coloring.StarColoring(np.array([0, 0, 1, 2]), 3))


@pytest.mark.parametrize("width", range(7))
def test_a_full_band_takes_as_many_colours_as_the_greedy_and_no_loop(width, monkeypatch):
    for n in (1, 2, 2 * width + 1, 2 * width + 2, 3 * width + 5, 60):
        P = band(n, width)
        coloring = star_coloring.star_color(sp.csr_array(P))
        assert_star_coloring(P, coloring)
        assert coloring.count == greedy(P, monkeypatch).count
    graph = sp.csr_array(band(60, width) & ~np.eye(60, dtype=bool))
    banded = star_coloring.band_coloring(graph, np.ones(60, dtype=bool))
    assert banded is not None and banded.count == 2 * width + 1
    assert banded.colors.tolist() == (np.arange(60) % (2 * width + 1)).tolist()


def test_a_band_with_holes_never_takes_more_colours_than_the_greedy(monkeypatch):
    rng = np.random.default_rng(0)
    taken = 0
    for _ in range(60):
        n, width = int(rng.integers(5, 50)), int(rng.integers(1, 4))
        P = band(n, width, rng, keep=rng.uniform(0.3, 1.0))
        coloring = star_coloring.star_color(sp.csr_array(P))
        assert_star_coloring(P, coloring)
        assert coloring.count <= greedy(P, monkeypatch).count
        graph = sp.csr_array(P & ~np.eye(n, dtype=bool))
        taken += star_coloring.band_coloring(graph, P.any(axis=0)) is not None
    assert taken > 10  # both paths were tried


def test_random_patterns_get_star_colourings():
    rng = np.random.default_rng(1)
    for _ in range(60):
        n = int(rng.integers(1, 40))
        A = sp.random(n, n, density=rng.uniform(0.02, 0.3), random_state=rng).toarray() != 0
        P = A | A.T
        assert_star_coloring(P, star_coloring.star_color(sp.csr_array(P)))


def test_banded_matrices_are_recovered_exactly():
    rng = np.random.default_rng(2)
    for width in range(5):
        n = 40
        P = band(n, width, rng, keep=1.0 if width % 2 else 0.8)
        H = np.where(P, rng.normal(size=(n, n)), 0.0)
        H = np.triu(H) + np.triu(H, 1).T
        coloring = star_coloring.star_color(sp.csr_array(H != 0))
        out = recovered(H, coloring)
        np.testing.assert_array_equal(out, H)
        np.testing.assert_array_equal(out, out.T)


def test_a_long_tridiagonal_pattern_takes_three_colours_without_the_loop(monkeypatch):
    # So little work allowed that the greedy loop over every input would give up.
    monkeypatch.setattr(star_coloring, "MAX_STAR_WORK", 1_000)
    n = 100_000
    pattern = sp.diags_array([np.ones(n - 1), np.ones(n), np.ones(n - 1)], offsets=[-1, 0, 1])
    assert not greedy(pattern, monkeypatch).greedy
    coloring = star_coloring.star_color(pattern)
    assert coloring.greedy and coloring.count == 3
    assert coloring.colors[:6].tolist() == [0, 1, 2, 0, 1, 2]
