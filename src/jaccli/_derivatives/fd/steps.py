"""Step generation: a geometric sequence of steps for every input, and the points they perturb.

Input ``j`` has its own scale ``|x_j|`` (`own_scale`; 1 at 0, and never below the square root of
the dtype's smallest normal number), which the first-derivative rules use (see `probes`), or the
scale ``max(|x_j|, 1)`` (`input_scale`) of the second-derivative rules. Each scheme uses `NUM_STEPS` steps per input,
``h_s = scale_j * h_0 * 2**-s``, around the step that balances rounding (``eps |f| / h^d`` for
a d-th derivative) against the truncation of the Richardson level below the last, with ``eps``
that of the input dtype. A perturbed point is rounded to the dtype of ``x``, so the step
actually taken is read back from the point (`axis_offsets`), exactly, in float64.
"""

from __future__ import annotations

import numpy as np

NUM_STEPS = 12
BALANCE_INDEX = 5  # where the balancing step sits in the sequence of steps
MAX_RELATIVE_STEP = 0.5


def input_scale(x: np.ndarray) -> np.ndarray:
    """The scale of every input, ``max(|x_j|, 1)``, in float64.

    >>> input_scale(np.array([0.5, -3.0])).tolist()
    [1.0, 3.0]
    """
    return np.maximum(np.abs(x.astype(np.float64)), 1.0)


def own_scale(x: np.ndarray) -> np.ndarray:
    """The scale of every input by its own size, ``|x_j|``, in float64: 1 where ``x_j`` is 0,
    and no less than ``sqrt(tiny)`` of x's dtype, so that every step is a normal number.

    >>> own_scale(np.array([1e-8, 0.0, -3.0])).tolist()
    [1e-08, 1.0, 3.0]
    """
    size = np.abs(x.astype(np.float64))
    floor = float(np.sqrt(np.finfo(x.dtype).tiny))
    return np.where(size == 0, 1.0, np.maximum(size, floor))


def relative_steps(dtype: np.dtype, q: int) -> np.ndarray:
    """The 12 relative steps h_0 * 2**-s, with eps**(1/q) (the balancing step) at index 5.

    >>> steps = relative_steps(np.dtype(np.float64), 5)
    >>> bool(steps[BALANCE_INDEX] == np.finfo(np.float64).eps ** (1 / 5)), steps.size
    (True, 12)
    """
    balance = float(np.finfo(dtype).eps) ** (1.0 / q)
    largest = min(balance * 2.0**BALANCE_INDEX, MAX_RELATIVE_STEP)
    return largest * 0.5 ** np.arange(NUM_STEPS)


def axis_points(x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """``(S, n, n)``: row ``[s, j]`` is x with ``x_j + steps[s, j]``, rounded to x's dtype."""
    n = x.size
    points = np.tile(x, (steps.shape[0], n, 1))
    diag = np.arange(n)
    points[:, diag, diag] = (x.astype(np.float64) + steps).astype(x.dtype)
    return points


def axis_offsets(points: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The step actually taken in each `axis_points` row, after rounding: exact, in float64.

    >>> x = np.array([1.0], dtype=np.float32)
    >>> axis_offsets(axis_points(x, np.array([[0.1]])), x).tolist() == [[float(np.float32(1.1)) - 1]]
    True
    """
    diag = np.arange(x.size)
    return points[:, diag, diag].astype(np.float64) - x.astype(np.float64)


def pair_points(
    x: np.ndarray, steps: np.ndarray, rows: np.ndarray, cols: np.ndarray, sj: int, sk: int
) -> np.ndarray:
    """``(S, pairs, n)``: x with ``x_j + sj h_j`` and ``x_k + sk h_k`` for each pair (j, k)."""
    points = np.tile(x, (steps.shape[0], rows.size, 1))
    pair = np.arange(rows.size)
    x64 = x.astype(np.float64)
    points[:, pair, rows] = (x64[rows] + sj * steps[:, rows]).astype(x.dtype)
    points[:, pair, cols] = (x64[cols] + sk * steps[:, cols]).astype(x.dtype)
    return points
