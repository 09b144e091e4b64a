"""The operations: one plan per command (preconditions, mode and why, result layout) used by
one point and by a batch alike; the point runner, the batched evaluator, sparse Jacobians and
Hessians, finite differences for functions JAX cannot trace, the spread over devices, and black
boxes evaluated by a pool of worker processes or a Dask cluster. The names resolve on first use:
one point does not import the batch, the worker processes or the spread over devices."""

from typing import TYPE_CHECKING

from .._runtime.lazy import lazy_package

if TYPE_CHECKING:
    from .evaluator import Evaluator as Evaluator
    from .evaluator import chunk_size as chunk_size
    from .evaluator import chunks as chunks
    from .evaluator import padded as padded
    from .finite_differences import finite_differences_at as finite_differences_at
    from .info import info_at as info_at
    from .modes import check_mode as check_mode
    from .plans import COMMANDS as COMMANDS
    from .plans import Plan as Plan
    from .plans import plan as plan
    from .point import finish as finish
    from .point import run as run
    from .pool import evaluate_points as evaluate_points
    from .records import nonfinite_entries as nonfinite_entries
    from .records import nonfinite_warning as nonfinite_warning
    from .records import result_record as result_record
    from .workers import Workers as Workers
    from .workers import parse_workers as parse_workers
    from .workers import traceable as traceable
    from .workers import traced_note as traced_note
    from .workers import workers_from as workers_from

__getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
