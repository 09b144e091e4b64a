"""The local pool of worker processes (``--workers N``) and the one entry point that sends a
black box's points to it or to a Dask cluster (`dask_pool`). What a worker runs is in
`workers`; here are the processes: started from a fork server (or spawned), fed chunks, their
results put back in order, and stopped, running or not, when the command ends."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._problem import Problem
from ..errors import FunctionError
from .dask_pool import DASK_CHUNKS, run_on_dask
from .workers import (
    PointFailure,
    Tasks,
    Workers,
    chunk_starts,
    evaluate_rows,
    failed_at,
    recipe_of,
)

# What the fork server imports once for every worker: JAX and the modules that rebuild a
# function. JAX's backend starts in each worker (its threads must not cross a fork).
PRELOAD = [
    "jax",
    "jax.numpy",
    "jax.flatten_util",
    "jaccli._load.loader",
    "jaccli._load.expr",
    "jaccli._problem",
    "jaccli._operations.workers",
]


def evaluate_points(
    problem: Problem,
    points: np.ndarray,
    workers: Workers,
    on_done: Callable[[int], None] = lambda count: None,
) -> np.ndarray:
    """The problem's flat function at every row of ``points`` ``(k, n)``, spread over the
    workers: values ``(k, m)``, in order."""
    points = np.asarray(points)
    recipe = recipe_of(problem, ship_file=workers.dask is not None)
    ranges = chunk_starts(len(points), workers.count if workers.dask is None else DASK_CHUNKS)
    tasks = Tasks(
        evaluate_rows,
        [(recipe, start, points[start:stop]) for start, stop in ranges],
        ranges,
        on_done,
        lambda exc: failed_at(exc, points, problem.function.source),
    )
    return np.concatenate(spread_tasks(tasks, workers))


def spread_tasks(tasks: Tasks, workers: Workers) -> list[Any]:
    """Every task on the workers (local processes or a Dask cluster), the results in order."""
    if workers.dask is not None:
        return run_on_dask(tasks, workers)
    return run_in_pool(tasks, workers.count)


def run_in_pool(tasks: Tasks, count: int) -> list[Any]:
    """The tasks run by ``count`` local worker processes, results put back in order."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    arguments = tasks.arguments
    executor = _executor(min(count, len(arguments)))
    out: list[Any] = [None] * len(arguments)
    try:
        with _cpu_only():
            pending = {executor.submit(tasks.task, *args): i for i, args in enumerate(arguments)}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                i = pending.pop(future)
                start, stop = tasks.ranges[i]
                try:
                    out[i] = future.result()
                except PointFailure as exc:
                    raise tasks.failed(exc) from None
                except BrokenProcessPool:
                    raise FunctionError(
                        f"a worker process died while evaluating points {start}–{stop - 1} "
                        "(killed, out of memory, or the function ended the process)",
                        hint="rerun with fewer workers, or run the point alone to see why",
                    ) from None
                tasks.on_done(stop - start)
    finally:
        _stop(executor)
    return out


def _executor(count: int) -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if "forkserver" in methods:
        # The fork server imports JAX and jaccli once; each worker forked from it starts warm.
        context.set_forkserver_preload(PRELOAD)
    return ProcessPoolExecutor(count, mp_context=context, initializer=_worker_start)


@contextlib.contextmanager
def _cpu_only() -> Iterator[None]:
    """Workers start (the fork server imports JAX) with JAX on the CPU: JAX reads the platform
    from the environment when it is imported, before any worker code runs."""
    before = os.environ.get("JAX_PLATFORMS")
    os.environ["JAX_PLATFORMS"] = "cpu"
    try:
        yield
    finally:
        if before is None:
            del os.environ["JAX_PLATFORMS"]
        else:
            os.environ["JAX_PLATFORMS"] = before


def _worker_start() -> None:
    """In each worker: the user's prints to stderr, and Ctrl-C left to the parent."""
    import signal

    os.dup2(2, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _stop(executor: Any) -> None:
    """Stop the pool, ending workers still running: none outlives the command."""
    terminate = getattr(executor, "terminate_workers", None)  # Python 3.14
    if terminate is not None:
        terminate()
        return
    # Before 3.14 the pool has no public way to end a running worker; its process table does.
    processes = list(getattr(executor, "_processes", {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(5)
