"""The operations: one plan per command (preconditions, mode and why, result layout) used by
one point and by a batch alike; the point runner, the batched evaluator, sparse Jacobians and
Hessians, finite differences for functions JAX cannot trace, the spread over devices, and black
boxes evaluated by a pool of worker processes or a Dask cluster. The names resolve on first use:
one point does not import the batch, the worker processes or the spread over devices."""

from .._runtime.lazy import lazy_names

# name: the module (relative to this package) that defines it.
EXPORTS = {
    "COMMANDS": "plans",
    "Evaluator": "evaluator",
    "Plan": "plans",
    "Workers": "workers",
    "check_mode": "modes",
    "chunk_size": "evaluator",
    "chunks": "evaluator",
    "evaluate_points": "pool",
    "finish": "point",
    "finite_differences_at": "finite_differences",
    "info_at": "info",
    "nonfinite_entries": "records",
    "nonfinite_warning": "records",
    "padded": "evaluator",
    "parse_workers": "workers",
    "plan": "plans",
    "result_record": "records",
    "run": "point",
    "traceable": "workers",
    "traced_note": "workers",
    "workers_from": "workers",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_names(__name__, EXPORTS)
