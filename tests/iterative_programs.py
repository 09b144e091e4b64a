"""Real JAX programs that reverse mode cannot differentiate (while loops, a fori_loop with
dynamic bounds, custom rules without a transpose) and controls that it can, with closed forms.

Shared by the tests of the mode choice; the command-line tests name this file as FUNC.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def newton_sqrt(a):
    """sqrt(a) by Newton's method in a while_loop."""
    return lax.while_loop(lambda x: jnp.abs(x * x - a) > 1e-13 * a, lambda x: 0.5 * (x + a / x), a)


def newton_sqrt_vector(a):
    """The square root of each entry of a, by Newton's method (a while_loop per entry)."""
    return jax.vmap(newton_sqrt)(a)


def kepler(M, e):
    """The eccentric anomaly E of Kepler's equation E - e sin E = M, by Newton's method."""

    def body(state):
        E, i = state
        return E - (E - e * jnp.sin(E) - M) / (1 - e * jnp.cos(E)), i + 1

    def cond(state):
        E, i = state
        return (jnp.abs(E - e * jnp.sin(E) - M) > 1e-15) & (i < 50)

    return lax.while_loop(cond, body, (M, 0))[0]


def taylor_exp(x):
    """The sum of exp(x_i) by the series, with as many terms as |x_i| needs (a fori_loop with
    dynamic bounds)."""

    def one(xi):
        terms = (jnp.floor(jnp.abs(xi)) + 30).astype(jnp.int32)

        def body(k, s):
            return s[0] + s[1] * xi / k, s[1] * xi / k

        return lax.fori_loop(1, terms, body, (1.0, 1.0))[0]

    return jnp.sum(jax.vmap(one)(x))


@jax.custom_jvp
def fixed_point(a):
    """x = cos(a x), by iteration; its tangent by iteration too (a while_loop: no transpose)."""
    return _iterate(lambda x: jnp.cos(a * x), jnp.ones_like(a))


@fixed_point.defjvp
def _fixed_point_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    x = fixed_point(a)
    s = jnp.sin(a * x)
    return x, _iterate(lambda u: -s * (x * t + a * u), jnp.zeros_like(a))


def _iterate(step, start):
    def cond(state):
        u, i = state
        return (jnp.abs(step(u) - u) > 1e-15) & (i < 200)

    return lax.while_loop(cond, lambda state: (step(state[0]), state[1] + 1), (start, 0))[0]


def custom_root_sqrt(a):
    """sqrt(a) by Newton's method inside lax.custom_root: reverse mode works."""

    def newton(f, x0):
        return lax.while_loop(lambda x: jnp.abs(f(x)) > 1e-13, lambda x: x - f(x) / (2 * x), x0)

    return lax.custom_root(lambda x: x * x - a, a, newton, lambda g, y: y / g(1.0))


# Closed forms: (gradient, Hessian) at a point, from the equations the programs solve.
def sqrt_truth(a):
    return 0.5 / np.sqrt(a), -0.25 * a**-1.5


def kepler_truth(M, e):
    E = M
    for _ in range(60):
        E = E - (E - e * np.sin(E) - M) / (1 - e * np.cos(E))
    s, c = np.sin(E), np.cos(E)
    D = 1 - e * c
    E_M, E_e = 1 / D, s / D
    D_M, D_e = e * s * E_M, -c + e * s * E_e  # dD/dM and dD/de along the solution
    E_MM = -D_M / D**2
    E_Me = -D_e / D**2
    E_ee = c * E_e / D - s * D_e / D**2
    return np.array([E_M, E_e]), np.array([[E_MM, E_Me], [E_Me, E_ee]])


def fixed_point_truth(a):
    """dx/da of x = cos(a x): implicit differentiation."""
    x = 1.0
    for _ in range(500):
        x = np.cos(a * x)
    return -np.sin(a * x) * x / (1 + a * np.sin(a * x))
