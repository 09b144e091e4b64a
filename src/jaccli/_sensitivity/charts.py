"""The charts' data, one panel per output with the inputs most influential first: a tornado for
a local analysis, bars with confidence intervals for a global one."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..results import Chart

# Per method: the bars drawn, as (legend, index key, key of its confidence half-width or None).
GLOBAL_BARS = {
    "dgsm": (("DGSM", "dgsm", "dgsm_conf"),),
    "sobol": (("S1", "S1", "S1_conf"), ("ST", "ST", "ST_conf")),
    "morris": (("μ*", "mu_star", "mu_star_conf"), ("σ", "sigma", None)),
}
GLOBAL_MEASURES = {
    "dgsm": "DGSM (an upper bound on the total Sobol' index)",
    "sobol": "Sobol' index (first order S1, total ST)",
    "morris": "Morris elementary effects (μ*, σ)",
}


def local_charts(
    outputs: Sequence[str],
    inputs: Sequence[str],
    order: np.ndarray,
    top: int | None,
    elasticity: np.ndarray,
    J: np.ndarray,
    effects: tuple[np.ndarray, np.ndarray] | None,
    moved_by: str,
) -> tuple[Chart, ...]:
    """Per output, a tornado of the one-at-a-time swings when there are any (the inputs moved
    by ∓``moved_by``), else of the elasticities, else of the raw derivatives.

    >>> J = np.array([[2.0, 3.0]])
    >>> local_charts(["f"], ["x", "y"], np.array([[1, 0]]), None, J, J, None, "dx")[0].labels
    ('y', 'x')
    """
    charts = []
    for i, name in enumerate(outputs):
        keep = order[i, :top]
        labels = tuple(inputs[j] for j in keep)
        if effects is not None:
            series = (
                (f"x − {moved_by}", effects[0][i, keep]),
                (f"x + {moved_by}", effects[1][i, keep]),
            )
            measure = f"change of {name} when one input moves by ∓{moved_by}"
        elif np.all(np.isfinite(elasticity[i])):
            series = (("elasticity", elasticity[i, keep]),)
            measure = f"elasticity of {name} (% change per 1% change of the input)"
        else:
            series = (("∂f/∂x", J[i, keep]),)
            measure = f"∂{name}/∂x"
        charts.append(Chart(name, "tornado", measure, labels, series))
    return tuple(charts)


def global_charts(
    method: str,
    outputs: Sequence[str],
    inputs: Sequence[str],
    order: np.ndarray,
    top: int | None,
    indices: dict[str, np.ndarray],
) -> tuple[Chart, ...]:
    """Per output, bars of the method's indices with their confidence half-widths.

    >>> dgsm = {"dgsm": np.array([[0.2, 0.7]]), "dgsm_conf": np.array([[0.01, 0.02]])}
    >>> global_charts("dgsm", ["f"], ["x", "y"], np.array([[1, 0]]), None, dgsm)[0].labels
    ('y', 'x')
    """
    shown = GLOBAL_BARS[method]
    charts = []
    for i, name in enumerate(outputs):
        keep = order[i, :top]
        charts.append(
            Chart(
                name,
                "bars",
                GLOBAL_MEASURES[method],
                tuple(inputs[j] for j in keep),
                tuple((label, indices[key][i, keep]) for label, key, _ in shown),
                tuple(indices[conf][i, keep] if conf else None for _, _, conf in shown),
            )
        )
    return tuple(charts)
