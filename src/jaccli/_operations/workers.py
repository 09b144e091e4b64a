"""A black box evaluated at many points by a pool of worker processes (``--workers``).

A function JAX cannot trace runs one point at a time; its points are independent, so a pool of
processes evaluates them side by side. Workers are started with ``forkserver`` (``spawn`` where
there is none), never forked from a process that has loaded JAX. The function is not pickled: a
worker rebuilds it from a `Recipe` — the file's path and the function's name, or the
expression's text — bound to the same point, and evaluates it eagerly on the CPU exactly as one
process does, so the values are bit-identical whatever the number of workers. Points go out in
chunks and come back in order. A point that fails ends the run with an error that names it, and
the other workers are stopped.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._problem import PYTHON, Labels, Problem
from ..errors import FunctionError, UsageError
from .scaleout import count_from

# Tasks per worker: enough for an even finish and a live progress bar, few enough that the
# cost of a task stays small beside the points it carries.
TASKS_PER_WORKER = 4
DEFAULT_DASK_TIMEOUT = 60.0


@dataclass(frozen=True)
class Workers:
    """Where a black box's many evaluations run: ``count`` local processes (1: in this
    process), or the Dask cluster at ``dask`` (with ``timeout`` to reach it and to hear back)."""

    count: int = 1
    dask: str | None = None
    timeout: float = DEFAULT_DASK_TIMEOUT
    labels: Labels = PYTHON

    @property
    def parallel(self) -> bool:
        return self.count > 1 or self.dask is not None

    @property
    def where(self) -> str:
        """How the evaluations ran, for notes: ``4 worker processes``, ``the Dask cluster at …``."""
        if self.dask is not None:
            return f"the Dask cluster at {self.dask}"
        return f"{self.count} worker processes"


@dataclass(frozen=True)
class Tasks:
    """Independent tasks for the workers: ``task(*arguments[i])`` covers the points
    ``ranges[i]``; ``on_done`` counts the points done, and ``failed`` turns a `PointFailure`
    into the error the run ends with."""

    task: Callable[..., Any]
    arguments: Sequence[tuple[Any, ...]]
    ranges: Sequence[tuple[int, int]]
    on_done: Callable[[int], None]
    failed: Callable[[PointFailure], Exception]


@dataclass(frozen=True)
class Recipe:
    """How a worker rebuilds the problem's flat function without pickling it: the file and the
    function's name (``source``, and the file's bytes for workers that do not share this
    filesystem) or the expression's text, the point that fixes the other arguments, the
    differentiated arguments and the dtype."""

    kind: str
    source: str
    variables: tuple[str, ...]
    point: dict[str, Any]
    wrt: tuple[str, ...]
    dtype: str
    file_bytes: bytes | None = field(default=None, repr=False)
    label: str = ""
    """How results and messages name the function (its source as the user gave it)."""

    @property
    def key(self) -> str:
        """What identifies the function a worker has built."""
        import hashlib

        digest = hashlib.sha256(repr((self.kind, self.source, self.wrt, self.dtype)).encode())
        digest.update(self.file_bytes or b"")
        for name, value in self.point.items():
            digest.update(name.encode() + np.ascontiguousarray(value).tobytes())
        return digest.hexdigest()


class PointFailure(Exception):
    """The function failed at one point of a chunk: its index in the batch, and why."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__(index, message)
        self.index, self.message = index, message


def parse_workers(text: str | int | None, labels: Labels = PYTHON) -> int:
    """``--workers``: a positive number, or ``auto`` for the cores this process may use.

    >>> parse_workers("3"), parse_workers(None)
    (3, 1)
    """
    if text is None:
        return 1
    if isinstance(text, str) and text.strip().lower() == "auto":
        return available_cores()
    count = count_from(text)
    if count < 1:
        raise UsageError(
            f"{labels('workers')} must be auto or a positive number, got {text!r}",
            hint=f"e.g. {labels('workers')} 8, or {labels('workers')} auto for every core",
        )
    return count


def workers_from(
    count: str | int | None,
    dask: str | None = None,
    dask_timeout: float | None = None,
    labels: Labels = PYTHON,
) -> Workers | None:
    """The options ``workers``, ``dask`` and ``dask_timeout`` checked against each other and
    bundled; None when neither ``workers`` nor ``dask`` is given.

    >>> workers_from("4").count, workers_from(None) is None
    (4, True)
    """
    if dask_timeout is not None and dask is None:
        raise UsageError(
            f"{labels('dask_timeout')} applies with {labels('dask')}",
            hint=f"e.g. {labels('dask')} tcp://host:8786",
        )
    if dask_timeout is not None and not dask_timeout > 0:
        raise UsageError(f"{labels('dask_timeout')} must be positive, got {dask_timeout:g}")
    if count is not None and dask is not None:
        raise UsageError(
            f"give {labels('workers')} (processes on this machine) or {labels('dask')} "
            "(a cluster), not both"
        )
    if count is None and dask is None:
        return None
    timeout = DEFAULT_DASK_TIMEOUT if dask_timeout is None else dask_timeout
    return Workers(parse_workers(count, labels), dask, timeout, labels)


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def traceable(problem: Problem) -> bool:
    """Whether JAX can trace the problem's function (then it is vectorised, not farmed out)."""
    import jax

    from .._problem import flatten, tracing_failure

    flat = flatten(problem)
    try:
        with problem.run_context():
            jax.eval_shape(flat.fn, flat.x)
    except Exception as exc:  # the guard wraps the cause; only a refusal to trace counts
        return not tracing_failure(exc)
    return True


