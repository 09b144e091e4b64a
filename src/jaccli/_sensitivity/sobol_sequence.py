"""Scrambled Sobol' points, the same numbers as SciPy's ``scipy.stats.qmc.Sobol`` for the same
generator, without importing ``scipy.stats``.

Why not SciPy's: importing ``scipy.stats`` loads all of its distributions and tests (about 500
modules, 1.3 s of CPU here), which on a small global analysis costs as much as JAX's import and
more than the whole sample's evaluation. This is SciPy's engine — Joe and Kuo's direction
numbers, read from SciPy's own table; LMS + digital-shift scrambling with SciPy's order of
draws; Gray-code order — in vectorised NumPy. Where the table is not found, or the dimension
is beyond it, ``qmc.Sobol`` itself does the work. The tests compare the two bit for bit,
scrambled and not.
"""

from __future__ import annotations

import functools
import importlib.util
import os

import numpy as np

BITS = 30  # SciPy's default: points are multiples of 2⁻³⁰
_MAX_DEGREE = 18  # columns of the table of initial direction numbers


@functools.cache
def direction_table() -> tuple[np.ndarray, np.ndarray] | None:
    """SciPy's primitive polynomials and initial direction numbers (Joe and Kuo's D(6) set,
    21,201 dimensions), or None where the file is not where SciPy keeps it."""
    spec = importlib.util.find_spec("scipy")  # finds the package, does not import it
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = os.path.join(folder, "stats", "_sobol_direction_numbers.npz")
        if os.path.exists(path):
            with np.load(path) as table:
                return table["poly"], table["vinit"]
    return None


def sobol_points(count: int, dimension: int, seed: int | np.random.Generator) -> np.ndarray:
    """The first ``count`` points of a scrambled Sobol' sequence in ``dimension`` dimensions:
    ``qmc.Sobol(dimension, scramble=True, rng=np.random.default_rng(seed)).random(count)``
    (same seed, same points), without its warning for a count that is not a power of two.

    >>> points = sobol_points(4, 2, seed=0)
    >>> points.shape, bool(np.all((0 <= points) & (points < 1)))
    ((4, 2), True)
    """
    rng = np.random.default_rng(seed)
    table = direction_table()
    if table is None or dimension > len(table[0]):
        return scipy_points(count, dimension, rng)
    # qmc.Sobol draws its scrambling from a child of the generator it is given, as here.
    bit_generator = rng.bit_generator
    child = np.random.Generator(type(bit_generator)(bit_generator.seed_seq.spawn(1)[0]))
    shift, directions = scramble(initial_directions(dimension, *table), child)
    return sequence(count, directions, shift)


def scipy_points(count: int, dimension: int, rng: np.random.Generator) -> np.ndarray:
    """The same points from ``qmc.Sobol`` itself (which refuses a dimension beyond its table)."""
    import warnings

    from scipy.stats import qmc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return qmc.Sobol(dimension, scramble=True, rng=rng).random(count)


def sequence(count: int, directions: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """The first ``count`` points in Gray-code order from the direction numbers
    ``(dimension, BITS)`` and the digital shift ``(dimension,)``: point k is the shift XOR the
    direction numbers of the bits of gray(k), that is, of point k − 1 XOR the direction of
    the lowest set bit of k — a running XOR over the rows.

    >>> v = np.array([[1 << (BITS - 1), 1 << (BITS - 2)]], dtype=np.uint64)  # first dimension
    >>> sequence(4, v, np.zeros(1, dtype=np.uint64)).ravel()
    array([0.  , 0.5 , 0.75, 0.25])
    """
    index = np.arange(1, count, dtype=np.int64)
    lowest = np.frexp((index & -index).astype(np.float64))[1] - 1  # exact: powers of two
    quasi = np.empty((count, len(shift)), dtype=np.uint64)
    quasi[:1] = shift
    quasi[1:] = np.ascontiguousarray(directions.T)[lowest]  # rows gathered whole: fast
    np.bitwise_xor.accumulate(quasi, axis=0, out=quasi)
    return quasi * (1.0 / 2**BITS)


def initial_directions(dimension: int, poly: np.ndarray, vinit: np.ndarray) -> np.ndarray:
    """The direction numbers ``(dimension, BITS)`` before scrambling (Bratley and Fox's
    recurrence, all dimensions at once), each column shifted to its bit."""
    poly = poly[:dimension].astype(np.uint64)
    degree = np.array([int(p).bit_length() - 1 for p in poly])
    v = np.zeros((dimension, BITS), dtype=np.uint64)
    v[0] = 1
    rows = np.arange(1, dimension)
    for j in range(BITS):
        if j < _MAX_DEGREE:
            initial = rows[j < degree[rows]]
            v[initial, j] = vinit[initial, j]
        later = rows[j >= degree[rows]]
        m = degree[later]
        value = v[later, j - m]
        for k in range(_MAX_DEGREE):
            active = k < m
            taps = (poly[later] >> np.maximum(m - 1 - k, 0).astype(np.uint64)) & np.uint64(1)
            term = np.uint64(2 ** (k + 1)) * v[later, np.maximum(j - k - 1, 0)]
            value ^= np.where(active & (taps == 1), term, np.uint64(0))
        v[later, j] = value
    return v << np.arange(BITS - 1, -1, -1, dtype=np.uint64)


def scramble(directions: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """SciPy's LMS + shift: the digital shift, and the direction numbers multiplied by random
    lower-triangular bit matrices (unit diagonal), in SciPy's order of draws."""
    dimension = len(directions)
    shift_bits = rng.integers(2, size=(dimension, BITS), dtype=np.uint32)
    shift = shift_bits.astype(np.uint64) @ (np.uint64(1) << np.arange(BITS, dtype=np.uint64))
    ltm = np.tril(rng.integers(2, size=(dimension, BITS, BITS), dtype=np.uint32))
    ltm[:, np.arange(BITS), np.arange(BITS)] = 1
    weights = np.uint64(1) << np.arange(BITS - 1, -1, -1, dtype=np.uint64)  # column c → bit
    rows = ltm.astype(np.uint64) @ weights  # row p of each matrix as an integer
    parity = rows[:, :, None] & directions[:, None, :]  # (dimension, p, j)
    for step in (16, 8, 4, 2, 1):
        parity ^= parity >> np.uint64(step)
    parity &= np.uint64(1)
    scrambled = (parity * weights[None, :, None]).sum(axis=1, dtype=np.uint64)  # p → bit
    return shift, scrambled
