"""The Rosenbrock function in n dimensions: Σ 100·(x[i+1] − x[i]²)² + (1 − x[i])².

Run:
    jaccli grad samples/rosenbrock.py --at -1.2,1
    jaccli hessian samples/rosenbrock.py --at 1,1

At the classic start (−1.2, 1) the gradient is (−215.6, −88). At the minimum (1, 1) the gradient
is zero and the Hessian is [[802, −400], [−400, 200]].
"""

import jax.numpy as jnp


def f(x):
    return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)
