"""A sparse Jacobian: the structural pattern read from the traced program, its columns
(forward) or rows (reverse) coloured, and one JVP or VJP per colour."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .._problem import DEFAULT_MAX_BYTES, Problem, flatten, guard_user_code, tracing_failure
from ..errors import FunctionError, ResourceError, UsageError
from ..results import DerivativeResult, SparseJacobian, input_leaves
from .plans import check_mode
from .records import result_record

# A COO entry: an int64 row, an int64 column and a float64 value.
COO_ENTRY_BYTES = 24


def sparse_jacobian_at(
    problem: Problem, mode: str = "auto", max_bytes: int = DEFAULT_MAX_BYTES
) -> DerivativeResult:
    """The Jacobian as a sparse matrix: the structural pattern read from the traced program,
    its columns (forward) or rows (reverse) coloured, and one JVP or VJP per colour.

    The dense size limit does not apply; instead the pattern (as COO triplets) and the
    compressed products (colours × (n + m) numbers) must each fit in ``max_bytes``.
    The result is a `SparseJacobian` (COO over the flat ``(m, n)`` matrix); ``extra`` holds
    ``sparsity``: nnz, density, the colour count of both directions and the direction used.
    """
    from .._derivatives import coloring

    check_mode(mode, problem.labels)
    pattern, plan, flat = sparse_plan(problem, mode, max_bytes)
    limit, sparse = problem.labels("max_bytes"), problem.labels("sparse")
    chosen = plan.chosen
    work = chosen.count * (problem.n + problem.m)
    if work * problem.itemsize > max_bytes:
        raise ResourceError(
            f"the compressed Jacobian ({chosen.count:,} {chosen.products}s over n={problem.n:,}, "
            f"m={problem.m:,}) would take {work * problem.itemsize:,} bytes, over the "
            f"{limit} limit of {max_bytes:,}",
            hint=f"the pattern needs too many colours for {sparse} to pay off; use jvp/vjp "
            f"for products, or raise {limit}",
        )
    value, compressed = problem.run(
        lambda: coloring.compressed_jacobian(flat.fn, flat.x, chosen, problem.out_dtype),
    )
    rows, cols, values = coloring.decompress(pattern.matrix, chosen, compressed)
    at = problem.at()
    blocks, offset = [], 0
    for path, shape in input_leaves(problem.wrt, at):
        blocks.append((".".join(path), shape, offset))
        offset += int(np.prod(shape, dtype=np.int64))
    record = SparseJacobian(
        shape=(problem.m, problem.n),
        rows=rows,
        cols=cols,
        values=values,
        output_shape=tuple(problem.out_shape),
        blocks=tuple(blocks),
    )
    result = result_record(
        problem,
        command="jacobian",
        mode=chosen.direction,
        reason=plan.reason,
        value=np.asarray(value).reshape(problem.out_shape),
        result=record,
        extra={"sparsity": sparsity_fields(pattern, plan)},
    )
    return dataclasses.replace(result, warnings=(*result.warnings, *dense_notes(pattern)))


def sparse_plan(problem: Problem, mode: str, max_bytes: int) -> tuple[Any, Any, Any]:
    """The Jacobian's sparsity pattern, both colourings and the choice, and the flat view of the
    problem they refer to; refuses complex functions and patterns over ``max_bytes``."""
    from .._derivatives import coloring, sparsity

    sparse, limit_label = problem.labels("sparse"), problem.labels("max_bytes")
    sparsity.require(sparse)
    if problem.kind != "real":
        raise UsageError(
            f"{sparse} supports real functions only; this one has complex values",
            hint=f"drop {sparse}: the dense jacobian supports complex values",
        )
    flat = flatten(problem)
    limit = max(max_bytes // COO_ENTRY_BYTES, 1)
    try:
        with guard_user_code(problem.function):
            try:
                pattern = sparsity.jacobian_pattern(flat.fn, flat.x, limit)
            except sparsity.PatternTooLarge as exc:
                raise ResourceError(
                    f"the sparsity pattern would hold {exc.entries:,} entries or more, over the "
                    f"{limit:,} ({COO_ENTRY_BYTES} bytes each) that {limit_label} {max_bytes:,} "
                    "allows",
                    hint=f"the Jacobian is not sparse enough for {sparse}; use jvp/vjp for "
                    f"products, or raise {limit_label}",
                ) from None
    except FunctionError as exc:
        if not tracing_failure(exc.__cause__):
            raise
        raise FunctionError(
            exc.message,
            hint=f"{sparse} reads the pattern from the traced program; "
            + (exc.hint or f"drop {sparse} to compute the Jacobian another way"),
        ) from exc
    return pattern, coloring.plan(pattern.matrix, mode), flat


def sparsity_fields(pattern: Any, plan: Any) -> dict[str, Any]:
    """The ``sparsity`` field of a result: nnz, density, colours of both directions."""
    return {
        "nnz": pattern.nnz,
        "density": pattern.density,
        "colors": {"forward": plan.forward.count, "reverse": plan.reverse.count},
        "direction": plan.chosen.direction,
        "dense_operations": list(pattern.dense_operations),
    }


def dense_notes(pattern: Any) -> tuple[str, ...]:
    """The warning that operations were taken as dense, if any were."""
    if not pattern.dense_operations:
        return ()
    names = ", ".join(pattern.dense_operations)
    return (
        f"the sparsity pattern treats {names} as dense (every element it produces depends on "
        "all of its inputs), so it may hold more entries and need more colours than necessary",
    )
