"""Colouring a sparsity pattern, and the compressed Jacobian: one JVP or VJP per colour.

Columns that never share a row can be pushed forward together: one JVP with the sum of their unit
vectors as tangent gives each of their entries, undisturbed (Curtis, Powell and Reid). Likewise
rows that never share a column can be pulled back together with one VJP. So a column colouring
(forward mode) or a row colouring (reverse mode) of the pattern needs as many products as colours;
the direction with fewer colours is used, forward on a tie (a JVP is cheaper than a VJP).

The colouring is greedy, in natural order, which is optimal for banded patterns (a tridiagonal
pattern gets 3 colours, a 7-band one 7). It is written here rather than taken from networkx
(not a jaccli dependency) because the greedy step is a few lines over SciPy's CSR arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

# Colouring a direction walks every pair of entries that share a row (forward) or a column
# (reverse); beyond this many pairs that direction is left uncoloured (one colour per column or
# row), which happens only when some rows (columns) are long, so it needs many colours anyway.
MAX_COLORING_WORK = 20_000_000

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
    """Greedy colouring of the columns of ``pattern`` (an ``(m, n)`` CSR matrix): columns that
    share a row get different colours.

    >>> import scipy.sparse as sp
    >>> tridiagonal = sp.csr_array(np.eye(6) + np.eye(6, k=1) + np.eye(6, k=-1))
    >>> color_columns(tridiagonal).colors.tolist()
    [0, 1, 2, 0, 1, 2]
    """
    import scipy.sparse as sp

    pattern = sp.csr_array(pattern, dtype=bool)
    n = pattern.shape[1]
    used = np.bincount(pattern.indices, minlength=n) > 0
    work = int(np.sum(np.diff(pattern.indptr).astype(np.int64) ** 2))
    if work > MAX_COLORING_WORK:
        colors = np.where(used, np.cumsum(used) - 1, -1)
        return Coloring(direction, colors, int(used.sum()), greedy=False)
    # Columns j and k conflict when some row holds both: the column-intersection graph PᵀP.
    conflicts = sp.csr_array(pattern.T @ pattern)
    indptr = conflicts.indptr.tolist()
    neighbours = conflicts.indices
    colors = [-1] * n
    # mark[c] == j: colour c is taken by a neighbour of column j (no clearing between columns).
    mark = [-1] * (n + 1)
    for j in np.flatnonzero(used).tolist():
        for k in neighbours[indptr[j] : indptr[j + 1]].tolist():
            c = colors[k]
            if c >= 0:
                mark[c] = j
        c = 0
        while mark[c] == j:
            c += 1
        colors[j] = c
    array = np.asarray(colors, dtype=np.int64)
    return Coloring(direction, array, int(array.max(initial=-1)) + 1)


def color_rows(pattern: Any) -> Coloring:
    """Greedy colouring of the rows of ``pattern``: rows that share a column differ."""
    import scipy.sparse as sp

    return color_columns(sp.csr_array(pattern, dtype=bool).T, "reverse")


def plan(pattern: Any, requested: str = "auto", reverse_blocked: str = "") -> Plan:
    """Colour both ways and choose: the requested direction, else the one with fewer colours
    (forward on a tie), or forward where ``reverse_blocked`` says why reverse mode cannot be
    taken.

    >>> import scipy.sparse as sp
    >>> plan(sp.csr_array(np.eye(4))).reason
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
    import scipy.sparse as sp

    coo = sp.csr_array(pattern, dtype=bool).tocoo()
    rows = coo.row.astype(np.int64)
    cols = coo.col.astype(np.int64)
    compressed = np.asarray(compressed)
    if coloring.direction == "forward":
        values = compressed[coloring.colors[cols], rows]
    else:
        values = compressed[coloring.colors[rows], cols]
    return rows, cols, values
