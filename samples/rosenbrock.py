"""The Rosenbrock function in n dimensions: Σ 100·(x[i+1] − x[i]²)² + (1 − x[i])².

Run:
    jaccli grad samples/rosenbrock.py --at -1.2,1
    jaccli hessian samples/rosenbrock.py --at 1,1
    jaccli jacobian samples/rosenbrock.py:residuals --at -1.2,1,-1.2,1 --sparse

At the classic start (−1.2, 1) the gradient is (−215.6, −88). At the minimum (1, 1) the gradient
is zero and the Hessian is [[802, −400], [−400, 200]].

`residuals` is the extended Rosenbrock function (n even), whose sum of squares is f for n = 2:
f[2k] = 10·(x[2k+1] − x[2k]²) and f[2k+1] = 1 − x[2k]. Its Jacobian has the blocks
[[−20·x[2k], 10], [−1, 0]] on the diagonal — [[24, 10], [−1, 0]] at the start — and needs
two colours (two JVPs) at any n.
"""

import jax.numpy as jnp


def f(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def residuals(x):
    first, second = x[0::2], x[1::2]
    return jnp.stack([10.0 * (second - first**2), 1.0 - first], axis=1).reshape(-1)
