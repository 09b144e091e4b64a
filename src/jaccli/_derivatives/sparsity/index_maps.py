"""Index maps: for an operation that moves elements, which operand element each result element is.

Each map is an integer array in the result's layout holding operand element indices (see
`dependence.indices`), -1 where the element comes from elsewhere (padding, a fill value).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .dependence import indices, size


def arrange(
    shape: tuple[int, ...], batch: Sequence[int], contract: Sequence[int], contract_last: bool
) -> np.ndarray:
    """Element indices of a dot_general operand as (batch, free, contract) or (batch, contract,
    free).

    >>> arrange((2, 3), (), (1,), contract_last=True).shape
    (1, 2, 3)
    """
    free = [a for a in range(len(shape)) if a not in batch and a not in contract]
    order = [*batch, *free, *contract] if contract_last else [*batch, *contract, *free]
    sizes = [size([shape[a] for a in group]) for group in (batch, free, contract)]
    arranged = np.transpose(indices(shape), order)
    if contract_last:
        return arranged.reshape(sizes[0], sizes[1], sizes[2])
    return arranged.reshape(sizes[0], sizes[2], sizes[1])


def pad_index(index: np.ndarray, config: Sequence[Sequence[int]]) -> np.ndarray:
    """`lax.pad` of an index array with -1: low, high and interior padding, negative allowed.

    >>> pad_index(np.arange(3), [(1, -1, 1)]).tolist()
    [-1, 0, -1, 1, -1]
    """
    for axis, (low, high, interior) in enumerate(config):
        low, high, interior = int(low), int(high), int(interior)
        d = index.shape[axis]
        if interior and d > 1:
            shape = list(index.shape)
            shape[axis] = d + (d - 1) * interior
            spread = np.full(shape, -1, dtype=np.int64)
            where = [slice(None)] * index.ndim
            where[axis] = slice(None, None, interior + 1)
            spread[tuple(where)] = index
            index = spread
        for amount, at_start in ((low, True), (high, False)):
            if amount > 0:
                shape = list(index.shape)
                shape[axis] = amount
                block = np.full(shape, -1, dtype=np.int64)
                parts = [block, index] if at_start else [index, block]
                index = np.concatenate(parts, axis=axis)
            elif amount < 0:
                where = [slice(None)] * index.ndim
                where[axis] = slice(-amount, None) if at_start else slice(None, amount)
                index = index[tuple(where)]
    return index


def starts(values: Sequence[Any], shape: Sequence[int], sizes: Sequence[int]) -> list[int] | None:
    """Constant start indices of a dynamic slice, clamped as XLA clamps them; None if unknown.

    ``values`` holds each start's value, a function returning it or None (see `constants`).
    """
    found = []
    for value, d, k in zip(values, shape, sizes, strict=True):
        known = value()
        if known is None:
            return None
        found.append(int(np.clip(int(known), 0, d - k)))
    return found


def gather_index(eqn: Any, shape: tuple[int, ...], index_values: Any) -> np.ndarray | None:
    """Which operand element each gathered element is (-1: the fill value), by running the
    gather itself on the operand's element indices."""
    import jax.numpy as jnp

    if index_values is None:
        return None
    params = dict(eqn.params, fill_value=-1)
    out = eqn.primitive.bind(jnp.asarray(indices(shape)), jnp.asarray(index_values), **params)
    return np.asarray(out).reshape(-1)


def scatter_targets(eqn: Any, shapes: Sequence[tuple[int, ...]], index_values: Any) -> Any:
    """The output element each update lands on (-1: dropped), from the gather that is the
    scatter's transpose (as in JAX's own transpose rule for scatter-add)."""
    import jax.numpy as jnp
    from jax import lax

    if index_values is None:
        return None
    dnums = eqn.params["dimension_numbers"]
    operand_shape, _, updates_shape = shapes
    sizes, pos = [], 0
    for axis in range(len(operand_shape)):
        if axis in dnums.inserted_window_dims or axis in dnums.operand_batching_dims:
            sizes.append(1)
        else:
            sizes.append(updates_shape[dnums.update_window_dims[pos]])
            pos += 1
    gather = lax.GatherDimensionNumbers(
        offset_dims=dnums.update_window_dims,
        collapsed_slice_dims=dnums.inserted_window_dims,
        start_index_map=dnums.scatter_dims_to_operand_dims,
        operand_batching_dims=dnums.operand_batching_dims,
        start_indices_batching_dims=dnums.scatter_indices_batching_dims,
    )
    out = lax.gather(
        jnp.asarray(indices(operand_shape)),
        jnp.asarray(index_values),
        gather,
        tuple(sizes),
        mode=eqn.params["mode"],
        fill_value=-1,
    )
    return np.asarray(out).reshape(-1)
