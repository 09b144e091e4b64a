"""Kepler's equation E − e·sin E = M, solved for the eccentric anomaly E by Newton's method.

Run:
    jaccli grad samples/kepler.py --at 1,0.1
    jaccli hessian samples/kepler.py --at 1,0.1

The solve is a `lax.while_loop`, which reverse mode cannot differentiate: `grad` and `hessian`
take forward mode instead and say so in the mode's reason (`--mode rev` is refused with a hint
to use `--mode fwd`). The implicit function theorem gives the truth: with D = 1 − e·cos E,
∂E/∂M = 1/D and ∂E/∂e = sin E/D; at M = 1, e = 0.1, E = 1.0885977523978936.
"""

import jax.numpy as jnp
from jax import lax


def f(M, e):
    def unsolved(state):
        E, steps = state
        return (jnp.abs(E - e * jnp.sin(E) - M) > 1e-15) & (steps < 50)

    def newton(state):
        E, steps = state
        return E - (E - e * jnp.sin(E) - M) / (1 - e * jnp.cos(E)), steps + 1

    E, _ = lax.while_loop(unsolved, newton, (M, 0))
    return E
