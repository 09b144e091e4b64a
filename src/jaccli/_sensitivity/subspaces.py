"""The linear algebra of active subspaces (Constantine, *Active Subspaces*, SIAM 2015): the
eigen-decomposition of C = E[∇f ∇fᵀ] from a sample of gradients, its bootstrap, the dimension
at the largest eigenvalue gap, the distance between subspaces, and activity scores.

C is formed as GᵀG/N and decomposed with ``eigh``, the estimate and every bootstrap replicate
alike, so the intervals describe the numbers reported. Eigenvalues are exact to rounding when
the gradients are: a ridge function f(aᵀx) gives C = E[g'²]·aaᵀ, whose other eigenvalues come
out at ~ε·λ₁, not at the sampling error.
"""

from __future__ import annotations

import numpy as np

from .methods import CONF_LEVEL


def eigen(C: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The eigenvalues of the symmetric ``C`` (or of each in a stack; its upper triangle is
    read), largest first and never negative (C is positive semi-definite; rounding can make a
    zero one −ε), and the eigenvectors as rows, each with its largest component positive
    (`signed`).

    >>> values, vectors = eigen(np.array([[1.0, 0.0], [0.0, 4.0]]))
    >>> values, vectors
    (array([4., 1.]), array([[0., 1.],
           [1., 0.]]))
    """
    values, columns = np.linalg.eigh(C, UPLO="U")
    vectors = np.swapaxes(columns, -1, -2)[..., ::-1, :]
    return np.maximum(values[..., ::-1], 0.0), signed(vectors)


def signed(vectors: np.ndarray) -> np.ndarray:
    """Each row of ``vectors`` with the sign that makes its largest component (in magnitude;
    the first of equal ones) positive: an eigenvector is defined up to its sign, and this rule
    fixes it.

    >>> signed(np.array([[0.6, -0.8], [-0.5, 0.5]]))
    array([[-0.6,  0.8],
           [ 0.5, -0.5]])
    """
    largest = np.argmax(np.abs(vectors), axis=-1)[..., None]
    sign = np.sign(np.take_along_axis(vectors, largest, axis=-1))
    return vectors * np.where(sign == 0, 1.0, sign)


def rounding_floor(eigenvalues: np.ndarray, count: int) -> float:
    """The size below which an eigenvalue of a C summed from ``count`` gradients is rounding:
    λ₁·max(N, n)·ε, the rank tolerance NumPy uses.

    >>> rounding_floor(np.array([1.0, 0.0]), 1000) < 1e-12
    True
    """
    return float(eigenvalues[0] * max(count, len(eigenvalues)) * np.finfo(float).eps)


def choose_dimension(eigenvalues: np.ndarray, floor: float) -> int:
    """The dimension K at the largest gap on the log scale, λ_K/λ_{K+1}; eigenvalues at or
    below ``floor`` are zero, so a function of r directions (r < n) gets K = r.

    >>> choose_dimension(np.array([100.0, 50.0, 0.5, 0.2]), 1e-12)
    2
    >>> choose_dimension(np.array([3.0, 1e-17, 0.0]), 1e-12)
    1
    """
    rank = int(np.sum(eigenvalues > floor))
    if rank == 0 or len(eigenvalues) == 1:
        return 1
    if rank < len(eigenvalues):
        return rank
    logs = np.log(eigenvalues)
    return int(np.argmax(logs[:-1] - logs[1:])) + 1


def bootstrap_grams(gradients: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """C = GᵀG/N of ``resamples`` bootstrap resamples of the rows of ``gradients`` (``(N, n)``),
    as a ``(resamples, n, n)`` stack of which the upper triangles are set; the resamples are
    drawn from ``seed``, so the same seed gives the same stack.

    >>> bootstrap_grams(np.ones((4, 1)), 2, seed=0)
    array([[[1.]],
    <BLANKLINE>
           [[1.]]])
    """
    from scipy.linalg.blas import dsyrk

    rng = np.random.default_rng(seed)
    count, n = gradients.shape
    grams = np.empty((resamples, n, n))
    for b in range(resamples):
        # A row drawn c times weighs c/N; the rows not drawn (about 37%) are left out.
        counts = np.bincount(rng.integers(count, size=count), minlength=count)
        drawn = np.flatnonzero(counts)
        rows = gradients[drawn] * np.sqrt(counts[drawn] / count)[:, None]
        grams[b] = dsyrk(1.0, rows, trans=1)
    return grams


def intervals(replicates: np.ndarray) -> np.ndarray:
    """Percentile bootstrap intervals at ``CONF_LEVEL``: ``[low, high]`` per column of
    ``replicates`` (``(resamples, n)``), as an ``(n, 2)`` array.

    >>> intervals(np.arange(101.0)[:, None])
    array([[ 2.5, 97.5]])
    """
    tail = (1 - CONF_LEVEL) / 2
    return np.quantile(replicates, [tail, 1 - tail], axis=0).T


def subspace_distances(vectors: np.ndarray, replicates: np.ndarray) -> np.ndarray:
    """For K = 1…n, the mean over the bootstrap ``replicates`` (``(B, n, n)``, eigenvectors as
    rows) of the distance between the span of the first K rows of ``vectors`` and of each
    replicate's: ‖W₁ᵀŴ₂‖₂, the sine of the largest principal angle (0 for K = n).

    >>> w = np.eye(2)
    >>> subspace_distances(w, np.stack([w, w[::-1]]))
    array([0.5, 0. ])
    """
    n = len(vectors)
    overlap = vectors @ np.swapaxes(replicates, -1, -2)
    distances = np.zeros(n)
    for k in range(1, n):
        block = overlap[:, :k, k:]
        # ‖B‖₂² is the largest eigenvalue of BBᵀ or BᵀB, whichever is smaller: no cancellation
        # for small angles, unlike 1 − σ_min(W₁ᵀŴ₁)².
        gram = (
            block @ np.swapaxes(block, -1, -2) if k <= n - k else np.swapaxes(block, -1, -2) @ block
        )
        largest = np.linalg.eigvalsh(gram)[:, -1]
        distances[k - 1] = np.sqrt(np.maximum(largest, 0.0)).mean()
    return distances


def activity_scores(eigenvalues: np.ndarray, vectors: np.ndarray, dimension: int) -> np.ndarray:
    """αᵢ = Σ_{k<K} λ_k·w_{k,i}²: how much input i moves f along the first K directions.

    >>> activity_scores(np.array([4.0, 1.0]), np.array([[0.6, 0.8], [0.8, -0.6]]), 1)
    array([1.44, 2.56])
    """
    return np.sum(eigenvalues[:dimension, None] * vectors[:dimension] ** 2, axis=0)
