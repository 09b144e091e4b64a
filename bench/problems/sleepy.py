"""A black box that stands for a simulator: 20 ms of waiting (I/O, another program) per run,
then the Ishigami function. ``float(x1)`` is Python control flow on a value, so JAX cannot
trace it and jaccli evaluates it point by point (``--workers``, ``--dask``).

>>> round(f(0.0, 0.0, 0.0), 12)
0.0
"""

import time

import numpy as np

SECONDS = 0.02


def f(x1, x2, x3):
    time.sleep(SECONDS)
    if float(x1) != float(x1):  # a NaN input: a real simulator would refuse it
        raise ValueError("x1 is NaN")
    return np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
