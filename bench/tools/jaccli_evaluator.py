"""jaccli's batch evaluator in process: the compute step of ``jaccli jacobian --batch``.

The end-to-end figure for jaccli is the console script itself (see `bench.batch_jacobian`);
this script isolates the part that ``--batch`` spends evaluating, for the compute-only column.
It drives the objects the command uses (`jaccli._operations.plan`, `jaccli._operations.Evaluator`, chunks
sized by `jaccli._operations.chunk_size`), chunk by chunk as a batch run does, without reading
or writing files. Those are internal names: if they change, this script has to follow.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from bench.tools import protocol

MAX_BYTES = 1 << 30  # the CLI's default --max-bytes


def setup(problem: ModuleType) -> protocol.Compute:
    """Load the problem's JAX form through jaccli; plan and compile on the first call."""
    from jaccli import _operations, _problem
    from jaccli._load import loader

    function = loader.load(f"{problem.__file__}:f")
    (param,) = function.params
    state: dict[str, Any] = {}

    def compute(points: np.ndarray) -> np.ndarray:
        if not state:
            prepared = _problem.prepare(function, {param: points[0]})
            plan = _operations.plan(prepared, "jacobian", "auto", MAX_BYTES)
            state["plan"] = plan
            state["evaluator"] = _operations.Evaluator(prepared, plan, lambda: None)
            state["chunk"] = _operations.chunk_size(prepared, plan, MAX_BYTES)
        plan, evaluator, chunk = state["plan"], state["evaluator"], state["chunk"]
        results = []
        for start in range(0, len(points), chunk):
            block = points[start : start + chunk]
            _, raw = evaluator({param: block}, len(block), _operations.padded(len(block), chunk))
            results.append(plan.shape(raw))
        return np.concatenate(results)

    return compute


if __name__ == "__main__":
    protocol.main(setup)
