"""A smooth 100-input function with interactions and closed-form DGSM, for the DGSM benchmark.

    f(x) = exp(c · x) = Π_j exp(c_j x_j),   c_j = 2 / (j + 1)  (j = 0 … n−1),   x ~ U[0, 1]ⁿ

The inputs interact (f is a product, not a sum), their importance falls off like 1/j, and the
exponent stays moderate (c · x ≤ 2·H₁₀₀ ≈ 10.4, so f ≤ 3.2·10⁴). With the moments of one factor,

    m₁(c) = E[e^{cX}] = (e^c − 1)/c,     m₂(c) = E[e^{2cX}] = (e^{2c} − 1)/(2c),   X ~ U[0, 1],

and ∂f/∂x_i = c_i f, everything the benchmark checks has a closed form:

    ν_i    = E[(∂f/∂x_i)²] = c_i² E[f²] = c_i² Π_j m₂(c_j)
    Var f  = Π_j m₂(c_j) − (Π_j m₁(c_j))²
    DGSM_i = ν_i (b − a)² / (π² Var f) = ν_i / (π² Var f)        (Sobol' & Kucherenko 2009)
    S_Ti   = (m₂(c_i) − m₁(c_i)²) Π_{j≠i} m₂(c_j) / Var f        (total Sobol' index, ≤ DGSM_i)

`f` is the JAX form that jaccli loads (``jaccli sensitivity bench/problems/dgsm100.py --at
@zeros100.npy --bounds x=0:1 --method dgsm``): the length of ``x`` fixes n, so one file serves
any ``--inputs``. `f_numpy` is the same arithmetic on the rows of an ``(M, n)`` array, for
SALib's finite differences. Nothing here imports JAX at module level.

>>> nu = exact_vi(100)
>>> round(float(nu[0] / nu[1]), 12)     # ν_i ∝ c_i²
4.0
>>> bool(np.all(exact_dgsm(100) >= total_sobol(100)))     # DGSM bounds the total index
True
"""

import numpy as np

N_IN = 100
SCALE = 2.0
LOW, HIGH = 0.0, 1.0


def coefficients(n, xp=np):
    """c_j = 2 / (j + 1) for j = 0 … n−1."""
    return SCALE / (xp.arange(n) + 1.0)


def dgsm100(x, xp):
    """exp(x · c) for one point ``(n,)`` or the rows of ``(M, n)``, with the namespace ``xp``."""
    return xp.exp(x @ coefficients(x.shape[-1], xp))


def f(x):
    """The JAX form: one point ``x`` of shape ``(n,)`` to a scalar."""
    import jax.numpy as jnp

    return dgsm100(x, jnp)


def f_numpy(x):
    """The NumPy form: the rows of ``x`` (``(M, n)``) to ``(M,)`` values."""
    return dgsm100(np.asarray(x), np)


def _moment(k, c):
    """E[exp(k c X)] for X ~ U[0, 1]: (e^{kc} − 1)/(kc)."""
    return np.expm1(k * c) / (k * c)


def mean_square(n):
    """E[f²] = Π_j m₂(c_j)."""
    return float(np.prod(_moment(2, coefficients(n))))


def variance(n):
    """Var f = Π_j m₂(c_j) − (Π_j m₁(c_j))²."""
    return mean_square(n) - float(np.prod(_moment(1, coefficients(n)))) ** 2


def exact_vi(n):
    """ν_i = E[(∂f/∂x_i)²] = c_i² E[f²], shape ``(n,)``."""
    return coefficients(n) ** 2 * mean_square(n)


def exact_dgsm(n):
    """The normalised measure ν_i (b − a)² / (π² Var f), shape ``(n,)``."""
    return exact_vi(n) * (HIGH - LOW) ** 2 / (np.pi**2 * variance(n))


def total_sobol(n):
    """The total Sobol' indices S_Ti, shape ``(n,)`` (DGSM_i is an upper bound on each)."""
    c = coefficients(n)
    m1, m2 = _moment(1, c), _moment(2, c)
    return (m2 - m1**2) * (mean_square(n) / m2) / variance(n)


def sample_vi(points):
    """The estimator of ν_i with exact gradients on given points ``(M, n)``: c_i² mean(f²).

    The same points and the same mean as a tool's estimate, without its differentiation error:
    comparing the two isolates the error of the derivatives from the error of the sample.
    """
    points = np.asarray(points, dtype=np.float64)
    return coefficients(points.shape[1]) ** 2 * float(np.mean(f_numpy(points) ** 2))
