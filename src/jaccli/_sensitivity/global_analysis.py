"""Global sensitivity over input distributions: the options checked, the method run on its
sample, and the indices reported per output with their confidence half-widths, the inputs
ranked, and notes on outputs that do not vary or are not finite."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .. import _operations
from .._load import Distribution
from .._operations import Workers, scaleout, traced_note
from .._problem import DEFAULT_MAX_BYTES, Labels, Problem
from ..errors import ShapeError, UsageError
from ..results import SensitivityResult, count_nonfinite
from .active_subspace import active_subspace, check_subspace
from .charts import global_charts
from .dgsm import dgsm
from .methods import (
    CONF_LEVEL,
    DEFAULT_SAMPLES,
    INDEX_KEYS,
    MAX_SAMPLES,
    METHOD_KEYS,
    METHODS,
    NOT_REPLICATED,
    RANKED_BY,
    Estimate,
    Evaluate,
)
from .ranking import check_top, names, rank, ranking, summary
from .replicates import REPLICATES
from .salib_methods import salib_method
from .sample import gradient_sample, sobol_points, sweep
from .subject import Subject, subject_of


def global_at(
    problem: Problem,
    distributions: Sequence[Distribution],
    method: str = "dgsm",
    samples: int | None = None,
    seed: int = 0,
    replicates: int | None = None,
    top: int | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    on_progress: Callable[[int], None] = lambda count: None,
    scale: scaleout.ScaleOut | None = None,
    dimension: int | None = None,
    workers: Workers | None = None,
) -> SensitivityResult:
    """Global sensitivity indices of every output over the input distributions.

    ``samples`` is the base sample: DGSM evaluates the gradient at that many points; Sobol'
    evaluates the function at ``samples·(n+2)`` points (Saltelli's scheme); Morris follows
    ``samples`` trajectories of ``n+1`` points each; an active subspace (``dimension`` fixes its
    K) takes ``samples`` gradients, like DGSM. The whole sample is drawn from ``seed``
    before ``scale`` splits its evaluation over devices and processes, so the indices do not
    depend on the split. DGSM and Sobol' draw it as ``replicates`` independently scrambled
    Sobol' sequences (default 8), whose spread gives the confidence intervals. A function JAX
    cannot trace is evaluated point by point, spread over ``workers`` (local processes or a
    Dask cluster) when given; its DGSM takes its gradients by central differences.

    >>> from jaccli import parse_expr
    >>> from jaccli._sensitivity import prepare_global
    >>> problem, distributions = prepare_global(parse_expr("x + 2*y"), "0:1")
    >>> global_at(problem, distributions, samples=64).fields["ranking"]
    ['y', 'x']
    """
    method = METHOD_KEYS.get(method, method)
    samples, replicates = check_global_options(
        problem, distributions, method, samples, seed, replicates, top
    )
    if dimension is not None and method != "active_subspace":
        raise UsageError(
            f"{problem.labels('dimension')} applies to {problem.labels('method')} "
            f"active-subspace, not {method}"
        )
    notes = list(problem.warnings)
    black_box = not _operations.traceable(problem)
    evaluate = sample_evaluator(problem, black_box, workers, max_bytes, on_progress, scale, notes)
    if method == "dgsm":
        estimate = dgsm(
            problem, distributions, samples, seed, replicates, max_bytes, evaluate, black_box
        )
    elif method == "active_subspace":
        check_subspace(problem, len(distributions), dimension, max_bytes)
        unit = sobol_points(samples, len(distributions), seed)
        sample = gradient_sample(problem, unit, distributions, max_bytes, evaluate)
        outputs = names(problem)[1]
        estimate = active_subspace(distributions, sample, seed, dimension, outputs, notes)
    else:
        estimate = salib_method(
            problem, distributions, method, samples, seed, replicates, max_bytes, evaluate, notes
        )
    return global_result(
        subject_of(problem), distributions, method, samples, seed, top, estimate, notes
    )


def sample_evaluator(
    problem: Problem,
    black_box: bool,
    workers: Workers | None,
    max_bytes: int,
    on_progress: Callable[[int], None],
    scale: scaleout.ScaleOut | None,
    notes: list[str],
) -> Evaluate:
    """How a global method evaluates its sample: by the batch evaluator (spread by ``scale``),
    or, for a black box, point by point on ``workers`` when given; notes on how, and on the
    first point where the function is not finite."""
    farmed = black_box and workers is not None and workers.parallel
    if workers is not None and workers.parallel and not black_box:
        notes.append(traced_note(workers))

    def fallback() -> None:
        notes.append(
            "the function uses Python control flow on values and could not be vectorised; "
            "the sample was evaluated point by point"
        )

    def evaluate(command: str, points: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        if farmed and command == "value":
            notes.append(f"the sample was evaluated point by point on {workers.where}")
            found = _operations.evaluate_points(problem, points, workers, on_progress), None
        else:
            found = sweep(problem, command, points, max_bytes, on_progress, fallback, scale)
        notes.extend(nonfinite_point(points, found[0], names(problem)[0]))
        return found

    return evaluate


def check_global_options(
    problem: Problem,
    distributions: Sequence[Distribution],
    method: str,
    samples: int | None,
    seed: int,
    replicates: int | None,
    top: int | None,
) -> tuple[int, int]:
    """Refuse what a global analysis cannot do; the base sample size and the number of
    replicates, the method's defaults when not given."""
    labels = problem.labels
    if not is_count(seed) or seed < 0:
        raise UsageError(f"{labels('seed')} must be a non-negative integer, got {seed!r}")
    problem.require_real("sensitivity")
    if method not in INDEX_KEYS:
        raise UsageError(f"{labels('method')} must be one of {', '.join(METHODS)}, got {method!r}")
    samples = check_samples(method, samples, labels)
    check_top(top, labels)
    n = len(names(problem)[0])
    if len(distributions) != n:
        raise ShapeError(f"{len(distributions)} distributions for {n} inputs")
    return samples, check_replicates(method, samples, replicates, labels)


def check_samples(method: str, samples: int | None, labels: Labels) -> int:
    """The base sample size: 2 to `MAX_SAMPLES`, the method's default when not given."""
    samples = DEFAULT_SAMPLES[method] if samples is None else samples
    if not 2 <= samples <= MAX_SAMPLES:
        raise UsageError(
            f"{labels('samples')} must be between 2 and {MAX_SAMPLES:,}, got {samples}"
        )
    return samples


def is_count(value: object) -> bool:
    """An integer, not a bool (which Python counts as one)."""
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_replicates(method: str, samples: int, replicates: int | None, labels: Labels) -> int:
    """The replicates of a DGSM or Sobol' sample: 1 to ``samples``, ``REPLICATES`` when not
    given; Morris and an active subspace have none to choose (`NOT_REPLICATED`)."""
    option = labels("replicates")
    if method in NOT_REPLICATED:
        if replicates is not None:
            raise UsageError(f"{option} is for dgsm and sobol: {NOT_REPLICATED[method]}")
        return 1
    if replicates is None:
        return min(REPLICATES, samples)
    if not is_count(replicates) or not 1 <= replicates <= samples:
        raise UsageError(
            f"{option} must be an integer from 1 to {labels('samples')} ({samples}), "
            f"got {replicates!r}"
        )
    return replicates


def global_result(
    subject: Subject,
    distributions: Sequence[Distribution],
    method: str,
    samples: int,
    seed: int,
    top: int | None,
    estimate: Estimate,
    notes: list[str],
) -> SensitivityResult:
    """The indices per output, the inputs ranked, and the header, charts and notes."""
    inputs, outputs = subject.inputs, subject.outputs
    values, indices = estimate.values, estimate.indices
    variance = values.var(axis=0)
    bad = sample_notes(values, variance, outputs, notes)
    order = rank(indices[RANKED_BY[method]])
    scalar = subject.out_shape == ()
    per_output = [{key: indices[key][i] for key in INDEX_KEYS[method]} for i in range(len(outputs))]
    fields = {
        "wrt": list(subject.wrt),
        "bounds": [d.to_dict(name) for name, d in zip(inputs, distributions, strict=True)],
        "samples": samples,
        "evaluations": estimate.evaluations,
        "seed": seed,
        "sampling": estimate.sampling,
        "conf_level": CONF_LEVEL,
        "interval": estimate.interval,
        "replicates": estimate.replicates,
        "mean": values.mean(axis=0).reshape(subject.out_shape),
        "variance": variance.reshape(subject.out_shape),
        "indices": per_output[0] if scalar else per_output,
        "ranking": ranking(order, inputs, scalar, top),
        "ranking_by": RANKED_BY[method],
    }
    return SensitivityResult(
        function=subject.info,
        method=method,
        inputs=inputs,
        outputs=outputs,
        fields=fields,
        charts=estimate.charts or global_charts(method, outputs, inputs, order, top, indices),
        header=global_header(subject.out_shape, method, samples, seed, estimate),
        columns=estimate.columns or tuple((key, indices[key]) for key in INDEX_KEYS[method]),
        order=order[:, :top] if top else order,
        dtype=subject.dtype,
        device=subject.device,
        warnings=tuple(notes),
        nonfinite=bad,
    )


def sample_notes(
    values: np.ndarray, variance: np.ndarray, outputs: Sequence[str], notes: list[str]
) -> int:
    """Notes on outputs that do not vary over the bounds and on values that are not finite;
    the count of those values.

    >>> notes = []
    >>> sample_notes(np.array([[1.0], [np.nan]]), np.array([0.0]), ["f"], notes), len(notes)
    (1, 2)
    """
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
    return bad


def nonfinite_point(points: np.ndarray, values: np.ndarray, inputs: Sequence[str]) -> list[str]:
    """A note naming the first sampled point where the function is NaN or infinite (none when
    it is finite everywhere): where to look in a model that fails quietly.

    >>> nonfinite_point(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([[0.0], [np.nan]]), "xy")
    ['the first sampled point where the function is NaN or infinite: x=3, y=4 (1 of 2 points)']
    """
    bad = np.flatnonzero(~np.all(np.isfinite(values), axis=1))
    if not bad.size:
        return []
    shown = ", ".join(
        f"{name}={v:.17g}" for name, v in zip(inputs[:8], points[bad[0]][:8], strict=True)
    )
    more = ", …" if len(inputs) > 8 else ""
    return [
        f"the first sampled point where the function is NaN or infinite: {shown}{more} "
        f"({bad.size:,} of {len(points):,} points)"
    ]


def global_header(
    out_shape: tuple[int, ...], method: str, samples: int, seed: int, estimate: Estimate
) -> tuple[str, ...]:
    """The lines above the table: the sample, the output's mean and spread, the ranking."""
    values = estimate.values
    if method == "active_subspace":
        intervals = f"K at the largest eigenvalue gap unless given; intervals: {estimate.interval}"
    elif estimate.interval:
        intervals = (
            f"± is the half-width of the {CONF_LEVEL:.0%} confidence interval: {estimate.interval}"
        )
    else:
        intervals = "no confidence intervals: one scrambled sequence cannot measure its own error"
    return (
        f"{method} over {samples:,} samples ({estimate.evaluations:,} evaluations, seed {seed}): "
        f"{estimate.sampling}",
        "mean f = "
        + summary(values.mean(axis=0), out_shape)
        + ", std f = "
        + summary(np.sqrt(values.var(axis=0)), out_shape),
        f"inputs ranked by {RANKED_BY[method]}; {intervals}",
    )
