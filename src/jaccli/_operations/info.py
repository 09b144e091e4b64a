"""Shapes, sizes and the mode a Jacobian would use, computing no derivative."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._problem import DEFAULT_MAX_BYTES, Problem
from ..results import InfoResult
from .modes import check_mode, jacobian_mode
from .sparse import dense_notes, hessian_plan, hessian_sparsity_fields, sparse_plan, sparsity_fields


def info_at(
    problem: Problem, mode: str = "auto", sparse: bool = False, max_bytes: int = DEFAULT_MAX_BYTES
) -> InfoResult:
    """Shapes, sizes and the mode ``jacobian`` would use, computing no derivative.

    With ``sparse``, also the sparsity pattern's nnz and density and the colour counts of both
    directions (the program is traced, nothing is differentiated); the mode is then the sparse
    choice. For a scalar function (whose Jacobian is one row) also the Hessian's: nnz, density
    and the colours of its star colouring.
    """
    check_mode(mode, problem.labels)
    sparsity, notes, hessian_sparsity = None, (), None
    if sparse:
        pattern, plan, _ = sparse_plan(problem, mode, max_bytes)
        mode_used, reason = plan.chosen.direction, plan.reason
        sparsity, notes = sparsity_fields(pattern, plan), dense_notes(pattern)
        if problem.m == 1:
            pattern, coloring, _ = hessian_plan(problem, max_bytes)
            hessian_sparsity = hessian_sparsity_fields(pattern, coloring)
    else:
        choice = jacobian_mode(problem, mode)
        mode_used, reason = choice.mode, choice.reason
    itemsize = problem.itemsize
    jac_shape: Any
    if len(problem.wrt) == 1:
        jac_shape = _shape_tree(problem.out_shape, problem.primals[0])
    else:
        jac_shape = {
            name: _shape_tree(problem.out_shape, value)
            for name, value in zip(problem.wrt, problem.primals, strict=True)
        }
    return InfoResult(
        function=problem.info(),
        at=problem.at(),
        wrt=problem.wrt,
        n=problem.n,
        m=problem.m,
        mode=mode_used,
        mode_reason=reason,
        jacobian_shape=jac_shape,
        jacobian_bytes=problem.n * problem.m * itemsize,
        hessian_bytes=problem.n * problem.n * problem.m * itemsize,
        dtype=problem.dtype,
        device=problem.device_name,
        warnings=(*problem.warnings, *notes),
        sparsity=sparsity,
        hessian_sparsity=hessian_sparsity,
    )


def _shape_tree(out_shape: tuple[int, ...], value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape_tree(out_shape, item) for key, item in value.items()}
    return out_shape + tuple(np.shape(value))
