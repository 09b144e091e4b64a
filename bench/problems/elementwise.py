"""The start-up benchmark's function, f(x) = [x0², sin(x1)], in the forms other tools need.

jaccli and the raw JAX script run ``samples/elementwise.py`` itself (the file the README's first
example uses); this module holds the same arithmetic for PyTorch (`f_torch`) and for the
finite-difference tools (`f_numpy`), and the exact Jacobian.

>>> exact_jacobian(np.array([2.0, 1.0])).round(6).tolist()
[[4.0, 0.0], [0.0, 0.540302]]
"""

from pathlib import Path

import numpy as np

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "elementwise.py"
AT = (2.0, 1.0)


def f_torch(x):
    import torch

    return torch.stack([x[0] ** 2, torch.sin(x[1])])


def f_numpy(x):
    return np.array([x[0] ** 2, np.sin(x[1])])


def exact_jacobian(x):
    return np.array([[2 * x[0], 0.0], [0.0, np.cos(x[1])]])
