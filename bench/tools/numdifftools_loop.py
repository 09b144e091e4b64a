"""numdifftools: ``numdifftools.Jacobian`` (adaptive finite differences), point by point.

numdifftools differentiates one point per call, so this is a Python loop over the batch.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from bench.tools import protocol


def setup(problem: ModuleType) -> protocol.Compute:
    """One `numdifftools.Jacobian` of the problem's NumPy form, called at each point."""
    import numdifftools

    jacobian = numdifftools.Jacobian(problem.f_numpy)

    def compute(points: np.ndarray) -> np.ndarray:
        return np.stack([jacobian(point) for point in points])

    return compute


if __name__ == "__main__":
    protocol.main(setup)
