"""Dependence patterns: which inputs each element of a variable may depend on.

A pattern is a boolean sparse matrix (`BoolCSR`) with a row per element of the variable, numbered
in C order (`indices`), and a column per entry of the input ``x``; None stands for "depends on
nothing". The operations here move, join and route rows, and stop with `PatternTooLarge` before
a pattern (or the work to build it) exceeds the entry limit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .. import csr
from ..csr import BoolCSR


class PatternTooLarge(Exception):
    """The pattern (or the work to build it) would exceed the entry limit."""

    def __init__(self, entries: int, limit: int) -> None:
        super().__init__(f"{entries:,} pattern entries, over the limit of {limit:,}")
        self.entries = entries
        self.limit = limit


def size(shape: Sequence[int]) -> int:
    """The number of elements of an array of ``shape``.

    >>> size((2, 3)), size(())
    (6, 1)
    """
    return math.prod(int(d) for d in shape)


def indices(shape: Sequence[int]) -> np.ndarray:
    """The flat index of every element, laid out in ``shape``.

    >>> indices((2, 2)).tolist()
    [[0, 1], [2, 3]]
    """
    return np.arange(size(shape), dtype=np.int64).reshape(tuple(shape))


class Dependence:
    """The operations on dependence patterns over ``n`` inputs, within ``max_entries`` entries."""

    def __init__(self, n: int, max_entries: int) -> None:
        self.n = n
        self.max_entries = max_entries

    def check(self, entries: int) -> None:
        """Raise `PatternTooLarge` when ``entries`` exceeds the limit."""
        if entries > self.max_entries:
            raise PatternTooLarge(entries, self.max_entries)

    def take(self, dep: BoolCSR | None, rows: np.ndarray) -> BoolCSR | None:
        """The rows ``rows`` of ``dep`` (an index of -1 gives an empty row)."""
        if dep is None:
            return None
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        indptr = dep.indptr.astype(np.int64)
        lengths = np.diff(indptr)
        valid = rows >= 0
        safe = np.where(valid, rows, 0)
        counts = np.where(valid, lengths[safe], 0)
        out_ptr = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(counts, out=out_ptr[1:])
        total = int(out_ptr[-1])
        self.check(total)
        if total == 0:
            return None
        # Position k of output row r reads input entry indptr[rows[r]] + k.
        source = np.arange(total, dtype=np.int64) + np.repeat(indptr[safe] - out_ptr[:-1], counts)
        return BoolCSR(out_ptr, dep.indices[source], (rows.size, self.n))

    def union(self, a: BoolCSR | None, b: BoolCSR | None) -> BoolCSR | None:
        """Elementwise union of two patterns of one shape."""
        if a is None:
            return b
        if b is None:
            return a
        out = csr.union(a, b)
        self.check(out.nnz)
        return out

    def join(self, deps: Sequence[BoolCSR | None]) -> BoolCSR | None:
        """The union of several patterns of one shape."""
        out = None
        for dep in deps:
            out = self.union(out, dep)
        return out

    def route(
        self, dep: BoolCSR | None, targets: np.ndarray, sources: np.ndarray, size: int
    ) -> BoolCSR | None:
        """Output element ``targets[k]`` depends on input element ``sources[k]``, for every k."""
        if dep is None or targets.size == 0:
            return None
        targets = np.asarray(targets, dtype=np.int64)
        sources = np.asarray(sources, dtype=np.int64)
        self.check(int(targets.size))
        self.check(int(dep.lengths()[sources].sum()))
        if np.bincount(targets, minlength=size).max() == 1:
            # Each output element from at most one input element: its row, as it is.
            rows = np.full(size, -1, dtype=np.int64)
            rows[targets] = sources
            return self.take(dep, rows)
        gathered = self.take(dep, sources)
        if gathered is None:
            return None
        out = csr.from_coo(targets[gathered.rows()], gathered.indices, (size, self.n))
        return out if out.nnz else None

    def everything(self, deps: Sequence[BoolCSR | None]) -> BoolCSR | None:
        """One row: the union of every row of ``deps``."""
        columns = [d.indices for d in deps if d is not None and d.nnz]
        if not columns:
            return None
        cols = csr.distinct(np.concatenate(columns))
        return BoolCSR(np.array([0, cols.size], dtype=np.int64), cols, (1, self.n))

    def broadcast(self, row: BoolCSR | None, size: int) -> BoolCSR | None:
        """``size`` copies of the one row ``row``."""
        return None if row is None else self.take(row, np.zeros(size, dtype=np.int64))
