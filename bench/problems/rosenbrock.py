"""The Rosenbrock function of n inputs, for the big-gradient and Hessian-vector benchmarks.

    f(x) = Σᵢ 100·(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²      (i = 0 … n−2)

a chain (each term couples two neighbours) whose gradient and Hessian-vector product have
closed forms; its Hessian is tridiagonal, but nothing here or in the tools forms it.
`f` is the JAX form jaccli loads (``jaccli grad bench/problems/rosenbrock.py --at @x.npy``),
`f_torch` the PyTorch form. Nothing here imports JAX or PyTorch at module level.

>>> gradient(np.array([1.0, 1.0])).tolist()
[0.0, 0.0]
>>> hvp(np.array([1.0, 1.0]), np.array([1.0, 0.0])).tolist()
[802.0, -400.0]
"""

import numpy as np


def _rosenbrock(x, xp):
    return xp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def f(x):
    import jax.numpy as jnp

    return _rosenbrock(x, jnp)


def f_torch(x):
    import torch

    return _rosenbrock(x, torch)


def points(n, seed=0):
    """``x`` near the minimum (1, …, 1): uniform on [0.5, 1.5]ⁿ."""
    return np.random.default_rng(seed).uniform(0.5, 1.5, n)


def direction(n, seed=1):
    """The vector ``v`` of the Hessian-vector product: standard normal entries."""
    return np.random.default_rng(seed).standard_normal(n)


def gradient(x):
    g = np.zeros_like(x)
    inner = x[1:] - x[:-1] ** 2
    g[:-1] = -400.0 * x[:-1] * inner - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * inner
    return g


def hvp(x, v):
    diagonal = np.zeros_like(x)
    diagonal[:-1] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    diagonal[1:] += 200.0
    off = -400.0 * x[:-1]  # H[i, i+1] = H[i+1, i]
    result = diagonal * v
    result[:-1] += off * v[1:]
    result[1:] += off * v[:-1]
    return result
