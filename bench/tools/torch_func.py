"""PyTorch: ``torch.func.vmap(torch.func.jacfwd(f))`` on float64 tensors, eager (no compile)."""

from __future__ import annotations

from types import ModuleType

import numpy as np

from bench.tools import protocol


def setup(problem: ModuleType) -> protocol.Compute:
    """The vectorised forward-mode Jacobian of the problem's PyTorch form."""
    import torch
    from torch.func import jacfwd, vmap

    batched = vmap(jacfwd(problem.f_torch))

    def compute(points: np.ndarray) -> np.ndarray:
        return batched(torch.from_numpy(points)).numpy()

    return compute


if __name__ == "__main__":
    protocol.main(setup)
