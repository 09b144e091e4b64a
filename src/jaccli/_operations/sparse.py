"""Sparse derivatives: the structural pattern read from the traced program and coloured. A
Jacobian's columns (forward) or rows (reverse) get one JVP or VJP per colour; a scalar
function's Hessian gets a symmetric (star) colouring and one HVP per colour."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from .._problem import DEFAULT_MAX_BYTES, Problem, flatten, guard_user_code, tracing_failure
from ..errors import FunctionError, ResourceError, UsageError
from ..results import DerivativeResult, SparseJacobian, input_leaves
from .modes import check_mode, gradient_mode, reverse_or_forward
from .records import result_record

# A COO entry: an int64 row, an int64 column and a float64 value.
COO_ENTRY_BYTES = 24


def sparse_at(
    problem: Problem, command: str, mode: str = "auto", max_bytes: int = DEFAULT_MAX_BYTES
) -> DerivativeResult:
    """The sparse Jacobian or Hessian (``command``) at the problem's point."""
    if command == "hessian":
        return sparse_hessian_at(problem, mode, max_bytes)
    if command == "jacobian":
        return sparse_jacobian_at(problem, mode, max_bytes)
    raise UsageError(f"{command} has no sparse form: only jacobian and hessian have")


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
    triplets = coloring.decompress(pattern.matrix, chosen, compressed)
    return sparse_record(
        problem,
        "jacobian",
        (chosen.direction, plan.reason),
        value,
        triplets,
        pattern,
        sparsity_fields(pattern, plan),
    )


def sparse_record(
    problem: Problem,
    command: str,
    mode: tuple[str, str],
    value: Any,
    triplets: tuple[np.ndarray, ...],
    pattern: Any,
    sparsity: dict[str, Any],
) -> DerivativeResult:
    """The result of a sparse ``command``: its COO ``triplets`` (rows, columns, values) as a
    `SparseJacobian`, ``mode`` (the mode and why), the value, ``sparsity`` under ``extra``,
    and the warning about dense operations of ``pattern``."""
    rows, cols, values = triplets
    width = problem.n if command == "hessian" else problem.m
    record = SparseJacobian(
        shape=(width, problem.n),
        rows=rows,
        cols=cols,
        values=values,
        output_shape=tuple(problem.out_shape),
        blocks=input_blocks(problem),
    )
    result = result_record(
        problem,
        command=command,
        mode=mode[0],
        reason=mode[1],
        value=np.asarray(value).reshape(problem.out_shape),
        result=record,
        extra={"sparsity": sparsity},
    )
    return dataclasses.replace(result, warnings=(*result.warnings, *dense_notes(pattern)))


def input_blocks(problem: Problem) -> tuple[tuple[str, tuple[int, ...], int], ...]:
    """Each differentiated array's label, shape and first column in the flat input."""
    blocks, offset = [], 0
    for path, shape in input_leaves(problem.wrt, problem.at()):
        blocks.append((".".join(path), shape, offset))
        offset += int(np.prod(shape, dtype=np.int64))
    return tuple(blocks)


def sparse_plan(problem: Problem, mode: str, max_bytes: int) -> tuple[Any, Any, Any]:
    """The Jacobian's sparsity pattern, both colourings and the choice, and the flat view of the
    problem they refer to; refuses complex functions and patterns over ``max_bytes``."""
    from .._derivatives import coloring, sparsity

    pattern, flat = traced_pattern(problem, sparsity.jacobian_pattern, "Jacobian", max_bytes)
    colored = coloring.plan(pattern.matrix, mode)
    if colored.chosen.direction == "reverse":
        blocked = reverse_or_forward(problem, mode)
        if blocked:
            colored = coloring.plan(pattern.matrix, mode, reverse_blocked=blocked)
    return pattern, colored, flat


def traced_pattern(
    problem: Problem, detect: Callable[..., Any], what: str, max_bytes: int
) -> tuple[Any, Any]:
    """The pattern ``detect`` reads from the traced program of the problem's flat view (``what``
    names the matrix), and that view; refuses complex functions and patterns over
    ``max_bytes``."""
    from .._derivatives import sparsity

    sparse, limit_label = problem.labels("sparse"), problem.labels("max_bytes")
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
                pattern = detect(flat.fn, flat.x, limit)
            except sparsity.PatternTooLarge as exc:
                raise ResourceError(
                    f"the sparsity pattern would hold {exc.entries:,} entries or more, over the "
                    f"{limit:,} ({COO_ENTRY_BYTES} bytes each) that {limit_label} {max_bytes:,} "
                    "allows",
                    hint=f"the {what} is not sparse enough for {sparse}; use "
                    f"{'hvp' if what == 'Hessian' else 'jvp/vjp'} for products, or raise "
                    f"{limit_label}",
                ) from None
    except FunctionError as exc:
        if not tracing_failure(exc.__cause__):
            raise
        raise FunctionError(
            exc.message,
            hint=f"{sparse} reads the pattern from the traced program; "
            + (exc.hint or f"drop {sparse} to compute the {what} another way"),
        ) from exc
    return pattern, flat


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


