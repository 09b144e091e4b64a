"""Symmetric colouring of a Hessian's pattern: a star colouring, and one HVP per colour.

A Hessian is symmetric, so ``H[i, j]`` need only be read once: from the product with the seed
of ``j``'s colour (in row ``i``), or from the product with the seed of ``i``'s colour (in row
``j``). A *star colouring* of the pattern's graph (vertices: the inputs; an edge where
``H[i, j]`` may be nonzero, ``i ≠ j``) is a proper colouring in which every path on four
vertices uses at least three colours. Then for every edge ``(i, j)``, ``j`` is the only
neighbour of ``i`` with ``j``'s colour, or ``i`` the only neighbour of ``j`` with ``i``'s: the
entry is read directly, undisturbed, from one product (Gebremedhin, Manne and Pothen, "What
color is your Jacobian?", SIAM Review 2005). Direct recovery is chosen over an acyclic
colouring with substitution (fewer colours at times) because each entry is then one product's
entry, with no error propagated along a chain of substitutions.

Colouring the columns of the gradient's Jacobian instead would forbid any two columns sharing a
row the same colour: an arrowhead (one dense row and column) would need ``n`` colours, while a
star colouring needs 2 (the hub, and every other input).

The colouring is greedy in natural order: a tridiagonal pattern gets 3 colours. Each vertex
takes the smallest colour that no neighbour has and that closes no two-coloured path on four
vertices; the counts of each colour around every vertex make that check cost about the
vertex's degree times the number of colours, not its neighbourhood's size. A banded pattern
(bandwidth ``b``) whose greedy colouring needs ``2b + 1`` colours is coloured ``i mod (2b + 1)``
instead, without the loop over its vertices (`band_coloring`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import csr
from .coloring import band_colors, seeds

# Beyond this much bookkeeping, colouring stops and every vertex gets its own colour (only
# patterns that need very many colours get there).
MAX_STAR_WORK = 50_000_000


@dataclass(frozen=True)
class StarColoring:
    """A star colouring of a symmetric pattern: ``colors[i]`` is input ``i``'s colour (-1 for
    an input with no entry); ``greedy`` is False when every input got its own colour."""

    colors: np.ndarray
    count: int
    greedy: bool = True


def star_color(pattern: Any) -> StarColoring:
    """A star colouring of a symmetric ``(n, n)`` pattern (the diagonal is ignored): greedy, or
    `band_coloring` where that takes as few colours.

    >>> arrow = np.eye(6); arrow[0, :] = arrow[:, 0] = 1
    >>> star_color(arrow).colors.tolist()
    [0, 1, 1, 1, 1, 1]
    >>> path = np.eye(6) + np.eye(6, k=1) + np.eye(6, k=-1)
    >>> star_color(path).colors.tolist()
    [0, 1, 2, 0, 1, 2]
    """
    pattern = csr.as_csr(pattern)
    n = pattern.shape[0]
    used = (pattern.lengths() > 0) | (np.bincount(pattern.indices, minlength=n) > 0)
    graph = pattern.off_diagonal()
    banded = band_coloring(graph, used)
    if banded is not None:
        return banded
    indptr, indices = graph.indptr.tolist(), graph.indices.tolist()
    colors = _greedy_star(indptr, indices, np.flatnonzero(used), n, MAX_STAR_WORK)
    if colors is None:
        colors = np.where(used, np.cumsum(used) - 1, -1)
        return StarColoring(colors, int(used.sum()), greedy=False)
    return StarColoring(colors, int(colors.max(initial=-1)) + 1)


def band_coloring(graph: Any, used: np.ndarray) -> StarColoring | None:
    """The colouring ``i mod (2b + 1)`` of a graph of bandwidth ``b`` (`coloring.band_colors`:
    inputs ``2b + 1`` apart are more than two edges apart, so the first three vertices of any
    path on four have three colours), where the greedy star colouring needs as many; else
    None."""
    graph = csr.as_csr(graph)

    def greedy(size: int) -> np.ndarray | None:
        head = graph.leading(size)
        order, indptr, indices = np.flatnonzero(used[:size]), head.indptr, head.indices
        # A tenth of the budget: a wide band that gives up here costs the greedy colouring
        # little.
        return _greedy_star(indptr.tolist(), indices.tolist(), order, size, MAX_STAR_WORK // 10)

    period = 2 * int(np.abs(graph.rows() - graph.indices).max(initial=0)) + 1
    colors = band_colors(used, period, greedy)
    return None if colors is None else StarColoring(colors, int(colors.max(initial=-1)) + 1)


def _greedy_star(
    indptr: list[int], indices: list[int], order: np.ndarray, n: int, budget: int
) -> np.ndarray | None:
    """The colours, vertex by vertex in ``order``; None past ``budget`` units of work.

    Each vertex takes the smallest colour that no coloured neighbour has and that closes no
    two-coloured path on four vertices: neither ``v-w-x-y`` (``x`` coloured like ``v``, ``y``
    like ``w``) nor ``y-v-w-x`` (``y`` like ``w``, ``x`` like ``v``). ``around[x]`` counts
    the colours of ``x``'s coloured neighbours; ``ends[w]`` holds the colours of ``w``'s
    neighbours ``x`` that have two neighbours of ``w``'s colour (a new neighbour of ``w``
    coloured like such an ``x`` would close ``v-w-x-y``).
    """
    colors = [-1] * n
    # Made on first use: most vertices of a big pattern never need an `ends` set.
    around: list[dict[int, int] | None] = [None] * n
    ends: dict[int, set[int]] = {}
    none: set[int] = set()
    work = 0
    for v in order.tolist():
        near = indices[indptr[v] : indptr[v + 1]]
        counts = around[v] or {}
        forbidden: set[int] = set()
        for w in near:
            cw = colors[w]
            if cw < 0:
                continue
            forbidden.add(cw)
            closing = ends.get(w, none)
            if closing:
                forbidden |= closing
                work += len(closing)
            others = around[w]
            if others and counts[cw] >= 2:
                forbidden |= others.keys()
                work += len(others)
        c = 0
        while c in forbidden:
            c += 1
        colors[v] = c
        for x in near:
            seen = around[x]
            if seen is None:
                seen = around[x] = {}
            k = seen.get(c, 0) + 1
            seen[c] = k
            cx = colors[x]
            if cx < 0:
                continue
            if k == 2:
                for w in indices[indptr[x] : indptr[x + 1]]:
                    if colors[w] == c:
                        ends.setdefault(w, set()).add(cx)
                work += indptr[x + 1] - indptr[x]
            elif k > 2:
                ends.setdefault(v, set()).add(cx)
            if counts.get(cx, 0) >= 2:
                ends.setdefault(x, set()).add(c)
        if work > budget:
            return None
    return np.asarray(colors, dtype=np.int64)


def compressed_hessian(
    fn: Callable[[Any], Any], x: Any, coloring: StarColoring, inner: str = "reverse"
) -> Any:
    """The value ``fn(x)`` and the compressed Hessian ``(H·S)ᵀ`` as ``(colours, n)``: one
    forward-over-reverse HVP per colour, vmapped in one compiled call (``fn`` returns one
    number, of any shape of size 1). ``inner="forward"`` takes the gradient inside each HVP in
    forward mode, for a function that reverse mode cannot differentiate."""
    import jax
    import jax.numpy as jnp

    count = coloring.count

    def scalar(q: Any) -> Any:
        return jnp.reshape(fn(q), ())

    def forward_gradient(q: Any) -> Any:
        g, value = jax.jacfwd(lambda r: (scalar(r), scalar(r)), has_aux=True)(q)
        return value, g

    gradient = jax.value_and_grad(scalar) if inner == "reverse" else forward_gradient

    def products(p: Any, colors: Any) -> Any:
        (value, _), linear = jax.linearize(gradient, p)
        return value, jax.vmap(lambda s: linear(s)[1])(seeds(colors, count, p.dtype))

    # The colours go in as NumPy: `jnp.asarray` would compile a program of its own to copy them.
    return jax.jit(products)(x, coloring.colors)


def recover(pattern: Any, coloring: StarColoring, compressed: Any) -> tuple[np.ndarray, ...]:
    """The Hessian's entries in the pattern as COO triplets ``(rows, cols, values)``, row-major:
    ``H[i, j]`` (``i < j``) from row ``i`` of ``j``'s colour where ``j`` is the only neighbour
    of ``i`` with that colour, else from row ``j`` of ``i``'s colour; ``H[j, i]`` is the same
    number, so the result is exactly symmetric."""
    pattern = csr.as_csr(pattern)
    rows, cols = pattern.rows(), pattern.indices
    compressed = np.asarray(compressed)
    colors = coloring.colors
    low, high = np.minimum(rows, cols), np.maximum(rows, cols)
    # How many neighbours of each row have each colour (the diagonal is not a neighbour): as
    # many counts as the compressed Hessian has numbers.
    off = rows != cols
    count, n = coloring.count, pattern.shape[0]
    around = np.bincount(rows[off] * count + colors[cols[off]], minlength=n * count)
    alone = around[low * count + colors[high]] == 1
    values = np.where(alone | ~off, compressed[colors[high], low], compressed[colors[low], high])
    return rows, cols, values
