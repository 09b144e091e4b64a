"""Four shapes of Jacobian for the mode benchmark, each with its exact Jacobian.

* `wide`: n inputs → 4 outputs, [Σ sin xᵢ, Σ wᵢxᵢ², Σ exp(−xᵢ²/2), log Σ exp xᵢ] with
  wᵢ evenly spaced in [0.5, 1.5]. Reverse mode needs 4 VJPs, forward mode n JVPs.
* `tall`: 4 parameters → m outputs, a damped oscillation sampled at m times t,
  y(t) = x₀·exp(−x₁t)·cos(x₂t + x₃) (the times are a second, undifferentiated argument).
  Forward mode needs 4 JVPs, reverse mode m VJPs.
* `square`: n → n, sin(x)·exp(−x²/10) + cumsum(x)/n: a dense lower-triangular Jacobian.
* `near_square`: n → n − 2, the residuals of the boundary-value problem u'' = sin u + u³ on n
  grid points with both ends given, (x[i−1] − 2x[i] + x[i+1])/h² − sin x[i] − x[i]³. Reverse
  mode needs two passes fewer than forward mode.

Each function is written once for any array namespace; `wide`, `tall`, … are the JAX forms that
jaccli loads (``jaccli jacobian bench/problems/modes.py:wide --at @x.npy``), ``*_torch`` and
``*_numpy`` the same arithmetic for PyTorch and the finite-difference tools. Nothing here
imports JAX or PyTorch at module level.

>>> x = points("near_square", 6)
>>> jacobian("near_square", x).shape
(4, 6)
"""

import numpy as np

SHAPES = ("wide", "tall", "square", "near_square")
TALL_PARAMETERS = np.array([1.5, 0.8, 12.0, 0.3])


def _jnp():
    import jax.numpy as jnp

    return jnp


def _torch():
    import torch

    return torch


def _wide(x, xp):
    w = xp.linspace(0.5, 1.5, x.shape[0], dtype=x.dtype)
    top = xp.max(x)
    return xp.stack(
        [
            xp.sum(xp.sin(x)),
            xp.sum(w * x**2),
            xp.sum(xp.exp(-0.5 * x**2)),
            top + xp.log(xp.sum(xp.exp(x - top))),
        ]
    )


def _tall(x, t, xp):
    return x[0] * xp.exp(-x[1] * t) * xp.cos(x[2] * t + x[3])


def _square(x, xp):
    return xp.sin(x) * xp.exp(-0.1 * x**2) + xp.cumsum(x, 0) / x.shape[0]


def _near_square(x, xp):
    h2 = (1.0 / (x.shape[0] - 1)) ** 2
    inner = x[1:-1]
    return (x[:-2] - 2 * inner + x[2:]) / h2 - xp.sin(inner) - inner**3


def wide(x):
    return _wide(x, _jnp())


def tall(x, t):
    return _tall(x, t, _jnp())


def square(x):
    return _square(x, _jnp())


def near_square(x):
    return _near_square(x, _jnp())


def _form(arithmetic, namespace):
    """``arithmetic`` in the framework whose namespace ``namespace()`` returns."""

    def form(*args):
        return arithmetic(*args, namespace())

    return form


# jaccli reads the parameters of the JAX forms above, so they are written out; the PyTorch and
# NumPy forms are called with the arguments in order, so the same arithmetic serves them all.
_ARITHMETIC = (_wide, _tall, _square, _near_square)
wide_torch, tall_torch, square_torch, near_square_torch = (_form(a, _torch) for a in _ARITHMETIC)
wide_numpy, tall_numpy, square_numpy, near_square_numpy = (
    _form(a, lambda: np) for a in _ARITHMETIC
)


def points(shape, size, seed=0):
    """The point to differentiate at: ``x`` of ``size`` inputs (``tall``: the 4 parameters,
    with ``size`` outputs)."""
    if shape == "tall":
        return TALL_PARAMETERS.copy()
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size)


def times(size):
    """The sample times of `tall`: ``size`` of them, evenly spaced in [0, 1]."""
    return np.linspace(0.0, 1.0, size)


def jacobian(shape, x, t=None):
    """The exact Jacobian of ``shape`` at ``x`` (``t``: the times of `tall`)."""
    if shape == "wide":
        w = np.linspace(0.5, 1.5, x.size)
        softmax = np.exp(x - x.max()) / np.sum(np.exp(x - x.max()))
        return np.stack([np.cos(x), 2 * w * x, -x * np.exp(-0.5 * x**2), softmax])
    if shape == "tall":
        a, b, c, d = x
        decay, phase = np.exp(-b * t), c * t + d
        return np.stack(
            [
                decay * np.cos(phase),
                -a * t * decay * np.cos(phase),
                -a * t * decay * np.sin(phase),
                -a * decay * np.sin(phase),
            ],
            axis=1,
        )
    n = x.size
    if shape == "square":
        diagonal = np.exp(-0.1 * x**2) * (np.cos(x) - 0.2 * x * np.sin(x))
        return np.tril(np.full((n, n), 1.0 / n)) + np.diag(diagonal)
    if shape == "near_square":
        h2 = (1.0 / (n - 1)) ** 2
        inner = x[1:-1]
        rows = np.arange(n - 2)
        result = np.zeros((n - 2, n))
        result[rows, rows] = 1 / h2
        result[rows, rows + 1] = -2 / h2 - np.cos(inner) - 3 * inner**2
        result[rows, rows + 2] = 1 / h2
        return result
    raise ValueError(f"unknown shape {shape!r}")
