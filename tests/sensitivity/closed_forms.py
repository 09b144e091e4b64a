"""Closed forms the sensitivity tests compare against: the Ishigami function's Sobol' indices
and DGSM, and the Sobol' G function's."""

from __future__ import annotations

import math

import numpy as np

PI = math.pi
A, B = 7.0, 0.1
ISHIGAMI = f"sin(x1) + {A}*sin(x2)**2 + {B}*x3**4*sin(x1)"


def ishigami_truth() -> dict[str, np.ndarray]:
    """Closed-form Sobol' indices and DGSM of the Ishigami function on [−π, π]³."""
    v1 = B * PI**4 / 5 + B**2 * PI**8 / 50 + 0.5
    v2 = A**2 / 8
    v13 = B**2 * PI**8 / 18 - B**2 * PI**8 / 50
    variance = v1 + v2 + v13
    nu = np.array(
        [0.5 * (1 + 2 * B * PI**4 / 5 + B**2 * PI**8 / 9), A**2 / 2, 8 * B**2 * PI**6 / 7]
    )
    return {
        "S1": np.array([v1, v2, 0.0]) / variance,
        "ST": np.array([v1 + v13, v2, v13]) / variance,
        "vi": nu,
        "dgsm": (2 * PI) ** 2 / PI**2 * nu / variance,
    }


G_A = (0.0, 1.0, 4.5, 9.0)


def g_truth() -> dict[str, np.ndarray]:
    """Closed forms for the Sobol' G function ∏ (|4xᵢ − 2| + aᵢ)/(1 + aᵢ) on [0, 1]⁴."""
    a = np.array(G_A)
    partial = 1 / (3 * (1 + a) ** 2)
    variance = np.prod(1 + partial) - 1
    others = np.array([np.prod(np.delete(1 + partial, i)) for i in range(len(a))])
    vi = 16 / (1 + a) ** 2 * others
    return {
        "S1": partial / variance,
        "ST": partial * others / variance,
        "vi": vi,
        "dgsm": vi / PI**2 / variance,
    }


G_EXPR = " * ".join(f"(abs(4*x{i} - 2) + {a})/(1 + {a})" for i, a in enumerate(G_A))


def within(estimate, conf, truth, slack: float = 2.0) -> None:
    """Every estimate within ``slack`` half-widths of the truth. A 95% interval misses one time
    in twenty, so a test of many estimates at one seed checks twice the half-width (beyond it:
    about 1 in 500 on t's 7 degrees of freedom); test_interval_coverage.py counts the misses
    over many seeds."""
    estimate, conf, truth = (np.asarray(v, dtype=float) for v in (estimate, conf, truth))
    assert np.all(np.abs(estimate - truth) <= slack * conf), (estimate, conf, truth)
