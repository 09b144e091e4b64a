"""Boolean sparse matrices in CSR form, in NumPy: the sparsity patterns and their graphs.

Why not SciPy's sparse arrays: a pattern needs only a handful of operations (rows taken and
routed, unions, the products ``AᵀB`` of two patterns), each a sort or a gather in NumPy, while
importing ``scipy.sparse`` costs more than 0.1 s (its array-API layer imports most of NumPy's
submodules), which is a large part of a sparse derivative's own time on a cold start. Every
matrix here is canonical: the columns of each row sorted, without duplicates.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

# Below this many cells, an entry's (row, column) is sorted as the one number row · n + column.
KEYED_CELLS = 1 << 62

# `transpose_product` looks at this many pairs at a time.
CHUNK_PAIRS = 1 << 20


@dataclass(frozen=True, eq=False)
class BoolCSR:
    """A boolean ``shape`` matrix: the columns of row ``i`` are
    ``indices[indptr[i]:indptr[i + 1]]``, sorted and unique."""

    indptr: np.ndarray
    indices: np.ndarray
    shape: tuple[int, int]

    @property
    def nnz(self) -> int:
        return int(self.indices.size)

    def lengths(self) -> np.ndarray:
        """The number of entries of each row."""
        return np.diff(self.indptr)

    def rows(self) -> np.ndarray:
        """The row of each entry, in order (the COO rows)."""
        return np.repeat(np.arange(self.shape[0], dtype=np.int64), self.lengths())

    @property
    def T(self) -> BoolCSR:
        return from_coo(self.indices, self.rows(), (self.shape[1], self.shape[0]))

    def toarray(self) -> np.ndarray:
        """The dense boolean matrix."""
        out = np.zeros(self.shape, dtype=bool)
        out[self.rows(), self.indices] = True
        return out

    def off_diagonal(self) -> BoolCSR:
        """The same entries but those on the diagonal."""
        rows = self.rows()
        return _kept(rows, self.indices, rows != self.indices, self.shape)

    def first_columns(self, size: int) -> BoolCSR:
        """The first ``size`` columns."""
        keep = self.indices < size
        return _kept(self.rows(), self.indices, keep, (self.shape[0], size))

    def leading(self, size: int) -> BoolCSR:
        """The leading ``size × size`` block."""
        rows = np.repeat(np.arange(size, dtype=np.int64), self.lengths()[:size])
        cols = self.indices[: rows.size]
        return _kept(rows, cols, cols < size, (size, size))


def _kept(rows: np.ndarray, cols: np.ndarray, keep: np.ndarray, shape: tuple[int, int]) -> BoolCSR:
    """The entries ``keep`` of a canonical matrix's entries ``(rows, cols)``, in their order."""
    return BoolCSR(_row_pointers(rows[keep], shape[0]), cols[keep], shape)


def _row_pointers(rows: np.ndarray, m: int) -> np.ndarray:
    """CSR's row pointers of entries in row order, ``rows`` being the row of each."""
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=m), out=indptr[1:])
    return indptr


