"""The NumPy boolean CSR matrices of the sparsity patterns, against dense NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from jaccli._derivatives import csr


def random_dense(rng, m, n, density):
    return rng.uniform(size=(m, n)) < density


def assert_canonical(matrix):
    """Columns sorted and unique in each row; the row pointers consistent."""
    assert matrix.indptr[0] == 0 and matrix.indptr[-1] == matrix.nnz
    assert (np.diff(matrix.indptr) >= 0).all()
    for r in range(matrix.shape[0]):
        row = matrix.indices[matrix.indptr[r] : matrix.indptr[r + 1]]
        assert (np.diff(row) > 0).all()


@pytest.fixture(params=["keyed", "lexsorted"])
def keyed(request, monkeypatch):
    """Both ways of sorting the entries: by one key row · n + column, and by (row, column)."""
    if request.param == "lexsorted":
        monkeypatch.setattr(csr, "KEYED_CELLS", 0)
    return request.param


def test_repeated_unsorted_entries_become_one_canonical_matrix(keyed):
    rng = np.random.default_rng(0)
    for _ in range(30):
        m, n = (int(v) for v in rng.integers(1, 12, size=2))
        count = int(rng.integers(0, 60))
        rows, cols = rng.integers(0, m, count), rng.integers(0, n, count)
        matrix = csr.from_coo(rows, cols, (m, n))
        dense = np.zeros((m, n), dtype=bool)
        dense[rows, cols] = True
        assert_canonical(matrix)
        np.testing.assert_array_equal(matrix.toarray(), dense)
        assert matrix.nnz == dense.sum()


def test_the_operations_agree_with_dense_arithmetic(keyed, monkeypatch):
    # A few pairs a block, so the product is assembled from many blocks.
    monkeypatch.setattr(csr, "CHUNK_PAIRS", 5)
    rng = np.random.default_rng(1)
    for _ in range(30):
        m, n, k = (int(v) for v in rng.integers(1, 15, size=3))
        A, B = random_dense(rng, m, n, 0.3), random_dense(rng, m, k, 0.3)
        C = random_dense(rng, m, n, 0.3)
        a, b, c = csr.as_csr(A), csr.as_csr(B), csr.as_csr(C)
        product = csr.transpose_product(a, b)
        assert_canonical(product)
        np.testing.assert_array_equal(product.toarray(), (A.T.astype(int) @ B) > 0)
        assert csr.transpose_product_size(a, b) == int((A.sum(1) * B.sum(1)).sum())
        np.testing.assert_array_equal(csr.union(a, c).toarray(), A | C)
        np.testing.assert_array_equal(a.T.toarray(), A.T)
        np.testing.assert_array_equal(a.first_columns(n // 2).toarray(), A[:, : n // 2])
        size = min(m, n)
        square = csr.as_csr(A[:size, :size])
        np.testing.assert_array_equal(
            square.leading(size // 2).toarray(), A[: size // 2, : size // 2]
        )
        np.testing.assert_array_equal(
            square.off_diagonal().toarray(), A[:size, :size] & ~np.eye(size, dtype=bool)
        )


def test_scipy_and_dense_inputs_give_the_same_matrix():
    sp = pytest.importorskip("scipy.sparse")
    dense = np.array([[0, 2.0, 0], [0, 0, 0], [1.0, 0, 3.0]])
    from_scipy = csr.as_csr(sp.coo_array(dense))
    np.testing.assert_array_equal(from_scipy.toarray(), dense != 0)
    np.testing.assert_array_equal(csr.as_csr(dense).indices, from_scipy.indices)
    # An explicit zero stored by SciPy is not an entry of the pattern.
    stored_zero = sp.csr_array(
        (np.array([0.0, 1.0]), (np.array([0, 1]), np.array([0, 1]))), shape=(2, 2)
    )
    assert csr.as_csr(stored_zero).indices.tolist() == [1]


def test_distinct_values_match_numpy():
    rng = np.random.default_rng(2)
    values = rng.integers(-5, 5, 200)
    np.testing.assert_array_equal(csr.distinct(values), np.unique(values))
    assert csr.distinct(np.zeros(0, np.int64)).size == 0
