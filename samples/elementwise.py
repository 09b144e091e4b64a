"""An elementwise map R² → R²: f(x) = [x0², sin(x1)].

Run:
    jaccli jacobian samples/elementwise.py --at 2,1

Expect the value [4, 0.841471] and the diagonal Jacobian
    [[2·x0, 0], [0, cos(x1)]] = [[4, 0], [0, 0.540302]]
in forward mode (n = m = 2).
"""

import jax.numpy as jnp


def f(x):
    return jnp.array([x[0] ** 2, jnp.sin(x[1])])