def traced_note(workers: Workers) -> str:
    """The note that a traceable function does not use the workers."""
    return (
        f"JAX traces this function and evaluates its points vectorised; {workers.labels('workers')}"
        f" and {workers.labels('dask')} apply to functions it cannot trace"
    )


def recipe_of(problem: Problem, ship_file: bool = False) -> Recipe:
    """The recipe of the problem's function; ``ship_file`` carries the file's bytes along."""
    function = problem.function
    if function.kind == "expr":
        return Recipe(
            "expr",
            function.source,
            tuple(function.params),
            problem.at(),
            problem.wrt,
            problem.dtype,
        )
    if function.kind != "file" or function.path is None:
        raise UsageError(
            f"{problem.labels('workers')} rebuilds the function in each worker from its file or "
            f"expression; {function.source} is a Python object and cannot be sent",
            hint="put the function in a file and load it with jaccli.load('model.py:f')",
        )
    name = function.source.rsplit(":", 1)[1]
    data = None
    if ship_file:
        with open(function.path, "rb") as handle:
            data = handle.read()
    return Recipe(
        "file",
        f"{function.path}:{name}",
        tuple(function.params),
        problem.at(),
        problem.wrt,
        problem.dtype,
        data,
        function.source,
    )


# One rebuilt function per worker process, by recipe key.
_BUILT: dict[str, Callable[[np.ndarray], np.ndarray]] = {}


def rebuilt(recipe: Recipe) -> Callable[[np.ndarray], np.ndarray]:
    """The recipe's flat function in this process, built once: flat point → flat float values."""
    key = recipe.key
    if key not in _BUILT:
        _BUILT.clear()
        _BUILT[key] = _build(recipe)
    return _BUILT[key]


# One loaded function per worker process, by its source and file.
_FUNCTIONS: dict[tuple[str, str, int], Any] = {}


def rebuilt_function(recipe: Recipe) -> Any:
    """The recipe's `Function` (from its file or expression) in this process, loaded once."""
    key = (recipe.kind, recipe.source, hash(recipe.file_bytes))
    if key not in _FUNCTIONS:
        _FUNCTIONS.clear()
        _FUNCTIONS[key] = _load_function(recipe)
    return _FUNCTIONS[key]


def _load_function(recipe: Recipe) -> Any:
    from .._load import from_expression, load

    if recipe.kind == "expr":
        return from_expression(recipe.source, recipe.variables)
    path, name = recipe.source.rsplit(":", 1)
    if recipe.file_bytes is not None:
        path = _local_copy(path, recipe.file_bytes)
    return dataclasses.replace(load(f"{path}:{name}"), source=recipe.label or recipe.source)


def _build(recipe: Recipe) -> Callable[[np.ndarray], np.ndarray]:
    import jax.numpy as jnp

    from .._problem import flatten, prepare

    function = rebuilt_function(recipe)
    problem = prepare(function, recipe.point, recipe.wrt, dtype=recipe.dtype, device="cpu")
    flat = flatten(problem)
    dtype = np.dtype(recipe.dtype)

    def evaluate(row: np.ndarray) -> np.ndarray:
        with problem.run_context():
            return np.ravel(np.asarray(flat.fn(jnp.asarray(row, dtype=dtype))))

    return evaluate


def _local_copy(path: str, data: bytes) -> str:
    """The shipped file, written once under this worker's temporary directory."""
    import hashlib
    import tempfile

    folder = os.path.join(tempfile.gettempdir(), "jaccli-" + hashlib.sha256(data).hexdigest()[:16])
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, os.path.basename(path))
    if not os.path.exists(target):
        partial = f"{target}.{os.getpid()}"
        with open(partial, "wb") as handle:
            handle.write(data)
        os.replace(partial, target)
    return target


def evaluate_rows(recipe: Recipe, start: int, rows: np.ndarray) -> np.ndarray:
    """The task: the function at each of ``rows`` (points ``start, start+1, …``), as float64
    or complex128 rows; a failing point raises `PointFailure` with its index."""
    evaluate = rebuilt(recipe)
    out = []
    for i, row in enumerate(rows):
        try:
            out.append(evaluate(row))
        except Exception as exc:
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            raise PointFailure(start + i, str(message)) from None
    values = np.stack(out)
    return values.astype(np.result_type(values.dtype, np.float64))


def chunk_starts(count: int, workers: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of the tasks that spread ``count`` points over ``workers``.

    >>> chunk_starts(10, 2)
    [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]
    """
    size = max(1, math.ceil(count / (workers * TASKS_PER_WORKER)))
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def failed_at(exc: PointFailure, points: np.ndarray, source: str) -> FunctionError:
    """The error of a point that failed: its index and values, and why."""
    values = ", ".join(f"{v:.17g}" for v in np.ravel(points[exc.index])[:8])
    more = ", …" if np.size(points[exc.index]) > 8 else ""
    return FunctionError(
        f"{source} failed at point {exc.index} (x = [{values}{more}]): {exc.message}",
        hint="the other evaluations were stopped; fix the function or the bounds at that point",
    )
