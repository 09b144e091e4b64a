"""Complex functions: a holomorphic map and a real-valued function of a complex input.

Run:
    jaccli jacobian samples/complex_fn.py --at 1+2j
    jaccli grad samples/complex_fn.py:energy --at 3+4j

f(z) = z² + exp(z) is holomorphic, so its derivative is f'(z) = 2z + exp(z); at 1+2j that is
(2 − 1.131204) + (4 + 2.471605)j. The output says the function is treated as holomorphic.

energy(z) = |z|² is real-valued. For z = x + iy jaccli reports ∂f/∂x + i·∂f/∂y (the direction of
steepest ascent): at 3+4j that is 6+8j.
"""

import jax.numpy as jnp


def f(z):
    return z**2 + jnp.exp(z)


def energy(z):
    return jnp.abs(z) ** 2
