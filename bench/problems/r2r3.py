"""A small map R² → R³, written once for any array namespace (NumPy, JAX, PyTorch).

    f(x) = [x0·x1, sin(x0) + x1², exp(−x0)·cos(x1)]

with the Jacobian

    [[x1,                  x0                 ],
     [cos(x0),             2·x1               ],
     [−exp(−x0)·cos(x1),   −exp(−x0)·sin(x1)  ]]

`f` is the JAX form that jaccli loads (``jaccli jacobian bench/problems/r2r3.py --at 0.5,2``)
and the raw JAX script transforms; `f_torch` and `f_numpy` are the same arithmetic for
PyTorch and for the finite-difference tools. Nothing here imports JAX or PyTorch at module
level, so a tool that loads this file pays only for its own framework.

>>> import numpy as np
>>> exact_jacobian(np.array([[0.0, 1.0]]))[0].tolist()
[[1.0, 0.0], [1.0, 2.0], [-0.5403023058681398, -0.8414709848078965]]
"""

import numpy as np

N_IN = 2
N_OUT = 3


def r2r3(x, xp):
    """f(x) for one point ``x`` of shape ``(2, ...)`` with the namespace ``xp``."""
    return xp.stack([x[0] * x[1], xp.sin(x[0]) + x[1] ** 2, xp.exp(-x[0]) * xp.cos(x[1])])


def f(x):
    """The JAX form."""
    import jax.numpy as jnp

    return r2r3(x, jnp)


def f_torch(x):
    """The PyTorch form."""
    import torch

    return r2r3(x, torch)


def f_numpy(x):
    """The NumPy form; ``x`` may carry trailing axes (evaluated elementwise along them)."""
    return r2r3(x, np)


def points(n, seed=0):
    """``n`` points of shape ``(n, 2)``, uniform on [−2, 2]², from a fixed seed."""
    return np.random.default_rng(seed).uniform(-2.0, 2.0, size=(n, N_IN))


def exact_jacobian(x):
    """The analytic Jacobians of the points ``x`` (shape ``(N, 2)``), shape ``(N, 3, 2)``."""
    x0, x1 = x[:, 0], x[:, 1]
    decay = np.exp(-x0)
    rows = [
        [x1, x0],
        [np.cos(x0), 2 * x1],
        [-decay * np.cos(x1), -decay * np.sin(x1)],
    ]
    return np.stack([np.stack(row, axis=-1) for row in rows], axis=1)
