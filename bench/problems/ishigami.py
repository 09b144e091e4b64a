"""The Ishigami function on [−π, π]³, for the small global-analysis benchmark.

    f(x) = sin x₁ + A sin² x₂ + B x₃⁴ sin x₁,   A = 7, B = 0.1

Its Sobol' indices and DGSM have closed forms (Sobol' and Kucherenko 2009), so each tool's
accuracy is shown beside its time. `f` is the JAX form jaccli loads (``jaccli sensitivity
bench/problems/ishigami.py --at 0,0,0 --bounds x=-pi:pi``); `f_numpy` the same arithmetic on
the rows of an ``(M, 3)`` array, for SALib. Nothing here imports JAX at module level.

>>> truth = exact()
>>> bool(np.all(truth["dgsm"] >= truth["ST"]))     # DGSM bounds the total index
True
"""

import math

import numpy as np

N_IN = 3
A, B = 7.0, 0.1
LOW, HIGH = -math.pi, math.pi


def ishigami(x1, x2, x3, xp):
    return xp.sin(x1) + A * xp.sin(x2) ** 2 + B * x3**4 * xp.sin(x1)


def f(x):
    """The JAX form: one point ``x`` of shape ``(3,)`` to a scalar."""
    import jax.numpy as jnp

    return ishigami(x[0], x[1], x[2], jnp)


def f_numpy(x):
    """The NumPy form: the rows of ``x`` (``(M, 3)``) to ``(M,)`` values."""
    x = np.asarray(x)
    return ishigami(x[:, 0], x[:, 1], x[:, 2], np)


def exact() -> dict[str, np.ndarray]:
    """The closed forms: first-order and total Sobol' indices, ν_i = E[(∂f/∂x_i)²] and DGSM."""
    pi = math.pi
    v1 = B * pi**4 / 5 + B**2 * pi**8 / 50 + 0.5
    v2 = A**2 / 8
    v13 = B**2 * pi**8 / 18 - B**2 * pi**8 / 50
    variance = v1 + v2 + v13
    nu = np.array(
        [0.5 * (1 + 2 * B * pi**4 / 5 + B**2 * pi**8 / 9), A**2 / 2, 8 * B**2 * pi**6 / 7]
    )
    return {
        "S1": np.array([v1, v2, 0.0]) / variance,
        "ST": np.array([v1 + v13, v2, v13]) / variance,
        "vi": nu,
        "dgsm": (HIGH - LOW) ** 2 / pi**2 * nu / variance,
    }
