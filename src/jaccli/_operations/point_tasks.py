"""A batch of a function JAX cannot trace: each point's derivative by finite differences, as
one point gives it (`point.run`), point by point in this process or spread over the worker
processes or the Dask cluster of `--workers`/`--dask`, in input order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._problem import Problem, prepare
from ..errors import FunctionError
from ..results import DerivativeResult
from .dask_pool import DASK_CHUNKS
from .point import run
from .pool import spread_tasks
from .workers import (
    PointFailure,
    Recipe,
    Tasks,
    Workers,
    chunk_starts,
    rebuilt_function,
    recipe_of,
)


def derivatives_at(
    problem: Problem,
    points: Sequence[dict[str, Any]],
    command: str,
    options: dict[str, Any],
    workers: Workers | None,
    on_done: Callable[[int], None] = lambda count: None,
) -> list[DerivativeResult]:
    """``command`` at each of ``points`` (every argument's value), for the function of
    ``problem`` (prepared at the first point): `point.run`'s result at each, in order."""
    if workers is None or not workers.parallel:
        out = []
        for point in points:
            here = prepare(
                problem.function,
                point,
                problem.wrt,
                problem.dtype,
                problem.device_name,
                problem.labels,
            )
            out.append(run(here, command, **options))
            on_done(1)
        return out
    recipe = recipe_of(problem, ship_file=workers.dask is not None)
    ranges = chunk_starts(len(points), workers.count if workers.dask is None else DASK_CHUNKS)
    tasks = Tasks(
        derivatives_task,
        [(recipe, command, options, start, list(points[start:stop])) for start, stop in ranges],
        ranges,
        on_done,
        lambda exc: _failed(exc, points, problem.function.source),
    )
    per_task = spread_tasks(tasks, workers)
    return [result for results in per_task for result in results]


def derivatives_task(
    recipe: Recipe, command: str, options: dict[str, Any], start: int, points: list[dict]
) -> list[DerivativeResult]:
    """The task: `point.run` at each point (on this worker's CPU); a failure raises
    `PointFailure` with the point's index."""
    function = rebuilt_function(recipe)
    out = []
    for i, point in enumerate(points):
        try:
            problem = prepare(function, point, recipe.wrt, recipe.dtype, "cpu")
            out.append(run(problem, command, **options))
        except Exception as exc:
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            raise PointFailure(start + i, str(message)) from None
    return out


def _failed(exc: PointFailure, points: Sequence[dict[str, Any]], source: str) -> FunctionError:
    shown = ", ".join(
        f"{name}={np.array2string(np.asarray(value), threshold=8)}"
        for name, value in points[exc.index].items()
    )
    return FunctionError(
        f"{source} failed at point {exc.index} ({shown}): {exc.message}",
        hint="the other evaluations were stopped; fix the function or the batch at that point",
    )


def stacked(results: Sequence[DerivativeResult]) -> tuple[np.ndarray, Any]:
    """The values and results of consecutive points stacked on a leading axis."""
    import jax

    value = np.stack([np.asarray(r.value) for r in results])
    result = jax.tree_util.tree_map(lambda *xs: np.stack(xs), *[r.result for r in results])
    return value, result
