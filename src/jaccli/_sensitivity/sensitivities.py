"""Sensitivity analysis (SPEC §9): which inputs matter, and by how much.

Local, at a point: the Jacobian, elasticities, inputs ranked per output, the linear prediction of
a perturbation beside the actual change, and the propagation of input uncertainty ``J Σ Jᵀ``.
Global, over input distributions: DGSM from AD gradients on a scrambled Sobol' sample with
bootstrap confidence intervals, and Sobol' and Morris indices from SALib (an optional extra) with
jaccli evaluating the function on the whole sample in vectorised chunks.

Everything works on the flat view of the problem (`jaccli._problem.flatten`): n named inputs, m named
outputs. The JSON fields keep JAX's layout (``output_shape + input_shape``) like ``jacobian``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import _operations
from .._load.bounds import Distribution
from .._operations.scaleout import ScaleOut
from .._problem import (
    DEFAULT_MAX_BYTES,
    Flat,
    Problem,
    bind_tangent,
    flat_jacobian,
    flatten,
    format_shape,
    guard_size,
    prepare,
    to_numpy,
    unflatten_jacobian,
)
from ..errors import MissingExtraError, ShapeError, UsageError
from ..results import Chart, SensitivityResult, count_nonfinite, input_labels, output_labels

METHODS = ("local", "dgsm", "sobol", "morris")
DEFAULT_SAMPLES = {"dgsm": 4096, "sobol": 1024, "morris": 100}
MAX_SAMPLES = 10**8
CONF_LEVEL = 0.95
RESAMPLES = 1000
MORRIS_LEVELS = 4
# One-at-a-time effects (the tornado chart) cost 2n evaluations; beyond this, the linear ones.
MAX_ONE_AT_A_TIME = 4096
INDEX_KEYS = {
    "dgsm": ("vi", "vi_conf", "dgsm", "dgsm_conf"),
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "sigma", "mu"),
}
RANKED_BY = {"dgsm": "dgsm", "sobol": "ST", "morris": "mu_star"}


def _z() -> float:
    from scipy.special import ndtri

    return float(ndtri(0.5 + CONF_LEVEL / 2))


def _names(problem: Problem) -> tuple[tuple[str, ...], tuple[str, ...]]:
    at = problem.at()
    return tuple(input_labels(problem.wrt, at)), tuple(output_labels(problem.out_shape))


def _rank(*keys: np.ndarray) -> np.ndarray:
    """Per row, column indices from the largest key to the smallest (later keys break ties)."""
    keys = tuple(np.nan_to_num(np.abs(k), nan=-1.0) for k in keys)
    return np.lexsort(tuple(-k for k in reversed(keys)), axis=-1)


def _ranking(order: np.ndarray, inputs: Sequence[str], scalar: bool, top: int | None) -> Any:
    lists = [[inputs[j] for j in row[:top]] for row in order]
    return lists[0] if scalar else lists


def _evaluate(fn: Callable[[Any], Any], problem: Problem, x: np.ndarray) -> np.ndarray:
    import jax.numpy as jnp

    return np.asarray(problem.run(lambda: fn(jnp.asarray(x))), dtype=np.float64).ravel()


# --- local ------------------------------------------------------------------------------------


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
) -> SensitivityResult:
    """Local sensitivity at the problem's point.

    Args:
        dx: a perturbation shaped like the differentiated input(s) (a dict by name for several).
        rel_dx: a relative perturbation of every input, ``dx = rel_dx·|x|``.
        sigma: standard deviations of independent inputs, shaped like ``dx``.
        cov: an ``(n, n)`` covariance matrix of the flat inputs.
        top: keep the ``top`` most influential inputs per output in rankings and charts.

    >>> from jaccli import parse_expr
    >>> p = prepare(parse_expr("x**2 * y**3"), {"x": 2.0, "y": 1.0})
    >>> local_at(p).fields["elasticity"]
    {'x': array(2.), 'y': array(3.)}
    """
    problem.require_real("sensitivity")
    if dx is not None and rel_dx is not None:
        raise UsageError("give --dx or --rel-dx, not both")
    if sigma is not None and cov is not None:
        raise UsageError("give --sigma or --cov, not both")
    if top is not None and top < 1:
        raise UsageError(f"--top must be at least 1, got {top}")
    jac = _operations.run(problem, "jacobian", mode=mode, max_bytes=max_bytes)
    flat = flatten(problem)
    inputs, outputs = _names(problem)
    n, m = flat.n, flat.m
    J = flat_jacobian(problem, jac.result).astype(np.float64)
    x = np.asarray(flat.x, dtype=np.float64)
    f = np.asarray(jac.value, dtype=np.float64).reshape(m)
    notes = list(jac.warnings)
    layout = functools.partial(unflatten_jacobian, problem)

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

    fields: dict[str, Any] = {
        "at": problem.at(),
        "wrt": list(problem.wrt),
        "value": to_numpy(jac.value),
        "mode": jac.mode,
        "mode_reason": jac.mode_reason,
        "result": jac.result,
        "elasticity": layout(elasticity),
    }
    columns: list[tuple[str, np.ndarray]] = [("∂f/∂x", J), ("elasticity", elasticity)]
    step = _step(problem, flat, dx, rel_dx)
    share = sigma_in = None
    if sigma is not None or cov is not None:
        covariance, independent = _covariance(problem, flat, sigma, cov)
        sigma_in = np.sqrt(np.diag(covariance))
        uncertainty, share = _propagate(J, covariance, independent, outputs, notes)
        fields["uncertainty"] = {
            "sigma_in": _input_layout(problem, flat, sigma_in),
            "cov_out": uncertainty["cov_out"].reshape(problem.out_shape * 2),
            "sigma_out": uncertainty["sigma_out"].reshape(problem.out_shape),
            "variance_share": layout(share),
        }
        columns.append(("share of Var f", share))

    if share is not None:
        order, ranked_by = _rank(share, J), "variance_share"
    elif step is not None:
        order, ranked_by = _rank(J * step[None, :], J), "linear effect of dx"
    else:
        order, ranked_by = _rank(J * x[None, :], J), "elasticity"
    fields["ranking"] = _ranking(order, inputs, problem.out_shape == (), top)
    fields["ranking_by"] = ranked_by

    if step is not None:
        predicted = J @ step
        actual = _evaluate(flat.fn, problem, x + step) - f
        fields["perturbation"] = {
            "dx": _input_layout(problem, flat, step),
            "predicted": predicted.reshape(problem.out_shape),
            "actual": actual.reshape(problem.out_shape),
            "linearization_error": (actual - predicted).reshape(problem.out_shape),
        }
        columns.append(("J·dx", J * step[None, :]))

    swing = step if step is not None else sigma_in
    effects = None
    if swing is not None and n <= MAX_ONE_AT_A_TIME:
        effects = _one_at_a_time(problem, flat, x, f, swing, max_bytes)
        fields["one_at_a_time"] = {
            "step": _input_layout(problem, flat, swing),
            "down": layout(effects[0]),
            "up": layout(effects[1]),
        }
    charts = _local_charts(outputs, inputs, order, top, elasticity, J, effects, step, sigma_in)
    bad = count_nonfinite(J) + count_nonfinite(f)
    header = (
        f"f = {_short(f, problem.out_shape)}",
        f"mode: {jac.mode} — {jac.mode_reason}",
        f"inputs ranked by {ranked_by}",
    )
    return SensitivityResult(
        function=problem.info(),
        method="local",
        inputs=inputs,
        outputs=outputs,
        fields=fields,
        charts=charts,
        header=header,
        columns=tuple(columns),
        order=order[:, :top] if top else order,
        dtype=problem.dtype,
        device=problem.device_name,
        warnings=tuple(notes),
        nonfinite=bad,
    )


def _short(values: np.ndarray, shape: tuple[int, ...]) -> str:
    shown = ", ".join(f"{v:.6g}" for v in values[:8])
    return shown if shape == () else f"[{shown}{', …' if values.size > 8 else ''}]"


def _flat_vector(problem: Problem, flat: Flat, value: Any, option: str) -> np.ndarray:
    """A value shaped like the differentiated inputs (one, or a dict/tuple for several), flat."""
    from jax.flatten_util import ravel_pytree

    parts = bind_tangent(problem, value, option)
    vector, _ = ravel_pytree(tuple(parts))
    vector = np.asarray(vector)
    if np.iscomplexobj(vector):
        raise ShapeError(f"{option} must be real")
    return vector.astype(np.float64).reshape(flat.n)


def _input_layout(problem: Problem, flat: Flat, vector: np.ndarray) -> Any:
    return problem.keyed(flat.unravel(np.asarray(vector, dtype=flat.x.dtype)))


def _step(problem: Problem, flat: Flat, dx: Any, rel_dx: float | None) -> np.ndarray | None:
    if dx is not None:
        step = _flat_vector(problem, flat, dx, "--dx")
    elif rel_dx is not None:
        if not math.isfinite(rel_dx) or rel_dx == 0:
            raise UsageError(f"--rel-dx must be a finite non-zero number, got {rel_dx!r}")
        step = rel_dx * np.abs(np.asarray(flat.x, dtype=np.float64))
    else:
        return None
    if not np.all(np.isfinite(step)):
        raise UsageError("--dx must be finite")
    return step


def _covariance(problem: Problem, flat: Flat, sigma: Any, cov: Any) -> tuple[np.ndarray, bool]:
    n = flat.n
    if sigma is not None:
        s = _flat_vector(problem, flat, sigma, "--sigma")
        if not np.all(np.isfinite(s)) or np.any(s < 0):
            raise UsageError("--sigma must be finite and non-negative")
        return np.diag(s**2), True
    matrix = np.asarray(cov)
    if np.iscomplexobj(matrix) or matrix.dtype.kind not in "fiu":
        raise UsageError("--cov must be a real matrix")
    matrix = matrix.astype(np.float64)
    if matrix.shape != (n, n):
        raise ShapeError(
            f"--cov has shape {format_shape(matrix.shape)} but there are {n} inputs: it must be "
            f"({n}, {n})",
            hint="rows and columns follow the flat inputs: " + ", ".join(_names(problem)[0][:8]),
        )
    if not np.all(np.isfinite(matrix)):
        raise UsageError("--cov has NaN or infinite entries")
    scale = max(float(np.max(np.abs(matrix))), np.finfo(float).tiny)
    if not np.allclose(matrix, matrix.T, rtol=1e-10, atol=1e-12 * scale):
        raise UsageError("--cov is not symmetric", hint="a covariance matrix equals its transpose")
    if float(np.min(np.linalg.eigvalsh(matrix))) < -1e-10 * scale:
        raise UsageError(
            "--cov is not positive semi-definite (it has a negative eigenvalue)",
            hint="a covariance matrix has no negative variances along any direction",
        )
    independent = bool(np.all(matrix == np.diag(np.diag(matrix))))
    return matrix, independent


def _propagate(
    J: np.ndarray, covariance: np.ndarray, independent: bool, outputs: Sequence[str], notes: list
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """``J Σ Jᵀ``, the output standard deviations, and each input's share of each variance:
    ``(J_ij σ_j)² / Var f_i`` for independent inputs; with correlations, the covariance
    decomposition ``J_ij (Σ Jᵀ)_ji / Var f_i``, which still sums to 1 but may be negative."""
    cov_out = J @ covariance @ J.T
    variance = np.diag(cov_out).copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        share = J * (covariance @ J.T).T / variance[:, None]
    share[variance == 0, :] = np.nan
    if np.any(variance == 0):
        zero = [outputs[i] for i in np.flatnonzero(variance == 0)]
        notes.append(f"{', '.join(zero[:5])} has no variance: its variance shares are null")
    if not independent:
        notes.append(
            "the inputs are correlated: a variance share counts each input's covariance with the "
            "others, so shares sum to 1 but may be negative"
        )
    return {"cov_out": cov_out, "sigma_out": np.sqrt(np.maximum(variance, 0))}, share


def _one_at_a_time(
    problem: Problem,
    flat: Flat,
    x: np.ndarray,
    f: np.ndarray,
    step: np.ndarray,
    max_bytes: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``f(x ∓ step_j e_j) − f(x)`` for every input j: the actual (not linear) swing of each
    output when one input alone moves down and up, the bars of a tornado chart."""
    n, m = flat.n, flat.m
    guard_size(2 * n * (n + m), 8, "one-at-a-time sweep", max_bytes)
    moves = np.diag(step)
    points = np.concatenate([x[None, :] - moves, x[None, :] + moves]).astype(flat.x.dtype)
    values = sweep(problem, "value", points, max_bytes)[0].reshape(2 * n, m) - f[None, :]
    return values[:n].T, values[n:].T


