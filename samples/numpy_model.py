"""A model written with plain NumPy, R² → R³: f(x) = [x1·sin(x0), exp(w·x), x0² + x1²].

Run:
    jaccli jacobian samples/numpy_model.py --at 0.5,2

The file imports NumPy only. jaccli runs its NumPy calls (np.sin, np.dot, np.exp, np.sum,
np.array) through jax.numpy wherever the input flows, so the output assembled with
np.array([...]) keeps its derivatives. With w = [1, −0.5], by hand:
    ∂f/∂x = [[x1·cos(x0), sin(x0)], [exp(w·x)·w0, exp(w·x)·w1], [2·x0, 2·x1]]
which at x = (0.5, 2), where w·x = −0.5, is
    [[1.755165, 0.479426], [0.606531, −0.303265], [1, 4]].
"""

import numpy as np

w = np.array([1.0, -0.5])


def f(x):
    return np.array([x[1] * np.sin(x[0]), np.exp(np.dot(w, x)), np.sum(x**2)])
