"""Rules for primitives that move entries: shapes (broadcast, reshape, transpose, slices,
concatenation, padding) and indexing (dynamic slices, gather, scatter).

Indices must be constants of the program: an index that depends on the input has no SymPy form
here, and is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .elementwise import maximum, minimum
from .limits import SymbolicUnavailable
from .values import Interpreting, Rule, constant, dtype_kind, integers, number, registrar

RULES: dict[str, Rule] = {}
rule = registrar(RULES)


@rule("broadcast_in_dim")
def _broadcast_in_dim(
    interpreter: Interpreting, eqn: Any, args: list[np.ndarray]
) -> list[np.ndarray]:
    shape = tuple(eqn.params["shape"])
    expanded = [1] * len(shape)
    for axis, dim in zip(eqn.params["broadcast_dimensions"], args[0].shape, strict=True):
        expanded[axis] = dim
    return [np.broadcast_to(args[0].reshape(expanded), shape).copy()]


@rule("reshape")
def _reshape(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    x = args[0]
    if eqn.params.get("dimensions") is not None:
        x = x.transpose(eqn.params["dimensions"])
    return [x.reshape(tuple(eqn.params["new_sizes"]))]


@rule("squeeze")
def _squeeze(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [args[0].reshape(eqn.outvars[0].aval.shape)]


@rule("expand_dims")
def _expand_dims(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [args[0].reshape(eqn.outvars[0].aval.shape)]


@rule("transpose")
def _transpose(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [args[0].transpose(eqn.params["permutation"])]


@rule("rev")
def _rev(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [np.flip(args[0], axis=tuple(eqn.params["dimensions"])).copy()]


@rule("slice")
def _slice(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    p = eqn.params
    strides = p["strides"] or (1,) * len(p["start_indices"])
    index = tuple(
        slice(a, b, s)
        for a, b, s in zip(p["start_indices"], p["limit_indices"], strides, strict=True)
    )
    return [args[0][index].copy()]


@rule("concatenate")
def _concatenate(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [np.concatenate(args, axis=eqn.params["dimension"])]


@rule("stack")
def _stack(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [np.stack(args, axis=eqn.params["axis"])]


@rule("tile")
def _tile(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [np.tile(args[0], tuple(eqn.params["reps"]))]


@rule("split")
def _split(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    cuts = np.cumsum([int(s) for s in eqn.params["sizes"]])[:-1]
    return [part.copy() for part in np.split(args[0], cuts, axis=eqn.params["axis"])]


@rule("pad")
def _pad(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    x, fill = args[0], args[1][()]
    for axis, (low, high, interior) in enumerate(eqn.params["padding_config"]):
        moved = np.moveaxis(x, axis, 0)
        n = moved.shape[0]
        length = n + max(n - 1, 0) * interior
        grown = np.full((length, *moved.shape[1:]), fill, dtype=object)
        grown[:: interior + 1] = moved
        rest = moved.shape[1:]
        if low > 0:
            grown = np.concatenate([np.full((low, *rest), fill, dtype=object), grown])
        elif low < 0:
            grown = grown[-low:]
        if high > 0:
            grown = np.concatenate([grown, np.full((high, *rest), fill, dtype=object)])
        elif high < 0:
            grown = grown[: grown.shape[0] + high]
        x = np.moveaxis(grown, 0, axis)
    return [x.copy()]


@rule("iota")
def _iota(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    p = eqn.params
    shape = tuple(p["shape"])
    values = np.indices(shape)[p["dimension"]] if shape else np.zeros(())
    return [constant(values.astype(p["dtype"]))]


def _starts(args: Sequence[np.ndarray], shape: Sequence[int], sizes: Sequence[int], what: str):
    starts = [int(integers(a, what)[()]) for a in args]
    # Like XLA: start indices are clamped so that the whole window lies inside the operand.
    return [min(max(s, 0), d - n) for s, d, n in zip(starts, shape, sizes, strict=True)]


@rule("dynamic_slice")
def _dynamic_slice(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    x = args[0]
    sizes = eqn.params["slice_sizes"]
    starts = _starts(args[1:], x.shape, sizes, "dynamic_slice")
    index = tuple(slice(s, s + n) for s, n in zip(starts, sizes, strict=True))
    return [x[index].copy()]


@rule("dynamic_update_slice")
def _dynamic_update_slice(
    interpreter: Interpreting, eqn: Any, args: list[np.ndarray]
) -> list[np.ndarray]:
    x, update = args[0].copy(), args[1]
    starts = _starts(args[2:], x.shape, update.shape, "dynamic_update_slice")
    x[tuple(slice(s, s + n) for s, n in zip(starts, update.shape, strict=True))] = update
    return [x]


def _fill(eqn: Any) -> Any:
    import sympy as sp

    value = eqn.params.get("fill_value")
    kind = dtype_kind(eqn.outvars[0])
    if value is not None:
        return number(value, kind)
    if kind in "fc":
        return sp.nan
    dtype = np.dtype(eqn.outvars[0].aval.dtype)
    if kind == "b":
        return sp.true
    return sp.Integer(np.iinfo(dtype).min if kind == "i" else np.iinfo(dtype).max)


@rule("gather")
def _gather(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    operand, indices = args[0], integers(args[1], "gather")
    dn = eqn.params["dimension_numbers"]
    if dn.operand_batching_dims or dn.start_indices_batching_dims:
        raise SymbolicUnavailable("SymPy cannot follow indexing with batching dimensions (gather)")
    sizes = eqn.params["slice_sizes"]
    drop = "FILL_OR_DROP" in str(eqn.params["mode"])
    out_shape = tuple(eqn.outvars[0].aval.shape)
    batch_dims = [d for d in range(len(out_shape)) if d not in dn.offset_dims]
    window = [d for d in range(operand.ndim) if d not in dn.collapsed_slice_dims]
    fill = _fill(eqn) if drop else None
    out = np.empty(out_shape, dtype=object)
    interpreter.add_work(out.size)
    for out_idx in np.ndindex(*out_shape):
        vector = indices[tuple(out_idx[d] for d in batch_dims)]
        start = [0] * operand.ndim
        for k, d in enumerate(dn.start_index_map):
            start[d] = int(vector[k])
        inside = all(
            0 <= s <= dim - n for s, dim, n in zip(start, operand.shape, sizes, strict=True)
        )
        if drop and not inside:
            out[out_idx] = fill
            continue
        start = [
            min(max(s, 0), dim - n) for s, dim, n in zip(start, operand.shape, sizes, strict=True)
        ]
        for d, offset in zip(window, (out_idx[d] for d in dn.offset_dims), strict=True):
            start[d] += offset
        out[out_idx] = operand[tuple(start)]
    return [out]


@rule(
    "scatter",
    "scatter-add",
    "scatter_add",
    "scatter-mul",
    "scatter_mul",
    "scatter-min",
    "scatter_min",
    "scatter-max",
    "scatter_max",
)
def _scatter(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:

    operand, indices, updates = args[0].copy(), integers(args[1], "scatter"), args[2]
    dn = eqn.params["dimension_numbers"]
    if dn.operand_batching_dims or dn.scatter_indices_batching_dims:
        raise SymbolicUnavailable(
            "SymPy cannot follow an indexed update with batching dimensions (scatter)"
        )
    combine = {
        "scatter": lambda old, new: new,
        "add": lambda old, new: old + new,
        "mul": lambda old, new: old * new,
        "min": minimum,
        "max": maximum,
    }[eqn.primitive.name.replace("_", "-").split("-")[-1]]
    clip = "CLIP" in str(eqn.params["mode"])
    scatter_dims = [d for d in range(updates.ndim) if d not in dn.update_window_dims]
    window = [d for d in range(operand.ndim) if d not in dn.inserted_window_dims]
    sizes = [1] * operand.ndim
    for d, u in zip(window, dn.update_window_dims, strict=True):
        sizes[d] = updates.shape[u]
    interpreter.add_work(updates.size)
    for upd_idx in np.ndindex(*updates.shape):
        vector = indices[tuple(upd_idx[d] for d in scatter_dims)]
        start = [0] * operand.ndim
        for k, d in enumerate(dn.scatter_dims_to_operand_dims):
            start[d] = int(vector[k])
        if clip:
            start = [
                min(max(s, 0), dim - n)
                for s, dim, n in zip(start, operand.shape, sizes, strict=True)
            ]
        elif not all(
            0 <= s <= dim - n for s, dim, n in zip(start, operand.shape, sizes, strict=True)
        ):
            continue  # XLA drops an update whose window does not fit
        for d, u in zip(window, dn.update_window_dims, strict=True):
            start[d] += upd_idx[u]
        target = tuple(start)
        operand[target] = combine(operand[target], updates[upd_idx])
    return [operand]
