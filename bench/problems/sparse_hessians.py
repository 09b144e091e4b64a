"""Scalar functions with sparse Hessians, for the sparse-Hessian benchmark.

    arrowhead(x) = x₀·Σx + Σx⁴                              (one dense row and column)
    chain(x)     = Σ (xᵢ₊₁ − xᵢ²)² + Σ (1 − xᵢ)²              (chained Rosenbrock: tridiagonal)

A symmetric (star) colouring needs 2 colours for the arrowhead and 3 for the chain, whatever n
is; colouring the columns of the gradient's Jacobian would need n for the arrowhead.

>>> exact_hessian("arrowhead", np.ones(3)).toarray().tolist()
[[14.0, 1.0, 1.0], [1.0, 12.0, 0.0], [1.0, 0.0, 12.0]]
>>> exact_hessian("chain", np.ones(3)).toarray().tolist()
[[10.0, -4.0, 0.0], [-4.0, 12.0, -4.0], [0.0, -4.0, 4.0]]
"""

import numpy as np


def arrowhead(x):
    import jax.numpy as jnp

    return x[0] * jnp.sum(x) + jnp.sum(x**4)


def chain(x):
    import jax.numpy as jnp

    return jnp.sum((x[1:] - x[:-1] ** 2) ** 2) + jnp.sum((1.0 - x) ** 2)


def points(n, seed=0):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, n)


def exact_hessian(name, x):
    """The hand-derived Hessian of ``name`` at ``x``, as SciPy CSR."""
    import scipy.sparse as sp

    n = x.size
    if name == "arrowhead":
        H = sp.diags_array(12.0 * x**2).tolil()
        H[0, 1:] = 1.0
        H[1:, 0] = 1.0
        H[0, 0] += 2.0
        return sp.csr_array(H)
    r = x[1:] - x[:-1] ** 2
    diagonal = np.full(n, 2.0)
    diagonal[1:] += 2.0
    diagonal[:-1] += -4.0 * r + 8.0 * x[:-1] ** 2
    off = -4.0 * x[:-1]
    return sp.csr_array(sp.diags_array([off, diagonal, off], offsets=[-1, 0, 1]))
