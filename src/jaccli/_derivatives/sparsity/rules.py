"""The rules: how each primitive maps its operands' dependence patterns to its results'.

A rule returns one pattern per result, or None when it cannot follow this equation (the walker
then treats it as dense, which is always correct). `RULES` is the table, by primitive name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .dependence import Dependence, indices, size
from .index_maps import arrange, gather_index, pad_index, scatter_targets, starts

ELEMENTWISE = frozenset(
    """neg sign floor ceil round is_finite exp exp2 log log1p expm1 tanh logistic sin cos tan asin
    acos atan sinh cosh asinh acosh atanh sqrt rsqrt cbrt abs integer_pow square erf erfc erf_inv
    lgamma digamma bessel_i0e bessel_i1e real imag conj not population_count clz copy copy_p
    reduce_precision convert_element_type stop_gradient add add_any sub mul div rem pow max min
    atan2 nextafter and or xor eq ne lt le gt ge shift_left shift_right_logical
    shift_right_arithmetic igamma igammac igamma_grad_a random_gamma_grad polygamma zeta complex
    clamp select_n regularized_incomplete_beta""".split()  # noqa: SIM905 (a word list reads best)
)
# JAX differentiates these to exactly zero.
ZERO_DERIVATIVE = frozenset({"sign", "floor", "ceil", "round", "stop_gradient", "is_finite"})
REDUCTIONS = frozenset(
    {"reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and", "reduce_or",
     "reduce_xor", "argmax", "argmin"}
)  # fmt: skip
CUMULATIVE = frozenset({"cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"})
SCATTERS = frozenset({"scatter", "scatter-add", "scatter_add", "scatter-mul", "scatter_mul",
                      "scatter-min", "scatter_min", "scatter-max", "scatter_max"})  # fmt: skip


def control_operands(name: str, count: int) -> tuple[int, ...]:
    """Operands that choose *which* elements are used (indices), not their values: any element
    of the result may depend on any of them. (A select_n predicate is elementwise, and under
    pruning has no dependence anyway, being boolean.)

    >>> control_operands("dynamic_update_slice", 4)
    (2, 3)
    """
    if name == "gather" or name in SCATTERS:
        return (1,)
    if name == "dynamic_slice":
        return tuple(range(1, count))
    if name == "dynamic_update_slice":
        return tuple(range(2, count))
    return ()


@dataclass(frozen=True)
class Operation:
    """One equation as a rule sees it: its operands' patterns and values, and the shapes."""

    eqn: Any
    deps: list[Any]
    values: list[Callable[[], Any]]
    shapes: list[tuple[int, ...]]
    out_shape: tuple[int, ...]

    @property
    def params(self) -> Any:
        return self.eqn.params


def follow(ops: Dependence, eqn: Any, ins: Sequence[tuple[Any, Any]]) -> list[Any] | None:
    """One pattern per result of ``eqn`` from its operands' ``(pattern, value)`` slots, or None
    where no rule follows it."""
    rule = RULES.get(eqn.primitive.name)
    if rule is None:
        return None
    shapes = [tuple(v.aval.shape) for v in eqn.invars]
    out_shape = tuple(eqn.outvars[0].aval.shape)
    return rule(ops, Operation(eqn, [d for d, _ in ins], [v for _, v in ins], shapes, out_shape))


def _elementwise(ops: Dependence, op: Operation) -> list[Any]:
    out = None
    for dep, shape in zip(op.deps, op.shapes, strict=True):
        out = ops.union(out, broadcast_rows(ops, dep, shape, op.out_shape))
    return [out]


def broadcast_rows(
    ops: Dependence, dep: Any, shape: tuple[int, ...], out_shape: tuple[int, ...]
) -> Any:
    """The pattern of an elementwise operand of ``shape``, broadcast to the result's shape."""
    if dep is None or shape == out_shape:
        return dep
    return ops.take(dep, np.broadcast_to(indices(shape), out_shape))


def _reshape(ops: Dependence, op: Operation) -> list[Any] | None:
    if op.params.get("dimensions") is not None and op.eqn.primitive.name == "reshape":
        return None
    return [op.deps[0]]


