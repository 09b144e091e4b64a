"""The sample of a global analysis and its evaluation: scrambled Sobol' sequences in the unit
cube (`sobol_sequence`), mapped onto the input distributions, and the function (or its
Jacobian) at every point by the batch evaluator of `jaccli._operations`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import numpy as np

from .. import _operations
from .._load import Distribution
from .._operations import scaleout
from .._problem import Flat, Problem, flatten
from .replicates import REPLICATES, replicate_generators, replicate_sizes
from .sobol_sequence import sobol_points


def sweep(
    problem: Problem,
    command: str,
    points: np.ndarray,
    max_bytes: int,
    on_progress: Callable[[int], None] = lambda count: None,
    on_fallback: Callable[[], None] = lambda: None,
    scale: scaleout.ScaleOut | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """The function (``command="value"``) or its values and Jacobians (``"jacobian"``) at every
    row of ``points`` (``(N, n)`` flat inputs), by the batch evaluator: one compiled, vmapped
    call per chunk, spread over devices and processes by ``scale`` (every process of a
    distributed run passes the same points and gets all the results).
    Returns ``(values (N, m), Jacobians (N, m, n) or None)``.

    >>> from jaccli import parse_expr
    >>> from jaccli._problem import prepare
    >>> p = prepare(parse_expr("x * y"), {"x": 1.0, "y": 1.0})
    >>> sweep(p, "value", np.array([[2.0, 3.0], [4.0, 5.0]]), 10**6)[0].ravel()
    array([ 6., 20.])
    """
    flat = flatten(problem)
    as_flat = flat_problem(problem, flat)
    plan = _operations.plan(as_flat, command, "auto", max_bytes, batch=True)
    spread = scaleout.spread(problem.device, scale)
    evaluator = _operations.Evaluator(as_flat, plan, on_fallback, on_progress, spread=spread)
    chunk = _operations.chunk_size(as_flat, plan, max_bytes)
    slots = 1 if spread is None else spread.multiple
    count = len(points)
    values = np.empty((count, flat.m))
    jacobians = np.empty((count, flat.m, flat.n)) if command == "jacobian" else None
    for start, size, rows in _operations.chunks(count, chunk, slots):
        block = points[start : start + size]
        value, raw = evaluator({"x": block}, len(block), rows, start)
        values[start : start + len(block)] = np.asarray(value).reshape(len(block), flat.m)
        if jacobians is not None:
            jacobians[start : start + len(block)] = np.asarray(raw[0]).reshape(
                len(block), flat.m, flat.n
            )
    return values, jacobians


def gradient_sample(
    problem: Problem,
    unit: np.ndarray,
    distributions: Sequence[Distribution],
    max_bytes: int,
    evaluate: Callable[[str, np.ndarray], tuple[np.ndarray, np.ndarray | None]],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The points of the unit cube ``unit`` mapped onto the distributions, and the values
    ``(N, m)`` and Jacobians ``(N, m, n)`` there by ``evaluate``, after the size guard."""
    count, n = unit.shape
    problem.guard_size(count * problem.m * n, "sample of Jacobians", max_bytes, itemsize=8)
    points = from_unit(unit, distributions)
    values, jacobians = evaluate("jacobian", points)
    assert jacobians is not None
    return points, values, jacobians


def flat_problem(problem: Problem, flat: Flat) -> Problem:
    """The problem as a function of one flat vector ``x`` of its differentiated inputs, with a
    flat output: the shape the batch evaluator stacks points of."""
    import jax

    function = dataclasses.replace(problem.function, fn=flat.fn, params=("x",))
    # Through NumPy: jnp.asarray of a JAX array would compile a copy for nothing.
    x = jax.device_put(np.asarray(flat.x), problem.device)
    return dataclasses.replace(
        problem,
        function=function,
        names=("x",),
        values=(x,),
        wrt=("x",),
        out_shape=(flat.m,),
        warnings=[],
    )


def replicated_sobol_points(
    samples: int, dimension: int, seed: int, replicates: int = REPLICATES
) -> tuple[np.ndarray, list[int]]:
    """``samples`` points in the unit cube as ``replicates`` independently scrambled Sobol'
    sequences, one after the other, and how many points each has.

    >>> points, sizes = replicated_sobol_points(20, 3, seed=0)
    >>> points.shape, sizes
    ((20, 3), [3, 3, 3, 3, 2, 2, 2, 2])
    """
    sizes = replicate_sizes(samples, replicates)
    generators = replicate_generators(seed, len(sizes))
    points = [
        sobol_points(size, dimension, rng) for size, rng in zip(sizes, generators, strict=True)
    ]
    return np.concatenate(points), sizes


def from_unit(unit: np.ndarray, distributions: Sequence[Distribution]) -> np.ndarray:
    """Points of the unit cube (one column per input) mapped onto the inputs' distributions.

    >>> from jaccli._load import parse_bounds
    >>> from_unit(np.array([[0.5, 0.25]]), [parse_bounds("0:2")[None]] * 2)
    array([[1. , 0.5]])
    """
    return np.stack([d.from_unit(unit[:, j]) for j, d in enumerate(distributions)], axis=1)