def _local_charts(
    outputs: Sequence[str],
    inputs: Sequence[str],
    order: np.ndarray,
    top: int | None,
    elasticity: np.ndarray,
    J: np.ndarray,
    effects: tuple[np.ndarray, np.ndarray] | None,
    step: np.ndarray | None,
    sigma_in: np.ndarray | None,
) -> tuple[Chart, ...]:
    charts = []
    word = "dx" if step is not None else "σ"
    for i, name in enumerate(outputs):
        keep = order[i, :top]
        labels = tuple(inputs[j] for j in keep)
        if effects is not None:
            series = (
                (f"x − {word}", effects[0][i, keep]),
                (f"x + {word}", effects[1][i, keep]),
            )
            measure = f"change of {name} when one input moves by ∓{word}"
        elif np.all(np.isfinite(elasticity[i])):
            series = (("elasticity", elasticity[i, keep]),)
            measure = f"elasticity of {name} (% change per 1% change of the input)"
        else:
            series = (("∂f/∂x", J[i, keep]),)
            measure = f"∂{name}/∂x"
        charts.append(Chart(name, "tornado", measure, labels, series))
    return tuple(charts)


# --- sampling and evaluation ------------------------------------------------------------------


def sweep(
    problem: Problem,
    command: str,
    points: np.ndarray,
    max_bytes: int,
    on_progress: Callable[[int], None] = lambda count: None,
    on_fallback: Callable[[], None] = lambda: None,
    scale: ScaleOut | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The function (``command="value"``) or its values and Jacobians (``"jacobian"``) at every
    row of ``points`` (``(N, n)`` flat inputs), by the batch evaluator: one compiled, vmapped
    call per chunk, spread over devices and processes by ``scale`` (every process of a
    distributed run passes the same points and gets all the results).
    Returns ``(values (N, m), Jacobians (N, m, n) or None)``."""
    from .._operations import scaleout

    flat = flatten(problem)
    function = dataclasses.replace(problem.function, fn=flat.fn, params=("x",))
    as_flat = dataclasses.replace(
        problem,
        function=function,
        names=("x",),
        values=(_device_array(flat.x, problem),),
        wrt=("x",),
        out_shape=(flat.m,),
        warnings=[],
    )
    plan = _operations.plan(as_flat, command, "auto", max_bytes, batch=True)
    spread = scaleout.spread(problem.device, scale)
    evaluator = _operations.Evaluator(as_flat, plan, on_fallback, on_progress, spread=spread)
    chunk = _operations.chunk_size(as_flat, plan, max_bytes)
    slots = 1 if spread is None else spread.multiple
    count = len(points)
    values = np.empty((count, flat.m))
    jacobians = np.empty((count, flat.m, flat.n)) if command == "jacobian" else None
    for start, size, rows in _operations.chunks(count, chunk, slots):
        block = points[start : start + size]
        value, raw = evaluator({"x": block}, len(block), rows, start)
        values[start : start + len(block)] = np.asarray(value).reshape(len(block), flat.m)
        if jacobians is not None:
            jacobians[start : start + len(block)] = np.asarray(raw[0]).reshape(
                len(block), flat.m, flat.n
            )
    return values, jacobians


def _device_array(x: np.ndarray, problem: Problem) -> Any:
    import jax
    import jax.numpy as jnp

    return jax.device_put(jnp.asarray(x), problem.device)


def sobol_points(count: int, dimension: int, seed: int) -> np.ndarray:
    """``count`` points of a scrambled Sobol' sequence in the unit cube (seeded: same seed, same
    points). The sequence is drawn to the next power of two, where its balance holds, and cut.

    >>> sobol_points(3, 2, seed=0).shape
    (3, 2)
    """
    from scipy.stats import qmc

    engine = qmc.Sobol(dimension, scramble=True, rng=np.random.default_rng(seed))
    return engine.random_base2(max(count - 1, 0).bit_length())[:count]


def _from_unit(unit: np.ndarray, distributions: Sequence[Distribution]) -> np.ndarray:
    return np.stack([d.from_unit(unit[:, j]) for j, d in enumerate(distributions)], axis=1)


# --- global -----------------------------------------------------------------------------------


def prepare_global(
    function: Any,
    bounds: Any,
    point: dict[str, Any] | None = None,
    wrt: Sequence[str] | None = None,
    dtype: str = "float64",
    device: str = "auto",
) -> tuple[Problem, list[Distribution]]:
    """Bind a function to its input distributions for a global analysis.

    The inputs' shapes come from ``point`` when given (its values also fix the arguments that
    are not differentiated), else from an expression's text, else from the entries named in the
    bounds (``x[0]``…``x[k]`` make a vector; any other argument is a scalar). The function is
    traced at the centre of the distributions.
    """
    from .._load.bounds import assign, entry_shapes, parse_bounds
    from ..results import input_leaves

    given = parse_bounds(bounds)
    if point is None and wrt:
        raise UsageError(
            "--wrt in a global analysis needs --at: the values of the arguments held fixed",
            hint="e.g. --wrt x --at x=0,y=2 --bounds x=-1:1",
        )
    if point is None:
        if function.expression is not None:
            shapes = {inp.name: inp.shape for inp in function.expression.inputs}
        else:
            shapes = entry_shapes(list(given), function.params)
        point = {name: np.zeros(shapes[name]) for name in function.params}
        template = True
    else:
        template = False
    names = tuple(wrt) if wrt else tuple(function.params)
    leaves = input_leaves(names, point)
    labels = input_labels(names, point)
    paths = [".".join(path) for path, shape in leaves for _ in range(math.prod(shape))]
    distributions = assign(given, labels, paths)
    if template:
        # Trace at the centre: a function undefined at 0 (log, 1/x) is then traced where it lives.
        centre = iter(d.a if d.kind == "normal" else (d.a + d.b) / 2 for d in distributions)
        point = {
            name: np.array([next(centre) for _ in range(int(np.size(value)))]).reshape(
                np.shape(value)
            )
            for name, value in point.items()
        }
    problem = prepare(function, point, wrt, dtype=dtype, device=device)
    return problem, distributions


def global_at(
    problem: Problem,
    distributions: Sequence[Distribution],
    method: str = "dgsm",
    samples: int | None = None,
    seed: int = 0,
    top: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_progress: Callable[[int], None] = lambda count: None,
    scale: ScaleOut | None = None,
) -> SensitivityResult:
    """Global sensitivity indices of every output over the input distributions.

    ``samples`` is the base sample: DGSM evaluates the gradient at that many points; Sobol'
    evaluates the function at ``samples·(n+2)`` points (Saltelli's scheme); Morris follows
    ``samples`` trajectories of ``n+1`` points each. The whole sample is drawn from ``seed``
    before ``scale`` splits its evaluation over devices and processes, so the indices do not
    depend on the split.
    """
    problem.require_real("sensitivity")
    if method not in INDEX_KEYS:
        raise UsageError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    samples = DEFAULT_SAMPLES[method] if samples is None else samples
    if not 2 <= samples <= MAX_SAMPLES:
        raise UsageError(f"--samples must be between 2 and {MAX_SAMPLES:,}, got {samples}")
    if top is not None and top < 1:
        raise UsageError(f"--top must be at least 1, got {top}")
    inputs, outputs = _names(problem)
    n, m = len(inputs), len(outputs)
    if len(distributions) != n:
        raise ShapeError(f"{len(distributions)} distributions for {n} inputs")
    notes = list(problem.warnings)

    def fallback() -> None:
        notes.append(
            "the function uses Python control flow on values and could not be vectorised; "
            "the sample was evaluated point by point"
        )

    if method == "dgsm":
        evaluations = samples
        guard_size(samples * m * n, 8, "sample of Jacobians", max_bytes)
        points = _from_unit(sobol_points(samples, n, seed), distributions)
        values, jacobians = sweep(
            problem, "jacobian", points, max_bytes, on_progress, fallback, scale
        )
        indices = _dgsm(values, jacobians, distributions, seed)
        sampling = "scrambled Sobol' sequence; gradients by AD"
    else:
        salib = _salib(method)
        spec = {"num_vars": n, "names": list(inputs), "bounds": [[0.0, 1.0]] * n}
        if method == "morris" and not all(d.bounded for d in distributions):
            unbounded = [inputs[j] for j, d in enumerate(distributions) if not d.bounded]
            raise UsageError(
                f"morris moves inputs over a grid of levels within their ranges; "
                f"{', '.join(unbounded[:5])} {'is' if len(unbounded) == 1 else 'are'} normal",
                hint="give ranges (x=-1:1), or use --method sobol or dgsm for normal inputs",
            )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if method == "sobol":
                unit = salib.sample(
                    spec, samples, calc_second_order=False, scramble=True, seed=seed
                )
            else:
                unit = salib.sample(spec, samples, num_levels=MORRIS_LEVELS, seed=seed)
        notes += [f"SALib: {w.message}" for w in caught]
        evaluations = len(unit)
        guard_size(evaluations * (n + m), 8, "sample", max_bytes)
        points = _from_unit(unit, distributions)
        values, _ = sweep(problem, "value", points, max_bytes, on_progress, fallback, scale)
        indices = _salib_indices(salib, method, spec, unit, values, seed, notes)
        sampling = (
            "Saltelli's scheme on a scrambled Sobol' sequence (SALib)"
            if method == "sobol"
            else f"Morris trajectories on a {MORRIS_LEVELS}-level grid (SALib)"
        )

    variance = values.var(axis=0)
    flat_outputs = [outputs[i] for i in np.flatnonzero(variance == 0)]
    if flat_outputs:
        notes.append(
            f"{', '.join(flat_outputs[:5])} does not vary over the bounds: its indices are "
            "undefined (null)"
        )
    bad = count_nonfinite(values)
    if bad:
        notes.append(
            f"the function is NaN or infinite at {bad} of {values.size} sampled output entries; "
            "the indices are not reliable"
        )
    main = indices[RANKED_BY[method]]
    order = _rank(main)
    scalar = problem.out_shape == ()
    per_output = [{key: indices[key][i] for key in INDEX_KEYS[method]} for i in range(m)]
    fields = {
        "wrt": list(problem.wrt),
        "bounds": [d.to_dict(name) for name, d in zip(inputs, distributions, strict=True)],
        "samples": samples,
        "evaluations": evaluations,
        "seed": seed,
        "sampling": sampling,
        "conf_level": CONF_LEVEL,
        "mean": values.mean(axis=0).reshape(problem.out_shape),
        "variance": variance.reshape(problem.out_shape),
        "indices": per_output[0] if scalar else per_output,
        "ranking": _ranking(order, inputs, scalar, top),
        "ranking_by": RANKED_BY[method],
    }
    columns = tuple((key, indices[key]) for key in INDEX_KEYS[method])
    header = (
        f"{method} over {samples:,} samples ({evaluations:,} evaluations, seed {seed}): {sampling}",
        "mean f = "
        + _short(values.mean(axis=0), problem.out_shape)
        + ", std f = "
        + _short(np.sqrt(variance), problem.out_shape),
        f"inputs ranked by {RANKED_BY[method]}; ± is the half-width of the "
        f"{CONF_LEVEL:.0%} confidence interval",
    )
    return SensitivityResult(
        function=problem.info(),
        method=method,
        inputs=inputs,
        outputs=outputs,
        fields=fields,
        charts=_global_charts(method, outputs, inputs, order, top, indices),
        header=header,
        columns=columns,
        order=order[:, :top] if top else order,
        dtype=problem.dtype,
        device=problem.device_name,
        warnings=tuple(notes),
        nonfinite=bad,
    )


def _bootstrap_means(
    samples: np.ndarray, resamples: int, rng: np.random.Generator, block: int = 10**7
) -> np.ndarray:
    """Means of ``resamples`` bootstrap resamples of the rows of ``samples`` (``(N, k)``):
    each resample as a row of counts, so the means are one matrix product per block."""
    count = len(samples)
    rows = max(1, min(resamples, block // max(count, 1)))
    means = []
    for start in range(0, resamples, rows):
        size = min(rows, resamples - start)
        picks = rng.integers(count, size=(size, count))
        weights = np.stack([np.bincount(p, minlength=count) for p in picks]) / count
        means.append(weights @ samples)
    return np.concatenate(means)


def _dgsm(
    values: np.ndarray,
    jacobians: np.ndarray,
    distributions: Sequence[Distribution],
    seed: int,
) -> dict[str, np.ndarray]:
    """νᵢ = E[(∂f/∂xᵢ)²] and the normalised measure Cᵢ·νᵢ / Var f, an upper bound on the total
    Sobol' index (Cᵢ = (b−a)²/π² for uniform inputs, σ² for normal ones), with bootstrap
    confidence half-widths."""
    count, m, n = jacobians.shape
    squares = (jacobians**2).reshape(count, m * n)
    constant = np.array([d.poincare for d in distributions])
    moments = np.concatenate([squares, values, values**2], axis=1)
    boot = _bootstrap_means(moments, RESAMPLES, np.random.default_rng(seed))
    with np.errstate(divide="ignore", invalid="ignore"):
        vi = squares.mean(axis=0).reshape(m, n)
        variance = values.var(axis=0)
        dgsm = constant[None, :] * vi / variance[:, None]
        boot_vi = boot[:, : m * n].reshape(-1, m, n)
        boot_var = boot[:, m * n + m :] - boot[:, m * n : m * n + m] ** 2
        boot_dgsm = constant[None, None, :] * boot_vi / boot_var[:, :, None]
    z = _z()
    return {
        "vi": vi,
        "vi_conf": z * boot_vi.std(axis=0),
        "dgsm": dgsm,
        "dgsm_conf": z * boot_dgsm.std(axis=0),
    }


def _salib(method: str) -> Any:
    try:
        if method == "sobol":
            from SALib.sample import sobol as sample
        else:
            from SALib.sample import morris as sample
    except ImportError:
        raise MissingExtraError(
            f"--method {method} needs SALib, which is not installed",
            hint="pip install 'jaccli[global]', or use --method dgsm (no extra needed)",
        ) from None
    return sample


def _salib_indices(
    sample: Any,
    method: str,
    spec: dict[str, Any],
    unit: np.ndarray,
    values: np.ndarray,
    seed: int,
    notes: list[str],
) -> dict[str, np.ndarray]:
    """SALib's analysis of every output column; its warnings become notes."""
    if method == "sobol":
        from SALib.analyze import sobol as analyze
    else:
        from SALib.analyze import morris as analyze
    keys = INDEX_KEYS[method]
    out = {key: np.full((values.shape[1], spec["num_vars"]), np.nan) for key in keys}
    with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
        warnings.simplefilter("always")
        for i in range(values.shape[1]):
            y = values[:, i]
            if not np.all(np.isfinite(y)) or np.var(y) == 0:
                continue
            if method == "sobol":
                found = analyze.analyze(
                    spec,
                    y,
                    calc_second_order=False,
                    num_resamples=RESAMPLES,
                    conf_level=CONF_LEVEL,
                    seed=seed,
                )
            else:
                found = analyze.analyze(
                    spec,
                    unit,
                    y,
                    num_resamples=RESAMPLES,
                    conf_level=CONF_LEVEL,
                    num_levels=MORRIS_LEVELS,
                    seed=seed,
                )
            for key in keys:
                out[key][i] = np.asarray(found[key], dtype=np.float64)
    notes += sorted({f"SALib: {w.message}" for w in caught})
    return out


def _global_charts(
    method: str,
    outputs: Sequence[str],
    inputs: Sequence[str],
    order: np.ndarray,
    top: int | None,
    indices: dict[str, np.ndarray],
) -> tuple[Chart, ...]:
    shown = {
        "dgsm": (("DGSM", "dgsm", "dgsm_conf"),),
        "sobol": (("S1", "S1", "S1_conf"), ("ST", "ST", "ST_conf")),
        "morris": (("μ*", "mu_star", "mu_star_conf"), ("σ", "sigma", None)),
    }[method]
    measure = {
        "dgsm": "DGSM (an upper bound on the total Sobol' index)",
        "sobol": "Sobol' index (first order S1, total ST)",
        "morris": "Morris elementary effects (μ*, σ)",
    }[method]
    charts = []
    for i, name in enumerate(outputs):
        keep = order[i, :top]
        charts.append(
            Chart(
                name,
                "bars",
                measure,
                tuple(inputs[j] for j in keep),
                tuple((label, indices[key][i, keep]) for label, key, _ in shown),
                tuple(indices[conf][i, keep] if conf else None for _, _, conf in shown),
            )
        )
    return tuple(charts)
