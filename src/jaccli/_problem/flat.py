"""The flat view of a problem: the differentiated arguments as one real vector, the output as
one vector, with the JAX-layout name of every entry; and Jacobians moved between the two."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .problem import Problem, to_numpy


@dataclass(frozen=True)
class Flat:
    """The problem as a function of one flat real vector, with names for its entries (named
    when first asked for: a sparse derivative of 10⁶ inputs never needs them)."""

    fn: Callable[[Any], Any]
    x: np.ndarray
    unravel: Callable[[Any], Any]
    problem: Problem

    @property
    def n(self) -> int:
        return int(self.x.size)

    @property
    def m(self) -> int:
        return len(self.outputs)

    @functools.cached_property
    def inputs(self) -> tuple[tuple[Any, ...], ...]:
        """The JAX-layout index of every input entry, argument by argument."""
        return input_entries(self.problem)

    @functools.cached_property
    def outputs(self) -> tuple[tuple[int, ...], ...]:
        """The index of every output entry."""
        shape = self.problem.out_shape
        return tuple(np.ndindex(shape)) if shape else ((),)

    def entry(self, i: int, j: int, k: int | None = None) -> tuple[Any, ...]:
        """The JAX-layout index of entry ``(i, j)`` (or ``(i, j, k)``): output index + input."""
        index = (*self.outputs[i], *self.inputs[j])
        return index if k is None else (*index, *self.inputs[k])


def flatten(problem: Problem) -> Flat:
    """View the differentiated arguments as one flat vector and the output as a flat vector."""
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree

    x, unravel = ravel_pytree(problem.primals)

    def fn(flat: Any) -> Any:
        return jnp.ravel(problem.call(*unravel(flat)))

    return Flat(fn, np.asarray(x), unravel, problem)


def input_entries(problem: Problem) -> tuple[tuple[Any, ...], ...]:
    """The JAX-layout index of every entry of the differentiated arguments, in flat order."""
    import jax

    several = len(problem.wrt) > 1
    inputs: list[tuple[Any, ...]] = []
    for name, primal in zip(problem.wrt, problem.primals, strict=True):
        leaves = jax.tree_util.tree_leaves_with_path(primal)
        for path, leaf in leaves:
            label = [name] if several else []
            if path:
                label.append(jax.tree_util.keystr(path).strip("[]'\""))
            label = label if several or path else []
            for idx in np.ndindex(np.shape(leaf)):
                inputs.append((*label, *idx) if label else idx)
    return tuple(inputs)


def flat_jacobian(problem: Problem, result: Any) -> np.ndarray:
    """The ``(m, n)`` matrix of a Jacobian in JAX layout (one argument, or a dict by argument)."""
    import jax

    per_arg = [result] if len(problem.wrt) == 1 else [result[name] for name in problem.wrt]
    m = problem.m
    blocks = [
        np.asarray(block).reshape(m, -1)
        for arg in per_arg
        for block in jax.tree_util.tree_leaves(arg)
    ]
    return np.concatenate(blocks, axis=1) if blocks else np.zeros((m, 0))


def flat_hessian(problem: Problem, result: Any) -> np.ndarray:
    """The ``(m, n, n)`` second derivatives of a Hessian in the layout `jaccli hessian` gives
    (one argument: its pytree of pytrees; several: a dict by argument of dicts by argument)."""
    import jax

    m, several = problem.m, len(problem.wrt) > 1
    rows = []
    for a, primal in zip(problem.wrt, problem.primals, strict=True):
        treedef = jax.tree_util.tree_structure(primal)
        # For each argument b: the blocks by leaf of a, each argument b's pytree.
        parts = [treedef.flatten_up_to(result[a][b] if several else result) for b in problem.wrt]
        for k, leaf in enumerate(jax.tree_util.tree_leaves(primal)):
            size = int(np.size(leaf))
            blocks = [
                np.asarray(block).reshape(m, size, -1)
                for by_leaf in parts
                for block in jax.tree_util.tree_leaves(by_leaf[k])
            ]
            rows.append(np.concatenate(blocks, axis=2))
    return np.concatenate(rows, axis=1)


def unflatten_jacobian(problem: Problem, matrix: np.ndarray) -> Any:
    """An ``(m, n)`` matrix in JAX's layout: per argument, ``output_shape + input_shape`` blocks
    (one argument: its blocks; several: a dict by argument name). The inverse of
    `flat_jacobian`."""
    matrix = np.asarray(matrix).reshape(*problem.out_shape, problem.n)
    per_arg = unravel_axis(matrix, problem.primals, -1)
    return per_arg[0] if len(per_arg) == 1 else dict(zip(problem.wrt, per_arg, strict=True))


def one_vector(primals: tuple[Any, ...]) -> bool:
    """Whether to differentiate ``primals`` as one flat vector: they hold several arrays, all
    of one dtype (so that the vector holds each exactly).

    XLA compiles a derivative with respect to many arguments as many programs in one: the
    Hessian of 100 scalar arguments took minutes to compile, that of one 100-entry vector a
    second. A derivative of the flat vector is split back with `unravel_axis`.
    """
    import jax

    leaves = jax.tree_util.tree_leaves(primals)
    dtypes = {np.dtype(getattr(leaf, "dtype", None) or np.result_type(leaf)) for leaf in leaves}
    return len(leaves) > 1 and len(dtypes) == 1


def on_one_vector(transform: Callable[..., Any]) -> Callable[..., Any]:
    """``transform(fn, primals, *rest)`` applied to ``fn`` as a function of the primals'
    entries in one flat vector: its derivatives have one axis over all inputs, in the order of
    `flatten` (see `one_vector`)."""

    def flat(fn: Callable[..., Any], primals: tuple[Any, ...], *rest: Any) -> Any:
        from jax.flatten_util import ravel_pytree

        x, unravel = ravel_pytree(primals)
        return transform(lambda v: fn(*unravel(v)), (x,), *rest)

    return flat


def unravel_axis(array: Any, primals: tuple[Any, ...], axis: int) -> tuple[Any, ...]:
    """Split ``axis`` (negative) of ``array``, an axis over the primals' entries in flat order,
    into one block per array of the primals, shaped like it: a tuple with one pytree per primal.
    Axes before and after it (a batch, the output's) are kept."""
    import jax

    array = to_numpy(array)
    before, after = array.shape[: array.ndim + axis], array.shape[array.ndim + axis + 1 :]
    tail = (slice(None),) * len(after)
    start, per_arg = 0, []
    for primal in primals:
        leaves, treedef = jax.tree_util.tree_flatten(primal)
        blocks = []
        for leaf in leaves:
            size = int(np.size(leaf))
            block = array[(..., slice(start, start + size), *tail)]
            blocks.append(block.reshape((*before, *np.shape(leaf), *after)))
            start += size
        per_arg.append(jax.tree_util.tree_unflatten(treedef, blocks))
    return tuple(per_arg)


def unravel_hessian(array: Any, primals: tuple[Any, ...]) -> tuple[tuple[Any, ...], ...]:
    """Split the last two axes of ``array``, a Hessian over the primals' entries in flat
    order, into blocks ``[i][j]``: argument i's pytree whose leaves are argument j's pytrees,
    as `compute.hessian` lays out a Hessian of several arguments."""
    import jax

    pairs = []
    for row in unravel_axis(array, primals, -2):
        leaves, treedef = jax.tree_util.tree_flatten(row)
        split = [unravel_axis(leaf, primals, -1) for leaf in leaves]
        pairs.append(
            tuple(
                jax.tree_util.tree_unflatten(treedef, [parts[j] for parts in split])
                for j in range(len(primals))
            )
        )
    return tuple(pairs)
