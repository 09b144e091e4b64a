"""A black box evaluated on a Dask distributed cluster (``--dask ADDRESS``, the ``dask`` extra).

The same tasks as the local pool (`workers.evaluate_rows`), with the function file's bytes in
the recipe, since the cluster's workers may not share this filesystem (they need jaccli and the
function's own imports installed). The recipe goes to the workers once; chunks go out and
their results come back in order. Nothing waits without a bound: the scheduler must answer
within the timeout, and a run whose cluster has no worker, or whose worker was lost, for that
long ends with a resource error (exit 4) instead of a hang.
"""

from __future__ import annotations

import time
from typing import Any

from ..errors import FunctionError, MissingExtraError, ResourceError
from .workers import PointFailure, Tasks, Workers

# Tasks are cut for this many workers: a cluster's size is not known before it is reached.
DASK_CHUNKS = 16


def client_for(workers: Workers) -> Any:
    """A client of the scheduler at ``workers.dask``, or a clean error within the timeout."""
    try:
        from distributed import Client
    except ImportError:
        raise MissingExtraError(
            f"{workers.labels('dask')} needs Dask distributed, which is not installed",
            hint=f"pip install 'jaccli[dask]', or use {workers.labels('workers')} N on this "
            "machine",
        ) from None
    try:
        return Client(workers.dask, timeout=workers.timeout)
    except (OSError, TimeoutError) as exc:
        raise ResourceError(
            f"cannot reach the Dask scheduler at {workers.dask} within {workers.timeout:g} s: "
            f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}",
            hint=f"check the address (tcp://HOST:8786) and that the scheduler runs; "
            f"{workers.labels('dask_timeout')} sets the wait",
        ) from None


def run_on_dask(tasks: Tasks, workers: Workers) -> list[Any]:
    """The tasks run on the cluster, results put back in order."""
    client = client_for(workers)
    futures: list[Any] = []
    try:
        futures = [client.submit(tasks.task, *args, pure=False) for args in tasks.arguments]
        return _gather(client, futures, tasks, workers)
    finally:
        for future in futures:
            future.cancel()
        client.close(timeout=workers.timeout)


def _gather(client: Any, futures: list[Any], tasks: Tasks, workers: Workers) -> list[Any]:
    """The futures' results in order, as they finish; bounded by the timeout while the cluster
    has no worker."""
    from distributed import wait
    from distributed.client import FutureCancelledError

    ranges = tasks.ranges
    out: list[Any] = [None] * len(futures)
    pending = dict(zip(futures, range(len(futures)), strict=True))
    alone_since: float | None = None
    while pending:
        try:
            done, _ = wait(list(pending), timeout=1.0, return_when="FIRST_COMPLETED")
        except TimeoutError:
            done = set()
        for future in done:
            i = pending.pop(future)
            try:
                out[i] = future.result()
            except PointFailure as exc:
                raise tasks.failed(exc) from None
            except FutureCancelledError:
                raise _lost(workers, ranges[i], "its task was cancelled") from None
            except Exception as exc:
                if type(exc).__name__ == "KilledWorker":
                    raise _lost(workers, ranges[i], "the workers running it died") from None
                raise FunctionError(f"the task failed on the Dask cluster: {exc}") from None
            tasks.on_done(ranges[i][1] - ranges[i][0])
        if done:
            alone_since = None
            continue
        if client.status != "running" or not client.scheduler_info(n_workers=-1).get("workers"):
            alone_since = alone_since or time.monotonic()
            if time.monotonic() - alone_since > workers.timeout:
                raise _lost(
                    workers, ranges[min(pending.values())], f"no worker for {workers.timeout:g} s"
                )
    return out


def _lost(workers: Workers, task: tuple[int, int], why: str) -> ResourceError:
    start, stop = task
    return ResourceError(
        f"the Dask cluster at {workers.dask} lost points {start}–{stop - 1}: {why}",
        hint="check the cluster's workers (their logs say why they left), then run again",
    )
