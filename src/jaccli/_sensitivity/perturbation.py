"""Moving the inputs of a local analysis: a vector given per input read onto the flat inputs,
the step ``dx`` (or ``rel_dx·|x|``), its linear prediction beside the actual change, and the
one-at-a-time swings of a tornado chart."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._problem import Flat, Problem, bind_tangent, unflatten_jacobian
from ..errors import ShapeError, UsageError
from .sample import sweep

# One-at-a-time effects (the tornado chart) cost 2n evaluations; beyond this, the linear ones.
MAX_ONE_AT_A_TIME = 4096


def flat_vector(problem: Problem, flat: Flat, value: Any, name: str) -> np.ndarray:
    """A value shaped like the differentiated inputs (one, or a dict/tuple for several), flat;
    ``name`` is the option it came from (``dx``, ``sigma``), for messages.

    >>> from jaccli import parse_expr
    >>> from jaccli._problem import flatten, prepare
    >>> p = prepare(parse_expr("x * y"), {"x": 1.0, "y": 2.0})
    >>> flat_vector(p, flatten(p), (0.5, 0.25), "dx")
    array([0.5 , 0.25])
    """
    from jax.flatten_util import ravel_pytree

    label = problem.labels(name)
    vector, _ = ravel_pytree(tuple(bind_tangent(problem, value, label)))
    vector = np.asarray(vector)
    if np.iscomplexobj(vector):
        raise ShapeError(f"{label} must be real")
    return vector.astype(np.float64).reshape(flat.n)


def input_layout(problem: Problem, flat: Flat, vector: np.ndarray) -> Any:
    """A flat input vector shaped back like the differentiated inputs (a dict for several)."""
    return problem.keyed(flat.unravel(np.asarray(vector, dtype=flat.x.dtype)))


def input_step(problem: Problem, flat: Flat, dx: Any, rel_dx: float | None) -> np.ndarray | None:
    """The flat step: ``dx`` as given, or ``rel_dx·|x|``; None when neither is given."""
    labels = problem.labels
    if dx is not None:
        step = flat_vector(problem, flat, dx, "dx")
    elif rel_dx is not None:
        if not math.isfinite(rel_dx) or rel_dx == 0:
            raise UsageError(f"{labels('rel_dx')} must be a finite non-zero number, got {rel_dx!r}")
        step = rel_dx * np.abs(np.asarray(flat.x, dtype=np.float64))
    else:
        return None
    if not np.all(np.isfinite(step)):
        raise UsageError(f"{labels('dx')} must be finite")
    return step


def perturbation(
    problem: Problem, flat: Flat, J: np.ndarray, f: np.ndarray, step: np.ndarray
) -> dict[str, Any]:
    """The linear prediction ``J·dx`` of the change of the outputs beside the actual change
    ``f(x + dx) − f(x)``, and their difference."""
    import jax.numpy as jnp

    x = np.asarray(flat.x, dtype=np.float64) + step
    moved = problem.run(lambda: flat.fn(jnp.asarray(x)))
    actual = np.asarray(moved, dtype=np.float64).ravel() - f
    predicted = J @ step
    shape = problem.out_shape
    return {
        "dx": input_layout(problem, flat, step),
        "predicted": predicted.reshape(shape),
        "actual": actual.reshape(shape),
        "linearization_error": (actual - predicted).reshape(shape),
    }


def one_at_a_time(
    problem: Problem, flat: Flat, f: np.ndarray, step: np.ndarray, max_bytes: int
) -> tuple[np.ndarray, np.ndarray]:
    """``f(x ∓ step_j e_j) − f(x)`` for every input j: the actual (not linear) swing of each
    output when one input alone moves down and up, the bars of a tornado chart."""
    n, m = flat.n, flat.m
    problem.guard_size(2 * n * (n + m), "one-at-a-time sweep", max_bytes, itemsize=8)
    x = np.asarray(flat.x, dtype=np.float64)
    moves = np.diag(step)
    points = np.concatenate([x[None, :] - moves, x[None, :] + moves]).astype(flat.x.dtype)
    values = sweep(problem, "value", points, max_bytes)[0].reshape(2 * n, m) - f[None, :]
    return values[:n].T, values[n:].T


def swings(
    problem: Problem, flat: Flat, f: np.ndarray, step: np.ndarray | None, max_bytes: int
) -> tuple[tuple[np.ndarray, np.ndarray] | None, dict[str, Any] | None]:
    """The one-at-a-time swings by ``step`` and their fields, when there is a step and few
    enough inputs for ``2n`` evaluations."""
    if step is None or flat.n > MAX_ONE_AT_A_TIME:
        return None, None
    effects = one_at_a_time(problem, flat, f, step, max_bytes)
    fields = {
        "step": input_layout(problem, flat, step),
        "down": unflatten_jacobian(problem, effects[0]),
        "up": unflatten_jacobian(problem, effects[1]),
    }
    return effects, fields


def step_columns(
    J: np.ndarray, step: np.ndarray | None, effects: tuple[np.ndarray, np.ndarray] | None
) -> list[tuple[str, np.ndarray]]:
    """The table's columns for a step: each input's linear effect ``J·dx`` and, beside it, the
    actual change when that input alone moves by its step — a linear prediction is only worth
    reading next to what the function really does.

    >>> effects = (np.array([[-0.36]]), np.array([[0.16]]))
    >>> [title for title, _ in step_columns(np.array([[0.54]]), np.array([0.5]), effects)]
    ['J·dx', 'f(x+dxⱼ)−f(x)']
    """
    if step is None:
        return []
    columns = [("J·dx", J * step[None, :])]
    if effects is not None:
        columns.append(("f(x+dxⱼ)−f(x)", effects[1]))
    return columns
