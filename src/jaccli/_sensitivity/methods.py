"""The analyses ``sensitivity`` offers and what each global method reports: its sample sizes,
its indices (estimate and confidence half-width) and the index that ranks the inputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

METHODS = ("local", "dgsm", "sobol", "morris")
DEFAULT_SAMPLES = {"dgsm": 4096, "sobol": 1024, "morris": 100}
MAX_SAMPLES = 10**8
CONF_LEVEL = 0.95
RESAMPLES = 1000
MORRIS_LEVELS = 4
INDEX_KEYS = {
    "dgsm": ("vi", "vi_conf", "dgsm", "dgsm_conf"),
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "sigma", "mu"),
}
RANKED_BY = {"dgsm": "dgsm", "sobol": "ST", "morris": "mu_star"}

# The function (``"value"``) or its values and Jacobians (``"jacobian"``) at every row of a
# sample of flat points: ``(values (N, m), Jacobians (N, m, n) or None)``.
Evaluate = Callable[[str, np.ndarray], tuple[np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class Estimate:
    """A global method's result on its sample: the function's values there ``(N, m)``, the
    indices by key (each ``(m, n)``), how many evaluations it took, how it sampled, how its
    confidence intervals were found (None: it has none), and over how many independently
    scrambled replicates (None when not by replicates)."""

    values: np.ndarray
    indices: dict[str, np.ndarray]
    evaluations: int
    sampling: str
    interval: str | None
    replicates: int | None = None