def _broadcast_in_dim(ops: Dependence, op: Operation) -> list[Any]:
    shape = [1] * len(op.out_shape)
    for axis, d in zip(op.params["broadcast_dimensions"], op.shapes[0], strict=True):
        shape[axis] = d
    index = np.broadcast_to(indices(op.shapes[0]).reshape(shape), op.out_shape)
    return [ops.take(op.deps[0], index)]


def _transpose(ops: Dependence, op: Operation) -> list[Any]:
    return [ops.take(op.deps[0], np.transpose(indices(op.shapes[0]), op.params["permutation"]))]


def _rev(ops: Dependence, op: Operation) -> list[Any]:
    return [ops.take(op.deps[0], np.flip(indices(op.shapes[0]), op.params["dimensions"]))]


def _slice(ops: Dependence, op: Operation) -> list[Any]:
    params = op.params
    strides = params["strides"] or (1,) * len(op.shapes[0])
    window = tuple(
        slice(start, limit, step)
        for start, limit, step in zip(
            params["start_indices"], params["limit_indices"], strides, strict=True
        )
    )
    return [ops.take(op.deps[0], indices(op.shapes[0])[window])]


def _pad(ops: Dependence, op: Operation) -> list[Any]:
    index = pad_index(indices(op.shapes[0]), op.params["padding_config"])
    padding = np.broadcast_to(np.where(index < 0, 0, -1), index.shape)
    return [ops.union(ops.take(op.deps[0], index), ops.take(op.deps[1], padding))]


def _joined(ops: Dependence, op: Operation, axis: int, join: Any) -> Any:
    """Concatenation or stacking: number the operands' elements one after another, join the
    numbers as the operation joins the operands, and read off which operand each came from."""
    shapes = op.shapes
    offsets = np.cumsum([0, *(size(s) for s in shapes)])
    index = join(
        [indices(s) + off for s, off in zip(shapes, offsets, strict=False)], axis=axis
    ).reshape(-1)
    out = None
    for k, dep in enumerate(op.deps):
        if dep is not None:
            own = (index >= offsets[k]) & (index < offsets[k + 1])
            out = ops.union(out, ops.take(dep, np.where(own, index - offsets[k], -1)))
    return out


def _concatenate(ops: Dependence, op: Operation) -> list[Any]:
    return [_joined(ops, op, op.params["dimension"], np.concatenate)]


def _stack(ops: Dependence, op: Operation) -> list[Any]:
    return [_joined(ops, op, op.params["axis"], np.stack)]


def _tile(ops: Dependence, op: Operation) -> list[Any]:
    return [ops.take(op.deps[0], np.tile(indices(op.shapes[0]), op.params["reps"]))]


def _split(ops: Dependence, op: Operation) -> list[Any]:
    cuts = np.cumsum(op.params["sizes"])[:-1]
    pieces = np.split(indices(op.shapes[0]), cuts, axis=op.params["axis"])
    return [ops.take(op.deps[0], piece) for piece in pieces]


def _reduction(ops: Dependence, op: Operation) -> list[Any]:
    shape, axes = op.shapes[0], tuple(op.params["axes"])
    kept = [1 if axis in axes else d for axis, d in enumerate(shape)]
    targets = np.broadcast_to(np.arange(size(kept)).reshape(kept), shape).reshape(-1)
    return [ops.route(op.deps[0], targets, np.arange(size(shape)), size(kept))]


