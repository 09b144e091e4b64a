"""SciPy: ``scipy.differentiate.jacobian`` (adaptive finite differences, SciPy ≥ 1.15).

It is vectorised over trailing axes, so the whole batch goes in as one ``(n, N)`` array.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from bench.tools import protocol


def setup(problem: ModuleType) -> protocol.Compute:
    """Central differences with Richardson extrapolation, all points at once."""
    from scipy.differentiate import jacobian

    def compute(points: np.ndarray) -> np.ndarray:
        found = jacobian(problem.f_numpy, points.T)
        return np.ascontiguousarray(np.moveaxis(found.df, -1, 0))

    return compute


if __name__ == "__main__":
    protocol.main(setup)
