"""The Broyden tridiagonal function Rⁿ → Rⁿ, a standard test problem for sparse Jacobians:

    f[i] = (3 − 2·x[i])·x[i] − x[i−1] − 2·x[i+1] + 1,   with x[−1] = x[n] = 0.

Run:
    jaccli jacobian samples/broyden.py --at -1,-1,-1,-1,-1,-1 --sparse
    jaccli info samples/broyden.py --at -1,-1,-1,-1,-1,-1 --sparse

The Jacobian is tridiagonal: 3 − 4·x[i] on the diagonal, −1 below it and −2 above it, so at
x = −1 its entries are 7, −1 and −2, and f = [−2, −1, −1, −1, −1, −3]. Columns three apart never
share a row, so three colours (three JVPs) give the whole Jacobian at any n. At n = 100 000 the
dense Jacobian would take 80 GB; save the point with NumPy and pass it as --at @x.npy (see the
README's section on sparse Jacobians).
"""

import jax.numpy as jnp


def f(x):
    padded = jnp.pad(x, 1)  # x[−1] = x[n] = 0
    return (3.0 - 2.0 * x) * x - padded[:-2] - 2.0 * padded[2:] + 1.0
