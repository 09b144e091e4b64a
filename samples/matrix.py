"""A function of a matrix: f(W) = W·c for a 3×4 matrix W and a fixed c = [1, 2, 3, 4].

Run:
    jaccli jacobian samples/matrix.py --at '[[1,0,0,0],[0,1,0,0],[0,0,1,0]]'

The Jacobian has JAX's layout, output shape + input shape = (3, 3, 4):
∂f_i/∂W_kl = δ_ik · c_l, so row i of the table holds c in the columns W[i,0..3], zeros elsewhere.
"""

import jax.numpy as jnp

c = jnp.array([1.0, 2.0, 3.0, 4.0])


def f(W):
    return W @ c
