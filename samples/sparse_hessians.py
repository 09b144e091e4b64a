"""Scalar functions with sparse Hessians, for ``hessian --sparse``.

Run:
    jaccli hessian samples/sparse_hessians.py:arrowhead --at 1,2,3,4 --sparse
    jaccli hessian samples/sparse_hessians.py:chain --at 1,1,1,1,1 --sparse --check

`arrowhead` is x[0]·Σx + Σx⁴: its Hessian has one dense row and column (1 off the diagonal) and
the diagonal 12·x[i]², plus 2 at [0, 0] — [[14, 1, 1, 1], [1, 48, 0, 0], [1, 0, 108, 0],
[1, 0, 0, 192]] at (1, 2, 3, 4). A star colouring needs 2 colours (2 HVPs) at any n; colouring
the columns of the gradient's Jacobian would need n.

`chain` is the chained Rosenbrock function Σ(x[i+1] − x[i]²)² + Σ(1 − x[i])²: tridiagonal, 3
colours. At x = 1 its diagonal is (10, 12, 12, 12, 4) and every off-diagonal entry is −4.

`five_band` is Σ x[i]²·x[i+1] + Σ x[i]·x[i+2]³: pentadiagonal, 5 colours.
"""

import jax.numpy as jnp


def arrowhead(x):
    return x[0] * jnp.sum(x) + jnp.sum(x**4)


def chain(x):
    return jnp.sum((x[1:] - x[:-1] ** 2) ** 2) + jnp.sum((1.0 - x) ** 2)


def five_band(x):
    return jnp.sum(x[:-1] ** 2 * x[1:]) + jnp.sum(x[:-2] * x[2:] ** 3)
