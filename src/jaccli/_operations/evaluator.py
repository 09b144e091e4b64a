"""Evaluate a plan on stacked points: one compiled, vmapped call per chunk.

Chunks are sized from the byte limit and padded to few distinct shapes, so few programs are
compiled. With a `scaleout.Spread` a chunk's batch axis is sharded over a mesh of devices, and
in a distributed run each process evaluates its share and the shares are gathered in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from .._load.batch_files import tree_map
from .._problem import Problem
from ..errors import ShapeError
from .plans import Plan

MAX_CHUNK = 65536


class Evaluator:
    """A plan's per-point derivative, vmapped and compiled once, evaluated chunk by chunk.

    A function with Python control flow on values cannot be traced with abstract values; it is
    then evaluated point by point (each point eagerly where needed), and ``compiled`` turns false.
    """

    def __init__(
        self,
        problem: Problem,
        plan: Plan,
        on_fallback: Callable[[], None],
        on_done: Callable[[int], None] = lambda count: None,
        values: bool = True,
        spread: Any = None,
    ) -> None:
        import jax

        self.problem = problem
        self.plan = plan
        self.compiled = True
        self.spread = spread
        self._on_done = on_done
        self._on_fallback = on_fallback
        self._with_value = values
        self._shared = plan.vector if plan.per_point is None else None
        options = {}
        if spread is not None:
            # Results stay split like the inputs: no device waits for another's rows.
            options["out_shardings"] = spread.sharded
            if self._shared is not None:
                self._shared = jax.device_put(self._shared, spread.replicated)

        def point_fn(v: Any, e: Any) -> Any:
            # Without values, stacked outputs hold results only and XLA drops the value's work.
            return plan.point_fn(v, e, with_value=values)

        vectors_axis = 0 if plan.per_point is not None else None
        self._batched = jax.jit(jax.vmap(point_fn, in_axes=(0, vectors_axis)), **options)

    def __call__(
        self, columns: dict[str, Any], count: int, padded: int, start: int = 0
    ) -> tuple[Any, Any]:
        """``(values, raw results)`` as NumPy arrays with a leading axis of ``count`` points.

        ``columns`` holds the chunk's ``count`` points, evaluated as ``padded`` rows (the last
        point repeated). ``start`` is the index of the chunk's first point in the batch (for
        per-point vectors).
        """
        if self.spread is None:
            out = self._evaluate(columns, count, padded, start, report=True)
        else:
            rows = self.spread.share(padded)
            mine = max(0, min(count, rows.stop) - rows.start)
            if mine:
                part = slice(rows.start, rows.start + mine)
                first = start + rows.start
            else:
                # This process's rows are all padding: it evaluates stand-ins for them.
                part, first, mine = slice(0, 1), start, 1
            local = {name: tree_map(lambda a, p=part: a[p], col) for name, col in columns.items()}
            out = self.spread.gather(
                self._evaluate(local, mine, rows.stop - rows.start, first, report=False)
            )
            self._on_done(count)
        return tree_map(lambda a: np.asarray(a)[:count], out)

    def _cast(self, columns: dict[str, Any], sharded: bool) -> tuple[Any, ...]:
        import jax
        import jax.numpy as jnp

        target = self.spread.sharded if sharded else self.problem.device

        def cast(batch: Any, like: Any) -> Any:
            array = np.asarray(batch)
            if array.dtype.kind == "c" and not jnp.iscomplexobj(like):
                raise ShapeError("a point of the batch is complex but the first point is real")
            if sharded:
                # Straight from the host to each device's rows, not through one device first.
                return jax.device_put(np.asarray(array, dtype=like.dtype), target)
            return jax.device_put(jnp.asarray(array, dtype=like.dtype), target)

        return tuple(
            tree_map(cast, columns[name], like)
            for name, like in zip(self.problem.names, self.problem.values, strict=True)
        )

    def _evaluate(
        self, columns: dict[str, Any], count: int, padded: int, start: int, report: bool
    ) -> Any:
        """The chunk's results on this process's devices, as NumPy arrays of ``padded`` rows."""
        import jax

        def pad(a: Any) -> Any:
            return np.concatenate([a, np.repeat(a[-1:], padded - count, axis=0)])

        per_point = self.plan.per_point is not None
        vector = self.plan.vector
        if per_point:
            vector = tree_map(lambda a: a[start : start + count], vector)
        if padded > count:
            columns = {name: tree_map(pad, col) for name, col in columns.items()}
            if per_point:
                vector = tree_map(pad, vector)
        out = None
        with self.problem.run_context():
            if self.compiled:
                out = self._compiled(columns, vector if per_point else None)
            if out is None:
                out = tree_map(pad, self._one_by_one(columns, vector, count, report))
            else:
                jax.block_until_ready(out)
                if report:
                    self._on_done(count)
        return tree_map(np.asarray, out)

    def _compiled(self, columns: dict[str, Any], vectors: Any) -> Any:
        """The compiled, vmapped call, or None (and the fallback noted) where it cannot trace."""
        import jax

        sharded = self.spread is not None
        shared = self._shared
        if vectors is not None:
            target = self.spread.sharded if sharded else self.problem.device
            shared = tree_map(lambda a: jax.device_put(a, target), vectors)
        try:
            return self._batched(self._cast(columns, sharded), shared)
        except jax.errors.ConcretizationTypeError:
            self.compiled = False
            self._on_fallback()
            return None

    def _one_by_one(self, columns: dict[str, Any], vector: Any, count: int, report: bool) -> Any:
        """Point by point, on the problem's own device, stacked to ``count`` rows."""
        import jax

        per_point = self.plan.per_point is not None
        values = self._cast(columns, False)
        if per_point:
            vector = tree_map(lambda a: jax.device_put(a, self.problem.device), vector)
        each = []
        for i in range(count):
            point = tree_map(lambda a, i=i: a[i], values)
            vector_i = tree_map(lambda a, i=i: a[i], vector) if per_point else vector
            each.append(self.plan.point_fn(point, vector_i, with_value=self._with_value))
            if report:
                self._on_done(1)
        return tree_map(lambda *xs: np.stack([np.asarray(x) for x in xs]), *each)


