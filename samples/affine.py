"""An affine map A·x + b and a ReLU layer ReLU(A·x + b), R² → R³.

Run:
    jaccli jacobian samples/affine.py --at 1,2
    jaccli jacobian samples/affine.py:relu_layer --at 1,2

Expect A itself for the affine map, [[1, 2], [3, 4], [5, 6]], whatever the point. For the ReLU
layer at (1, 2), A·x + b = [5, -11, 18]: the second unit is off, so its row is zero:
[[1, 2], [0, 0], [5, 6]].
"""

import jax.numpy as jnp

A = jnp.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
b = jnp.array([0.0, -22.0, 1.0])


def f(x):
    return A @ x + b


def relu_layer(x):
    return jnp.maximum(A @ x + b, 0.0)
