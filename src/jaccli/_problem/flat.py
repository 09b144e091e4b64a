"""The flat view of a problem: the differentiated arguments as one real vector, the output as
one vector, with the JAX-layout name of every entry; and Jacobians moved between the two."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .problem import Problem


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


def unflatten_jacobian(problem: Problem, matrix: np.ndarray) -> Any:
    """An ``(m, n)`` matrix in JAX's layout: per argument, ``output_shape + input_shape`` blocks
    (one argument: its blocks; several: a dict by argument name). The inverse of
    `flat_jacobian`."""
    import jax

    matrix = np.asarray(matrix)
    start, per_arg = 0, []
    for primal in problem.primals:
        leaves, treedef = jax.tree_util.tree_flatten(primal)
        blocks = []
        for leaf in leaves:
            size = int(np.size(leaf))
            block = matrix[:, start : start + size]
            blocks.append(block.reshape(tuple(problem.out_shape) + tuple(np.shape(leaf))))
            start += size
        per_arg.append(jax.tree_util.tree_unflatten(treedef, blocks))
    return per_arg[0] if len(per_arg) == 1 else dict(zip(problem.wrt, per_arg, strict=True))
