"""A function bound to its input distributions for a global analysis: the bounds parsed, the
inputs' shapes found, one distribution per flat input, and the problem traced at their centre."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._load import Distribution, assign, entry_shapes, parse_bounds
from .._problem import PYTHON, Labels, Problem, prepare
from ..errors import FunctionError, ShapeError, UsageError
from ..results import input_labels, input_leaves


def prepare_global(
    function: Any,
    bounds: Any,
    point: dict[str, Any] | None = None,
    wrt: Sequence[str] | None = None,
    dtype: str = "float64",
    device: str = "auto",
    labels: Labels = PYTHON,
) -> tuple[Problem, list[Distribution]]:
    """Bind a function to its input distributions for a global analysis.

    The inputs' shapes come from ``point`` when given (its values also fix the arguments that
    are not differentiated), else from an expression's text, else from the entries named in the
    bounds (``x[0]``…``x[k]`` make a vector; any other argument is a scalar). The function is
    traced at the centre of the distributions. ``labels`` name the options in messages.

    >>> from jaccli import parse_expr
    >>> problem, distributions = prepare_global(parse_expr("x * y"), "x=0:2,y=normal(1,3)")
    >>> problem.at(), [str(d) for d in distributions]
    ({'x': array(1.), 'y': array(1.)}, ['0:2', 'normal(1, 3)'])
    """
    given = parse_bounds(bounds, labels("bounds"))
    if point is None and wrt:
        raise needs_a_point(labels)
    template = point is None
    if point is None:
        point = zeros(function, given)
    names = tuple(wrt) if wrt else tuple(function.params)
    leaves = input_leaves(names, point)
    entries = input_labels(names, point)
    paths = [".".join(path) for path, shape in leaves for _ in range(math.prod(shape))]
    distributions = assign(given, entries, paths, labels("bounds"))
    if template:
        # Trace at the centre: a function undefined at 0 (log, 1/x) is then traced where it lives.
        point = centred(point, distributions)
    try:
        problem = prepare(function, point, wrt, dtype=dtype, device=device, labels=labels)
    except FunctionError as exc:
        if template and isinstance(exc.__cause__, _SHAPE_FAILURES):
            raise shapes_from_bounds(exc, point, given, labels) from exc.__cause__
        raise
    return problem, distributions


# What a function raises when an argument's shape is not the one it expects (x[0] of a scalar,
# a loop over it, p["a"] of an array), for a point whose shapes were read from the bounds.
_SHAPE_FAILURES = (IndexError, TypeError, ValueError)


def shapes_from_bounds(
    exc: FunctionError,
    point: dict[str, Any],
    given: dict[str | None, Distribution],
    labels: Labels,
) -> ShapeError:
    """The failure of a function on the shapes the bounds gave its arguments, with how to give
    others: name a vector's entries or a dict's keys, or give a point."""
    bounds = labels("bounds")
    scalars = [n for n, v in point.items() if not isinstance(v, dict) and np.ndim(v) == 0]
    where = labels("at") if labels.command_line else "the arguments"
    if not scalars:
        return ShapeError(
            f"{exc.message}; the shapes of its arguments came from {bounds}",
            hint=f"name every entry in {bounds}, or give {where}: its values fix the shapes",
        )
    name, spec = scalars[0], str(given.get(scalars[0]) or given.get(None))
    each = "it is a scalar" if len(scalars) == 1 else "each is a scalar"
    return ShapeError(
        f"{exc.message}; {bounds} names no entries or keys of {', '.join(scalars)}, so {each}",
        hint=f"name its entries ({bounds} '{name}[0]={spec},{name}[1]={spec}') or, for a dict, "
        f"its keys ('{name}.a={spec},{name}.b={spec}'), or give {where}: its values fix the "
        "shapes",
    )


def needs_a_point(labels: Labels) -> UsageError:
    """The refusal of ``wrt`` without a point: the arguments held fixed need values. Python
    gives the point as the function's arguments, the command line as ``--at``."""
    wrt, bounds = labels("wrt"), labels("bounds")
    if labels.command_line:
        where, example = labels("at"), f"{wrt} x {labels('at')} x=0,y=2 {bounds} x=-1:1"
    else:
        where, example = "a point", f"sensitivity(f, 0.0, 2.0, {wrt}='x', {bounds}='x=-1:1')"
    return UsageError(
        f"{wrt} in a global analysis needs {where}: the values of the arguments held fixed",
        hint=f"e.g. {example}",
    )


def zeros(function: Any, given: dict[str | None, Distribution]) -> dict[str, Any]:
    """Zeros shaped like the function's arguments: from an expression's text, else from the
    entries and keys the bounds name (a dict of arrays for ``p.a``, ``p.b``)."""
    if function.expression is not None:
        shapes = {inp.name: inp.shape for inp in function.expression.inputs}
    else:
        shapes = entry_shapes(list(given), function.params)
    return {name: _zeros(shapes[name]) for name in function.params}


def _zeros(shape: Any) -> Any:
    if isinstance(shape, dict):
        return {key: _zeros(item) for key, item in shape.items()}
    return np.zeros(shape)


def centred(point: dict[str, Any], distributions: Sequence[Distribution]) -> dict[str, Any]:
    """``point`` with its entries, in order (a dict argument's leaves in its key order), at the
    centres of the distributions (the mean of a normal input, the middle of a range).

    >>> from jaccli._load import parse_bounds
    >>> centred({"x": np.zeros(2)}, [parse_bounds("0:2")[None], parse_bounds("-3:-1")[None]])
    {'x': array([ 1., -2.])}
    """
    centre = iter(d.a if d.kind == "normal" else (d.a + d.b) / 2 for d in distributions)

    def fill(value: Any) -> Any:
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        return np.array([next(centre) for _ in range(int(np.size(value)))]).reshape(np.shape(value))

    return {name: fill(value) for name, value in point.items()}
