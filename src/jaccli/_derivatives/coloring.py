"""Colouring a sparsity pattern, and the compressed Jacobian: one JVP or VJP per colour.

Columns that never share a row can be pushed forward together: one JVP with the sum of their unit
vectors as tangent gives each of their entries, undisturbed (Curtis, Powell and Reid). Likewise
rows that never share a column can be pulled back together with one VJP. So a column colouring
(forward mode) or a row colouring (reverse mode) of the pattern needs as many products as colours;
the direction with fewer colours is used, forward on a tie (a JVP is cheaper than a VJP).

The colouring is greedy, in natural order, which is optimal for banded patterns (a tridiagonal
pattern gets 3 colours, a 7-band one 7). It is written here rather than taken from networkx
(not a jaccli dependency) because the greedy step is a few lines over the pattern's CSR arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import csr

# Colouring a direction walks every pair of entries that share a row (forward) or a column
# (reverse); beyond this many pairs that direction is left uncoloured (one colour per column or
# row), which happens only when some rows (columns) are long, so it needs many colours anyway.
MAX_COLORING_WORK = 20_000_000

# A banded graph's colouring is checked against the greedy one on this many times its period.
BAND_PREFIX = 4

DIRECTIONS = {
    "auto": "auto",
    "fwd": "forward",
    "forward": "forward",
    "rev": "reverse",
    "reverse": "reverse",
}


@dataclass(frozen=True)
class Coloring:
    """A colouring of the columns (``forward``) or rows (``reverse``) of a pattern.

    ``colors[k]`` is the colour of column (row) ``k``, -1 for one with no entries; lines of one
    colour share no row (column). ``greedy`` is False when the pattern was too costly to colour
    and every nonempty line got its own colour.
    """

    direction: str
    colors: np.ndarray
    count: int
    greedy: bool = True

    @property
    def lines(self) -> str:
        return "column" if self.direction == "forward" else "row"

    @property
    def products(self) -> str:
        return "JVP" if self.direction == "forward" else "VJP"


@dataclass(frozen=True)
class Plan:
    """Both colourings, the one chosen and why."""

    forward: Coloring
    reverse: Coloring
    chosen: Coloring
    reason: str


def color_columns(pattern: Any, direction: str = "forward") -> Coloring:
    """Greedy colouring of the columns of ``pattern`` (an ``(m, n)`` matrix, see `csr.as_csr`):
    columns that share a row get different colours; `band_colors` where that takes as few.

    >>> tridiagonal = np.eye(6) + np.eye(6, k=1) + np.eye(6, k=-1)
    >>> color_columns(tridiagonal).colors.tolist()
    [0, 1, 2, 0, 1, 2]
    """
    pattern = csr.as_csr(pattern)
    n = pattern.shape[1]
    used = np.bincount(pattern.indices, minlength=n) > 0
    lengths = pattern.lengths()
    work = int(np.sum(lengths**2))
    if work > MAX_COLORING_WORK:
        colors = np.where(used, np.cumsum(used) - 1, -1)
        return Coloring(direction, colors, int(used.sum()), greedy=False)
    # Columns j and k conflict when some row holds both: the column-intersection graph PᵀP,
    # whose bandwidth is the widest row's span (a row's columns are sorted).
    full = np.flatnonzero(lengths)
    ends = pattern.indptr[full + 1] - 1, pattern.indptr[full]
    spans = pattern.indices[ends[0]] - pattern.indices[ends[1]]

    def head(size: int) -> np.ndarray:
        first = pattern.first_columns(size)
        return greedy_columns(csr.transpose_product(first, first), used[:size])

    array = band_colors(used, int(spans.max(initial=0)) + 1, head)
    if array is None:
        array = greedy_columns(csr.transpose_product(pattern, pattern), used)
    return Coloring(direction, array, int(array.max(initial=-1)) + 1)


def greedy_columns(conflicts: csr.BoolCSR, used: np.ndarray) -> np.ndarray:
    """Each used vertex in turn takes the smallest colour none of its neighbours has."""
    n = conflicts.shape[0]
    # As Python lists: slicing a list is many times cheaper than an array slice and its tolist.
    indptr = conflicts.indptr.tolist()
    neighbours = conflicts.indices.tolist()
    colors = [-1] * n
    # mark[c] == j: colour c is taken by a neighbour of column j (no clearing between columns).
    mark = [-1] * (n + 1)
    for j in np.flatnonzero(used).tolist():
        for k in neighbours[indptr[j] : indptr[j + 1]]:
            c = colors[k]
            if c >= 0:
                mark[c] = j
        c = 0
        while mark[c] == j:
            c += 1
        colors[j] = c
    return np.asarray(colors, dtype=np.int64)


def band_colors(
    used: np.ndarray, period: int, greedy: Callable[[int], np.ndarray | None]
) -> np.ndarray | None:
    """Vertex ``i``'s colour ``i mod period`` (renumbered over the residues of the ``used``
    vertices) where the greedy colouring of the first vertices, ``greedy(count)``, already
    needs ``period`` colours; else None.

    For a graph of bandwidth ``b`` (every edge ``|i - j| ≤ b``), vertices ``spread·b + 1`` or
    more apart are more than ``spread`` edges apart, so that period gives a distance-1
    colouring (``spread`` 1) or a distance-2 one (2, a star colouring). The greedy, in natural
    order, colours a prefix of the vertices as it would alone and never takes fewer colours for
    more vertices: when it already needs ``period`` colours on the first few (a full band does
    on the first ``period + 1``), it would need at least as many for all of them, so the band
    colouring costs no more products and no Python loop over every vertex.
    """
    n = used.size
    if period >= n:
        return None
    first = greedy(min(n, BAND_PREFIX * period))
    if first is None or first.max(initial=-1) + 1 < period:
        return None
    residues = np.arange(n) % period
    present = csr.distinct(residues[used])
    return np.where(used, np.searchsorted(present, residues), -1)


def color_rows(pattern: Any) -> Coloring:
    """Greedy colouring of the rows of ``pattern``: rows that share a column differ."""
    return color_columns(csr.as_csr(pattern).T, "reverse")


def plan(pattern: Any, requested: str = "auto", reverse_blocked: str = "") -> Plan:
    """Colour both ways and choose: the requested direction, else the one with fewer colours
    (forward on a tie), or forward where ``reverse_blocked`` says why reverse mode cannot be
    taken.

    >>> plan(np.eye(4)).reason
    'sparse: 1 column colour (forward) vs 1 row colour (reverse): 1 JVP'
    """
    forward = color_columns(pattern)
    reverse = color_rows(pattern)
    direction = DIRECTIONS[requested]
    if reverse_blocked:
        chosen, why = forward, f"{reverse_blocked}, so forward mode; "
    elif direction == "auto":
        chosen = forward if forward.count <= reverse.count else reverse
        why = ""
    else:
        chosen = forward if direction == "forward" else reverse
        why = f"{direction} mode requested; "
    reason = (
        f"sparse: {why}{_colours(forward)} (forward) vs {_colours(reverse)} (reverse): "
        f"{chosen.count} {chosen.products}{'' if chosen.count == 1 else 's'}"
    )
    return Plan(forward, reverse, chosen, reason)


def _colours(coloring: Coloring) -> str:
    s = "" if coloring.count == 1 else "s"
    text = f"{coloring.count} {coloring.lines} colour{s}"
    return text if coloring.greedy else f"{text} (too costly to colour: one per {coloring.lines})"


def compressed_jacobian(
    fn: Callable[[Any], Any], x: Any, coloring: Coloring, out_dtype: Any
) -> tuple[Any, Any]:
    """The value ``fn(x)`` and the compressed Jacobian: ``J·S`` as ``(colours, m)`` for forward
    mode, ``Sᵀ·J`` as ``(colours, n)`` for reverse, ``S`` being the 0/1 seed of each colour.

    All products run in one compiled call, vmapped over the colours; the seeds are built inside
    it from the colour of each line, so only that vector is sent to the device.
    """
    import jax
    import jax.numpy as jnp

    count = coloring.count

    def forward(p: Any, colors: Any) -> Any:
        value, linear = jax.linearize(fn, p)
        return value, jax.vmap(linear)(seeds(colors, count, p.dtype))

    def reverse(p: Any, colors: Any) -> Any:
        value, pullback = jax.vjp(fn, p)
        return value, jax.vmap(lambda s: pullback(s)[0])(seeds(colors, count, out_dtype))

    transform = forward if coloring.direction == "forward" else reverse
    return jax.jit(transform)(x, jnp.asarray(coloring.colors))


def seeds(colors: Any, count: int, dtype: Any) -> Any:
    """The 0/1 seed of each colour, ``(count, lines)``, built on the device from the colour of
    each line (JAX, inside a compiled call)."""
    import jax.numpy as jnp

    return (colors[None, :] == jnp.arange(count)[:, None]).astype(dtype)


def decompress(pattern: Any, coloring: Coloring, compressed: Any) -> tuple[np.ndarray, ...]:
    """The entries of the Jacobian in the pattern as COO triplets ``(rows, cols, values)``, in
    row-major order: each entry is read from the product of its column's (row's) colour."""
    pattern = csr.as_csr(pattern)
    rows, cols = pattern.rows(), pattern.indices
    compressed = np.asarray(compressed)
    if coloring.direction == "forward":
        values = compressed[coloring.colors[cols], rows]
    else:
        values = compressed[coloring.colors[rows], cols]
    return rows, cols, values