def from_coo(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> BoolCSR:
    """The matrix true at every ``(rows[k], cols[k])`` (repeats allowed, any order).

    >>> from_coo(np.array([1, 0, 1]), np.array([2, 1, 2]), (2, 3)).toarray().astype(int).tolist()
    [[0, 1, 0], [0, 0, 1]]
    """
    m, n = int(shape[0]), int(shape[1])
    rows = np.asarray(rows, dtype=np.int64).reshape(-1)
    cols = np.asarray(cols, dtype=np.int64).reshape(-1)
    # Sorted, then each entry kept where it differs from the one before: NumPy's `unique`
    # hashes first and then sorts, several times slower on these integer keys.
    if m * n < KEYED_CELLS:
        keys = rows * n
        keys += cols
        rows, cols = np.divmod(_distinct_in_place(keys), max(n, 1))
    else:
        order = np.lexsort((cols, rows))
        rows, cols = rows[order], cols[order]
        first = np.ones(rows.size, dtype=bool)
        first[1:] = (rows[1:] != rows[:-1]) | (cols[1:] != cols[:-1])
        rows, cols = rows[first], cols[first]
    return BoolCSR(_row_pointers(rows, m), cols, (m, n))


def distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted: ``np.unique`` by a stable sort alone (see `from_coo` and
    `_distinct_in_place`).

    >>> distinct(np.array([3, 1, 3, 3])).tolist()
    [1, 3]
    """
    return _distinct_in_place(np.array(values, copy=True).reshape(-1))


def _distinct_in_place(keys: np.ndarray) -> np.ndarray:
    """`distinct`, sorting ``keys`` (a 1-D array of the caller's own) in place. A stable sort:
    keys made of sorted pieces (a union, a matrix and its transpose) are runs, which it merges
    in about linear time."""
    keys.sort(kind="stable")
    first = np.ones(keys.size, dtype=bool)
    np.not_equal(keys[1:], keys[:-1], out=first[1:])
    return keys[first]


def empty(shape: tuple[int, int]) -> BoolCSR:
    """The all-false matrix of ``shape``."""
    return BoolCSR(np.zeros(shape[0] + 1, dtype=np.int64), np.zeros(0, np.int64), shape)


def identity(n: int) -> BoolCSR:
    """The ``n × n`` identity."""
    return BoolCSR(np.arange(n + 1, dtype=np.int64), np.arange(n, dtype=np.int64), (n, n))


def as_csr(matrix: Any) -> BoolCSR:
    """``matrix`` (a `BoolCSR`, a SciPy sparse array or matrix, or a dense array) as a
    `BoolCSR` of its nonzero entries.

    >>> as_csr(np.eye(2)).indices.tolist()
    [0, 1]
    """
    if isinstance(matrix, BoolCSR):
        return matrix
    if hasattr(matrix, "tocoo"):
        coo = matrix.tocoo()
        nonzero = np.asarray(coo.data) != 0
        return from_coo(coo.row[nonzero], coo.col[nonzero], tuple(coo.shape))
    dense = np.asarray(matrix)
    rows, cols = np.nonzero(dense)
    return from_coo(rows, cols, dense.shape)


def union(a: BoolCSR, b: BoolCSR) -> BoolCSR:
    """The entries of either of two matrices of one shape."""
    if a is b or (np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)):
        return a
    rows = np.concatenate([a.rows(), b.rows()])
    return from_coo(rows, np.concatenate([a.indices, b.indices]), a.shape)


def transpose_product_size(a: BoolCSR, b: BoolCSR) -> int:
    """The pairs `transpose_product` looks at before removing repeats: the work it takes."""
    return int(np.dot(a.lengths().astype(np.int64), b.lengths()))


def transpose_product(a: BoolCSR, b: BoolCSR) -> BoolCSR:
    """``AᵀB``: true at ``(i, j)`` where some row holds column ``i`` of ``a`` and ``j`` of ``b``.

    >>> a = from_coo(np.array([0, 0, 1]), np.array([0, 1, 2]), (2, 3))
    >>> transpose_product(a, a).toarray().astype(int).tolist()
    [[1, 1, 0], [1, 1, 0], [0, 0, 1]]
    """
    shape = (a.shape[1], b.shape[1])
    la, lb = a.lengths(), b.lengths()
    ends = np.cumsum(la * lb)
    total = int(ends[-1]) if ends.size else 0
    # Rows about a million pairs at a time, each block's repeats removed before the next: the
    # memory goes with the result, not with the pairs looked at.
    cuts = np.searchsorted(ends, np.arange(CHUNK_PAIRS, total, CHUNK_PAIRS), side="right")
    bounds = [0, *distinct(cuts).tolist(), la.size]
    blocks = [_pairs(a, b, la, lb, lo, hi) for lo, hi in itertools.pairwise(bounds) if hi > lo]
    if len(blocks) == 1:
        return blocks[0]
    rows = np.concatenate([np.empty(0, np.int64), *(block.rows() for block in blocks)])
    cols = np.concatenate([np.empty(0, np.int64), *(block.indices for block in blocks)])
    return from_coo(rows, cols, shape)


def _pairs(a: BoolCSR, b: BoolCSR, la: np.ndarray, lb: np.ndarray, lo: int, hi: int) -> BoolCSR:
    """``AᵀB`` over rows ``lo:hi`` of ``a`` and ``b`` (``la``, ``lb``: their row lengths)."""
    widths = lb[lo:hi]
    pairs = la[lo:hi] * widths
    start = np.zeros(pairs.size + 1, dtype=np.int64)
    np.cumsum(pairs, out=start[1:])
    # Pair k of row r is (entry k // lb[r] of a's row r, entry k % lb[r] of b's).
    row = np.repeat(np.arange(pairs.size, dtype=np.int64), pairs)
    k = np.arange(int(start[-1]), dtype=np.int64)
    k -= start[row]
    left, right = np.divmod(k, widths[row])
    row += lo
    left += a.indptr[row]
    right += b.indptr[row]
    return from_coo(a.indices[left], b.indices[right], (a.shape[1], b.shape[1]))
