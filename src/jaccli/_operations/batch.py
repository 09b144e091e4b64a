"""A batch: the plan of a command set up at the first point, then evaluated chunk by chunk.

The plan is the one a single point uses (`plans`), so a batch refuses what a point refuses, with
the same words, and reports the same mode and reason. Writing the results is the caller's job:
`BatchRun.chunks` yields them in input order, as they are computed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._load.batch_files import Batch, batch_length, row, tree_map
from .._problem import Labels, Problem, prepare
from ..errors import ShapeError
from ..results import DerivativeResult, count_nonfinite
from .evaluator import Evaluator, chunk_size, padded
from .plans import Plan, plan
from .point_tasks import derivatives_at, stacked
from .records import nonfinite_warning
from .workers import Workers, traceable

NOT_VECTORISED = (
    "the function uses Python control flow on values and could not be compiled or vectorised; "
    "the batch is computed point by point"
)


@dataclass
class Chunk:
    """The results of consecutive points of a batch, stacked on a leading axis."""

    start: int
    count: int
    points: dict[str, Any]
    value: Any
    result: Any
    results: list[DerivativeResult] | None = None
    """Each point's own result, where each point was computed alone (finite differences)."""


@dataclass
class BatchRun:
    """A command over a batch: set up at the first point, then evaluated chunk by chunk."""

    function: Any
    command: str
    batch: Batch
    wrt: Any = None
    mode: str = "auto"
    vector: Callable[[Problem], Any] | None = None
    dtype: str = "float64"
    device: str = "auto"
    labels: Labels = field(default_factory=Labels)
    max_bytes: int = 1 << 30
    values: bool = True
    """Whether the function's values are computed beside the results (outputs that show them)."""
    spread: Callable[[Any], Any] = lambda device: None
    """The spread over devices for a problem's device (None: one device)."""
    on_fallback: Callable[[], None] = lambda: None
    on_done: Callable[[int], None] = lambda count: None
    workers: Workers | None = None
    """Where a function JAX cannot trace is differentiated, point by point."""
    black_box: bool = False
    problem: Problem | None = None
    plan: Plan | None = None
    evaluator: Evaluator | None = None
    count: int = 0
    nonfinite: int = 0

    def chunks(self) -> Iterator[Chunk]:
        """The results chunk by chunk, in input order; the plan is made at the first point."""
        if self.batch.first is not None:
            self._setup(self.batch.first)
        overflow = None
        for block in self.batch.blocks:
            if self.plan is None:
                self._setup(row(block, 0))
            count = batch_length(block, "the batch")
            per_point = self.plan.per_point
            if per_point is not None and self.count + count > per_point:
                # The points that have a vector are still evaluated; the run stops after them.
                overflow = ShapeError(
                    f"{self.labels('v')} holds {per_point} vectors, but the batch has more points",
                    hint="give one vector per point, or one vector for all of them",
                )
                count = per_point - self.count
                if count == 0:
                    raise overflow
                block = {
                    name: tree_map(lambda a, k=count: a[:k], col) for name, col in block.items()
                }
            yield self._evaluate(block, count)
            if overflow is not None:
                raise overflow
        if self.plan.per_point is not None and self.count != self.plan.per_point:
            raise ShapeError(self._vector_count(self.plan.per_point, self.count))

    def _setup(self, first: dict[str, Any]) -> None:
        """Prepare the problem at the first point, plan the command, size the chunks."""
        chunking, total = self.batch.chunking, self.batch.total
        problem = prepare(self.function, first, self.wrt, self.dtype, self.device, self.labels)
        vector = self.vector(problem) if self.vector else None
        self.problem = problem
        self.plan = plan(problem, self.command, self.mode, self.max_bytes, vector, batch=True)
        self.black_box = self.plan.finite_differences and not traceable(problem)
        if self.black_box:
            self.on_fallback()
        spread = self.spread(problem.device)
        self.evaluator = Evaluator(
            problem, self.plan, self.on_fallback, self.on_done, values=self.values, spread=spread
        )
        chunking.size = chunk_size(problem, self.plan, self.max_bytes)
        if total is not None:
            if self.plan.per_point is not None and total != self.plan.per_point:
                raise ShapeError(self._vector_count(self.plan.per_point, total))
            # Equal chunks, the last one padded to the same size: one compiled shape.
            pieces = -(-total // chunking.size)
            chunking.size = -(-total // pieces)
        # A block holds one chunk for each device (of every process), of the size one device
        # alone would evaluate, so that the results do not depend on the split.
        chunking.slots = 1 if spread is None else spread.multiple
        chunking.size *= chunking.slots

    def _evaluate(self, block: dict[str, Any], count: int) -> Chunk:
        if self.black_box:
            return self._point_by_point(block, count)
        chunking = self.batch.chunking
        if self.batch.total is not None:
            rows = chunking.size
        else:
            rows = padded(count, chunking.size // chunking.slots, chunking.slots)
        value, raw = self.evaluator(block, count, rows, self.count)
        result = self.plan.shape(raw)
        self.nonfinite += count_nonfinite(value) + count_nonfinite(result)
        chunk = Chunk(self.count, count, block, value, result)
        self.count += count
        return chunk

    def _point_by_point(self, block: dict[str, Any], count: int) -> Chunk:
        """A chunk of a function JAX cannot trace: each point as one point gives it (finite
        differences), spread over the workers when there are any."""
        assert self.problem is not None
        options = {"mode": self.mode, "max_bytes": self.max_bytes, "value": self.values}
        points = [row(block, i) for i in range(count)]
        results = derivatives_at(
            self.problem, points, self.command, options, self.workers, self.on_done
        )
        value, result = stacked(results)
        self.nonfinite += sum(r.nonfinite for r in results)
        chunk = Chunk(self.count, count, block, value, result, results)
        self.count += count
        return chunk

    def _vector_count(self, vectors: int, points: int) -> str:
        label = self.labels("v")
        return f"{label} holds {vectors} vectors (one per point) but the batch has {points} points"

    def point_result(self, chunk: Chunk, i: int) -> DerivativeResult:
        """The result at point ``i`` of ``chunk``, as a single point would give it."""
        assert self.problem is not None and self.plan is not None and self.evaluator is not None
        if chunk.results is not None:
            return chunk.results[i]
        value = chunk.value[i]
        result = tree_map(lambda a: a[i], chunk.result)
        bad = count_nonfinite(value) + count_nonfinite(result)
        warnings = list(self.problem.warnings)
        if not self.evaluator.compiled:
            warnings.append(NOT_VECTORISED)
        if bad:
            warnings.append(nonfinite_warning(bad))
        v = self.plan.v
        if self.plan.per_point is not None:
            v = tree_map(lambda a: a[chunk.start + i], v)
        return DerivativeResult(
            command=self.command,
            function=self.problem.info(),
            at=row(chunk.points, i),
            value=value,
            mode=self.plan.mode,
            mode_reason=self.plan.reason,
            result=result,
            wrt=self.problem.wrt,
            dtype=self.problem.dtype,
            device=self.problem.device_name,
            warnings=tuple(warnings),
            v=v,
            holomorphic=self.plan.holomorphic,
            nonfinite=bad,
        )

    def stacked_result(self, chunks: list[Chunk]) -> DerivativeResult:
        """Every point's result stacked on a leading batch axis (for array files and CSV)."""
        assert self.problem is not None and self.plan is not None
        first = chunks[0].results[0] if chunks and chunks[0].results else None
        return DerivativeResult(
            command=self.command,
            function=self.problem.info(),
            at={},
            value=np.concatenate([c.value for c in chunks]),
            mode=first.mode if first else self.plan.mode,
            mode_reason=first.mode_reason if first else self.plan.reason,
            result=tree_map(lambda *xs: np.concatenate(xs), *[c.result for c in chunks]),
            wrt=self.problem.wrt,
            dtype=self.problem.dtype,
            device=self.problem.device_name,
        )