def sparse_hessian_at(
    problem: Problem, mode: str = "auto", max_bytes: int = DEFAULT_MAX_BYTES
) -> DerivativeResult:
    """The Hessian of a scalar function as a sparse matrix: the pattern of its second-order
    interactions read from the traced program, a star colouring of it, and one
    forward-over-reverse HVP per colour (forward-over-forward where reverse mode cannot be taken
    or with ``mode="fwd"``); each entry is read from one product and ``H[j, i]`` is
    ``H[i, j]``, so the result is exactly symmetric.

    The dense size limit does not apply; instead the pattern (as COO triplets) and the
    compressed products (colours × n numbers) must each fit in ``max_bytes``. The result is a
    `SparseJacobian` over the flat ``(n, n)`` matrix (rows and columns both index the inputs);
    ``extra`` holds ``sparsity``: nnz, density, the colour count and the method.
    """
    from .._derivatives import star_coloring

    check_mode(mode, problem.labels)
    pattern, coloring, flat = hessian_plan(problem, max_bytes)
    inner, why = gradient_mode(problem, mode)
    n, limit = problem.n, problem.labels("max_bytes")
    work = coloring.count * n * problem.itemsize
    if work > max_bytes:
        raise ResourceError(
            f"the compressed Hessian ({coloring.count:,} HVPs over n={n:,}) would take "
            f"{work:,} bytes, over the {limit} limit of {max_bytes:,}",
            hint=f"the pattern needs too many colours for {problem.labels('sparse')} to pay "
            f"off; use hvp for products, or raise {limit}",
        )
    value, compressed = problem.run(
        lambda: star_coloring.compressed_hessian(flat.fn, flat.x, coloring, inner)
    )
    reason = hessian_reason(coloring, inner)
    return sparse_record(
        problem,
        "hessian",
        (f"forward-over-{inner}", f"{why}, so forward-over-forward; {reason}" if why else reason),
        value,
        star_coloring.recover(pattern.matrix, coloring, compressed),
        pattern,
        hessian_sparsity_fields(pattern, coloring),
    )


def hessian_plan(problem: Problem, max_bytes: int) -> tuple[Any, Any, Any]:
    """The Hessian's sparsity pattern, its star colouring, and the flat view of the problem they
    refer to; refuses functions with more than one output."""
    from .._derivatives import sparsity, star_coloring

    sparse = problem.labels("sparse")
    if problem.m != 1:
        raise UsageError(
            f"{sparse} computes the Hessian of a scalar function; this one has "
            f"{problem.m:,} outputs",
            hint=f"drop {sparse}: the dense hessian gives one Hessian per output",
        )
    pattern, flat = traced_pattern(problem, sparsity.hessian_pattern, "Hessian", max_bytes)
    return pattern, star_coloring.star_color(pattern.matrix), flat


def hessian_reason(coloring: Any, inner: str = "reverse") -> str:
    """Why the sparse Hessian takes as many products as it does."""
    count = coloring.count
    how = (
        "star colouring with direct recovery (by symmetry H[i, j] is read from the HVP of "
        "i's colour or of j's: each entry from one product, no substitution)"
        if coloring.greedy
        else "one colour per input (the pattern was too costly to colour)"
    )
    return (
        f"sparse Hessian: {how}: {count} colour{'' if count == 1 else 's'}: {count} "
        f"forward-over-{inner} HVP{'' if count == 1 else 's'}"
    )


def hessian_sparsity_fields(pattern: Any, coloring: Any) -> dict[str, Any]:
    """The ``sparsity`` field of a sparse Hessian: nnz, density, colours and the method."""
    return {
        "nnz": pattern.nnz,
        "density": pattern.density,
        "colors": coloring.count,
        "method": "star" if coloring.greedy else "one per input",
        "recovery": "direct",
        "dense_operations": list(pattern.dense_operations),
    }