def chunk_size(problem: Problem, plan: Plan, max_bytes: int) -> int:
    """Points per chunk (of one device): results, values and inputs of a chunk fit in
    ``max_bytes``."""
    import jax

    inputs = sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(problem.values))
    per_point = problem.itemsize * (plan.entries + problem.m + inputs)
    return int(max(1, min(MAX_CHUNK, max_bytes // max(per_point, 1))))


def padded(count: int, chunk: int, slots: int = 1) -> int:
    """Round a chunk up to a power of two (at most ``chunk``) so few shapes are compiled; spread
    over ``slots`` devices, each device's share is rounded so (``count`` ≤ ``slots · chunk``).

    >>> padded(5, 64), padded(5, 64, slots=3), padded(40, 16, slots=3)
    (8, 6, 48)
    """
    share = -(-count // slots)
    return slots * max(share, min(chunk, 1 << max(share - 1, 0).bit_length()))


def chunks(count: int, chunk: int, slots: int = 1) -> Iterator[tuple[int, int, int]]:
    """``(start, points, rows)`` of the calls that evaluate ``count`` points in chunks of at most
    ``chunk`` points, ``slots`` chunks per call (one per device; the rows of a call split evenly
    over the devices). Each chunk is padded as one device alone would pad it, so every point is
    computed by the same program whatever the number of devices.

    >>> list(chunks(10, 4)), list(chunks(10, 4, slots=2))
    ([(0, 4, 4), (4, 4, 4), (8, 2, 2)], [(0, 8, 8), (8, 2, 4)])
    """
    whole = count - count % chunk
    for start in range(0, whole, slots * chunk):
        yield start, min(slots * chunk, whole - start), slots * chunk
    if whole < count:
        yield whole, count - whole, slots * padded(count - whole, chunk)
