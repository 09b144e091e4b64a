"""Raw JAX, the floor: ``jax.jit(jax.vmap(jax.jacfwd(f)))`` on the whole batch in one call.

This is the script a JAX user would write by hand; jaccli's batch path is measured against it.
"""

from __future__ import annotations

from types import ModuleType

import numpy as np

from bench.tools import protocol


def setup(problem: ModuleType) -> protocol.Compute:
    """The compiled, vectorised Jacobian in float64 (jaccli's default dtype)."""
    import jax

    jax.config.update("jax_enable_x64", True)
    batched = jax.jit(jax.vmap(jax.jacfwd(problem.f)))

    def compute(points: np.ndarray) -> np.ndarray:
        return np.asarray(batched(points))

    return compute


if __name__ == "__main__":
    protocol.main(setup)
