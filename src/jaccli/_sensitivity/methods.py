"""The analyses ``sensitivity`` offers and what each global method reports: its sample sizes,
its indices (estimate and confidence half-width) and the index that ranks the inputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

METHODS = ("local", "dgsm", "sobol", "morris", "active-subspace")
# The command line's spelling of a method, and the key it has in the JSON and below.
METHOD_KEYS = {"active-subspace": "active_subspace"}
DEFAULT_SAMPLES = {"dgsm": 4096, "sobol": 1024, "morris": 100, "active_subspace": 4096}
MAX_SAMPLES = 10**8
CONF_LEVEL = 0.95
RESAMPLES = 1000
# Each resample of an active subspace forms and decomposes an n × n matrix from N gradients
# (N·n² work), so it takes fewer than Morris's resamples of means.
SUBSPACE_RESAMPLES = 200
MORRIS_LEVELS = 4
INDEX_KEYS = {
    "dgsm": ("vi", "vi_conf", "dgsm", "dgsm_conf"),
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "sigma", "mu"),
    "active_subspace": (
        "eigenvalues",
        "eigenvectors",
        "eigenvalues_conf",
        "subspace_error",
        "dimension",
        "activity_scores",
    ),
}
# The methods whose intervals do not come from replicated sequences, and why.
NOT_REPLICATED = {
    "morris": "Morris trajectories are independent already, and its intervals come from "
    "resampling them",
    "active_subspace": "an active subspace's intervals come from a bootstrap of its gradients",
}


RANKED_BY = {
    "dgsm": "dgsm",
    "sobol": "ST",
    "morris": "mu_star",
    "active_subspace": "activity_scores",
}

# The function (``"value"``) or its values and Jacobians (``"jacobian"``) at every row of a
# sample of flat points: ``(values (N, m), Jacobians (N, m, n) or None)``.
Evaluate = Callable[[str, np.ndarray], tuple[np.ndarray, np.ndarray | None]]


@dataclass(frozen=True)
class Estimate:
    """A global method's result on its sample: the function's values there ``(N, m)``, the
    indices by key (each ``(m, n)``, or ``(m, ...)`` for an active subspace), how many
    evaluations it took, how it sampled, how its confidence intervals were found (None: it has
    none), and over how many independently scrambled replicates (None when not by replicates).
    A method whose charts are not bars of its indices brings its own ``charts``, and one whose
    indices are not all per input brings the per-input ``columns`` of its table."""

    values: np.ndarray
    indices: dict[str, Any]
    evaluations: int
    sampling: str
    interval: str | None
    replicates: int | None = None
    charts: tuple[Any, ...] = ()
    columns: tuple[tuple[str, np.ndarray], ...] = ()


def sample_points(method: str, samples: int | None, n: int, black_box: bool = False) -> int:
    """How many points a global method evaluates for ``n`` inputs (the progress bar's total):
    Sobol' N·(n+2), Morris N·(n+1), DGSM N gradients, or N·(2n+1) values for a function JAX
    cannot trace (central differences).

    >>> sample_points("sobol", 256, 3), sample_points("dgsm", 16, 2, black_box=True)
    (1280, 80)
    """
    method = METHOD_KEYS.get(method, method)
    count = DEFAULT_SAMPLES.get(method, 0) if samples is None else samples
    extra = {"sobol": n + 2, "morris": n + 1}.get(method, 2 * n + 1 if black_box else 1)
    return count * extra
