"""Local sensitivity at a point: the Jacobian, elasticities, the inputs ranked per output, and,
when asked, a perturbation's linear prediction beside its actual change and the propagated
uncertainty of the inputs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import _operations
from .._problem import (
    DEFAULT_MAX_BYTES,
    Problem,
    flat_jacobian,
    flatten,
    to_numpy,
    unflatten_jacobian,
)
from ..errors import UsageError
from ..results import SensitivityResult, count_nonfinite
from .charts import local_charts
from .perturbation import input_step, perturbation, step_columns, swings
from .ranking import check_top, names, rank, ranking, summary
from .uncertainty import uncertainty


def local_at(
    problem: Problem,
    *,
    dx: Any = None,
    rel_dx: float | None = None,
    sigma: Any = None,
    cov: Any = None,
    top: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    mode: str = "auto",
    workers: _operations.Workers | None = None,
) -> SensitivityResult:
    """Local sensitivity at the problem's point.

    Args:
        dx: a perturbation shaped like the differentiated input(s) (a dict by name for several).
        rel_dx: a relative perturbation of every input, ``dx = rel_dx·|x|``.
        sigma: standard deviations of independent inputs, shaped like ``dx``.
        cov: an ``(n, n)`` covariance matrix of the flat inputs.
        top: keep the ``top`` most influential inputs per output in rankings and charts.
        workers: where the finite differences of a function JAX cannot trace run.

    >>> from jaccli import parse_expr
    >>> from jaccli._problem import prepare
    >>> p = prepare(parse_expr("x**2 * y**3"), {"x": 2.0, "y": 1.0})
    >>> local_at(p).fields["elasticity"]
    {'x': array(2.), 'y': array(3.)}
    """
    check_local_options(problem, dx, rel_dx, sigma, cov, top)
    jac = _operations.run(problem, "jacobian", mode=mode, max_bytes=max_bytes, workers=workers)
    flat = flatten(problem)
    inputs, outputs = names(problem)
    J = flat_jacobian(problem, jac.result).astype(np.float64)
    x = np.asarray(flat.x, dtype=np.float64)
    f = np.asarray(jac.value, dtype=np.float64).reshape(flat.m)
    notes = list(jac.warnings)
    elasticity = elasticities(J, x, f, inputs, outputs, notes)
    fields = point_fields(problem, jac, elasticity)
    columns: list[tuple[str, np.ndarray]] = [("∂f/∂x", J), ("elasticity", elasticity)]
    step = input_step(problem, flat, dx, rel_dx)
    share = sigma_in = None
    if sigma is not None or cov is not None:
        fields["uncertainty"], share, sigma_in = uncertainty(
            problem, flat, J, sigma, cov, outputs, notes
        )
        columns.append(("share of Var f", share))
    order, ranked_by = local_order(J, x, step, share)
    fields["ranking"] = ranking(order, inputs, problem.out_shape == (), top)
    fields["ranking_by"] = ranked_by
    if step is not None:
        fields["perturbation"] = perturbation(problem, flat, J, f, step)
    effects, swung = swings(problem, flat, f, step if step is not None else sigma_in, max_bytes)
    if swung is not None:
        fields["one_at_a_time"] = swung
    columns += step_columns(J, step, effects)
    moved_by = "dx" if step is not None else "σ"
    return SensitivityResult(
        function=problem.info(),
        method="local",
        inputs=inputs,
        outputs=outputs,
        fields=fields,
        charts=local_charts(outputs, inputs, order, top, elasticity, J, effects, moved_by),
        header=(
            f"f = {summary(f, problem.out_shape)}",
            f"mode: {jac.mode} — {jac.mode_reason}",
            f"inputs ranked by {ranked_by}",
        ),
        columns=tuple(columns),
        order=order[:, :top] if top else order,
        dtype=problem.dtype,
        device=problem.device_name,
        warnings=tuple(notes),
        nonfinite=count_nonfinite(J) + count_nonfinite(f),
    )


def check_local_options(
    problem: Problem, dx: Any, rel_dx: float | None, sigma: Any, cov: Any, top: int | None
) -> None:
    """Refuse what a local analysis cannot do: complex values, or two ways of giving one thing."""
    labels = problem.labels
    problem.require_real("sensitivity")
    if dx is not None and rel_dx is not None:
        raise UsageError(f"give {labels('dx')} or {labels('rel_dx')}, not both")
    if sigma is not None and cov is not None:
        raise UsageError(f"give {labels('sigma')} or {labels('cov')}, not both")
    check_top(top, labels)


def point_fields(problem: Problem, jac: Any, elasticity: np.ndarray) -> dict[str, Any]:
    """The fields every local analysis reports: the point, the value, the Jacobian and how it
    was computed, and the elasticities."""
    return {
        "at": problem.at(),
        "wrt": list(problem.wrt),
        "value": to_numpy(jac.value),
        "mode": jac.mode,
        "mode_reason": jac.mode_reason,
        "result": jac.result,
        "elasticity": unflatten_jacobian(problem, elasticity),
    }


def elasticities(
    J: np.ndarray,
    x: np.ndarray,
    f: np.ndarray,
    inputs: Sequence[str],
    outputs: Sequence[str],
    notes: list[str],
) -> np.ndarray:
    """``(x_j / f_i)·∂f_i/∂x_j``: null where the output is 0, with a note on that and on inputs
    at 0, whose elasticity is 0 whatever the derivative.

    >>> elasticities(np.array([[4.0, 12.0]]), np.array([2.0, 1.0]), np.array([4.0]), "xy", "f", [])
    array([[2., 3.]])
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        elasticity = J * x[None, :] / f[:, None]
    elasticity[f == 0, :] = np.nan
    if np.any(f == 0):
        zero = [outputs[i] for i in np.flatnonzero(f == 0)]
        notes.append(
            f"elasticity is undefined where the output is 0 ({', '.join(zero[:5])}"
            f"{', …' if len(zero) > 5 else ''}): written as null; see the raw sensitivities"
        )
    if np.any(x == 0):
        zero = [inputs[j] for j in np.flatnonzero(x == 0)]
        notes.append(
            f"{', '.join(zero[:5])}{', …' if len(zero) > 5 else ''} "
            f"{'is' if len(zero) == 1 else 'are'} 0 at this point, so "
            f"{'its elasticity is' if len(zero) == 1 else 'their elasticities are'} 0 whatever "
            "the derivative; see the raw sensitivities"
        )
    return elasticity


def local_order(
    J: np.ndarray, x: np.ndarray, step: np.ndarray | None, share: np.ndarray | None
) -> tuple[np.ndarray, str]:
    """The inputs ranked per output, and by what: the variance share when there is an
    uncertainty, else the linear effect of the step, else the elasticity (raw derivatives
    break ties).

    >>> local_order(np.array([[1.0, 1.0]]), np.array([1.0, 3.0]), None, None)
    (array([[1, 0]]), 'elasticity')
    """
    if share is not None:
        return rank(share, J), "variance_share"
    if step is not None:
        return rank(J * step[None, :], J), "linear effect of dx"
    return rank(J * x[None, :], J), "elasticity"