def _cumulative(ops: Dependence, op: Operation) -> list[Any]:
    shape, axis = op.shapes[0], op.params["axis"]
    lines = np.moveaxis(indices(shape), axis, -1).reshape(-1, shape[axis])
    length = shape[axis]
    ops.check(lines.shape[0] * length * (length + 1) // 2)
    later, earlier = np.tril_indices(length)
    if op.params["reverse"]:
        later, earlier = earlier, later
    targets = lines[:, later].reshape(-1)
    sources = lines[:, earlier].reshape(-1)
    return [ops.route(op.deps[0], targets, sources, size(shape))]


def _dot_general(ops: Dependence, op: Operation) -> list[Any]:
    """Output (b, i, j) depends on lhs (b, i, k) where rhs (b, k, j) may be nonzero, and on
    rhs (b, k, j) where lhs (b, i, k) may be nonzero; a constant's zeros are exact zeros."""
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = op.params["dimension_numbers"]
    shapes = op.shapes
    lhs = arrange(shapes[0], lhs_batch, lhs_contract, contract_last=True)
    rhs = arrange(shapes[1], rhs_batch, rhs_contract, contract_last=False)
    batch, free_l, _ = lhs.shape
    free_r = rhs.shape[2]
    out = np.arange(size(op.out_shape)).reshape(batch, free_l, free_r)
    nonzero = [_nonzero(op, k).reshape(-1) for k in (0, 1)]
    result = None
    if op.deps[0] is not None:
        b, k, j = np.nonzero(nonzero[1][rhs])
        ops.check(b.size * free_l)
        targets = out[b, :, j].reshape(-1)
        sources = lhs[b, :, k].reshape(-1)
        result = ops.union(result, ops.route(op.deps[0], targets, sources, out.size))
    if op.deps[1] is not None:
        b, i, k = np.nonzero(nonzero[0][lhs])
        ops.check(b.size * free_r)
        targets = out[b, i, :].reshape(-1)
        sources = rhs[b, k, :].reshape(-1)
        result = ops.union(result, ops.route(op.deps[1], targets, sources, out.size))
    return [result]


def _nonzero(op: Operation, k: int) -> np.ndarray:
    """Where operand ``k`` may be nonzero: everywhere unless it is a constant with known zeros."""
    shape = op.shapes[k]
    known = op.values[k]() if op.deps[k] is None else None
    if known is None:
        return np.ones(shape, dtype=bool)
    return np.broadcast_to(np.asarray(known) != 0, shape)


def _dynamic_slice(ops: Dependence, op: Operation) -> list[Any] | None:
    found = starts(op.values[1:], op.shapes[0], op.params["slice_sizes"])
    if found is None:
        return None
    window = tuple(slice(s, s + k) for s, k in zip(found, op.params["slice_sizes"], strict=True))
    return [ops.take(op.deps[0], indices(op.shapes[0])[window])]


def _dynamic_update_slice(ops: Dependence, op: Operation) -> list[Any] | None:
    operand, update = op.shapes[0], op.shapes[1]
    found = starts(op.values[2:], operand, update)
    if found is None:
        return None
    window = tuple(slice(s, s + k) for s, k in zip(found, update, strict=True))
    from_operand = indices(operand)
    from_operand[window] = -1
    from_update = np.full(operand, -1, dtype=np.int64)
    from_update[window] = indices(update)
    return [ops.union(ops.take(op.deps[0], from_operand), ops.take(op.deps[1], from_update))]


def _gather(ops: Dependence, op: Operation) -> list[Any] | None:
    index = gather_index(op.eqn, op.shapes[0], op.values[1]())
    return None if index is None else [ops.take(op.deps[0], index)]


def _scatter(ops: Dependence, op: Operation) -> list[Any] | None:
    targets = scatter_targets(op.eqn, op.shapes, op.values[1]())
    if targets is None:
        return None
    keep = targets >= 0
    sources = np.flatnonzero(keep)
    routed = ops.route(op.deps[2], targets[keep], sources, size(op.out_shape))
    return [ops.union(op.deps[0], routed)]


Rule = Callable[[Dependence, Operation], list[Any] | None]

RULES: dict[str, Rule] = {
    **dict.fromkeys(ELEMENTWISE, _elementwise),
    **dict.fromkeys(("reshape", "squeeze", "expand_dims"), _reshape),
    "broadcast_in_dim": _broadcast_in_dim,
    "transpose": _transpose,
    "rev": _rev,
    "slice": _slice,
    "pad": _pad,
    "concatenate": _concatenate,
    "stack": _stack,
    "tile": _tile,
    "split": _split,
    **dict.fromkeys(REDUCTIONS, _reduction),
    **dict.fromkeys(CUMULATIVE, _cumulative),
    "dot_general": _dot_general,
    "dynamic_slice": _dynamic_slice,
    "dynamic_update_slice": _dynamic_update_slice,
    "gather": _gather,
    **dict.fromkeys(SCATTERS, _scatter),
}
