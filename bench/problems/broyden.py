"""The Broyden tridiagonal function, for the sparse-Jacobian benchmark.

    Fᵢ(x) = (3 − 2xᵢ)·xᵢ − xᵢ₋₁ − 2xᵢ₊₁ + 1,    x₋₁ = xₙ = 0      (i = 0 … n−1)

(Moré, Garbow and Hillstrom's test problem 30). The Jacobian is tridiagonal: 3 − 4xᵢ on the
diagonal, −1 below it and −2 above, so three colours (column j gets colour j mod 3) recover it
from three JVPs, whatever n is. `f` is the JAX form jaccli loads, `f_numpy` the form for SciPy.

>>> exact_jacobian(np.zeros(3)).toarray().tolist()
[[3.0, -2.0, 0.0], [-1.0, 3.0, -2.0], [0.0, -1.0, 3.0]]
"""

import numpy as np


def _broyden(x, xp):
    zero = xp.zeros(1, dtype=x.dtype)
    left = xp.concatenate([zero, x[:-1]])
    right = xp.concatenate([x[1:], zero])
    return (3.0 - 2.0 * x) * x - left - 2.0 * right + 1.0


def f(x):
    import jax.numpy as jnp

    return _broyden(x, jnp)


def f_numpy(x):
    return _broyden(x, np)


def points(n, seed=0):
    return np.random.default_rng(seed).uniform(-1.0, 1.0, n)


def pattern(n):
    """The nonzero positions ``(rows, columns)``, row by row."""
    i = np.arange(n)
    rows = np.concatenate([i[1:], i, i[:-1]])
    columns = np.concatenate([i[:-1], i, i[1:]])
    order = np.lexsort((columns, rows))
    return rows[order], columns[order]


def colours(n):
    """Column j's colour: no two columns of one colour share a row."""
    return np.arange(n) % 3


def exact_jacobian(x):
    """The Jacobian as a SciPy CSR matrix."""
    from scipy import sparse

    n = x.size
    return sparse.diags(
        [-np.ones(n - 1), 3.0 - 4.0 * x, -2.0 * np.ones(n - 1)], [-1, 0, 1], format="csr"
    )
