"""The Ishigami function, the standard test of global sensitivity analysis.

Run:
    jaccli sensitivity samples/ishigami.py --bounds=-pi:pi --method sobol
    jaccli sensitivity samples/ishigami.py --bounds=-pi:pi --method dgsm
    jaccli sensitivity samples/ishigami.py --bounds=-pi:pi --method morris

f = sin x1 + a·sin² x2 + b·x3⁴·sin x1 with a = 7, b = 0.1, every input uniform on [−π, π].
Its Sobol' indices are known exactly: first order 0.314, 0.442, 0 and total 0.558, 0.442, 0.244.
x3 matters only through its interaction with x1. DGSM, from AD gradients, gives
ν = E[(∂f/∂x)²] = 7.72, 24.5, 10.99.
"""

import jax.numpy as jnp

A, B = 7.0, 0.1


def f(x1, x2, x3):
    return jnp.sin(x1) + A * jnp.sin(x2) ** 2 + B * x3**4 * jnp.sin(x1)
