"""A function bound to its input distributions for a global analysis: the bounds parsed, the
inputs' shapes found, one distribution per flat input, and the problem traced at their centre."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._load import Distribution, assign, entry_shapes, parse_bounds
from .._problem import PYTHON, Labels, Problem, prepare
from ..errors import UsageError
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
    problem = prepare(function, point, wrt, dtype=dtype, device=device, labels=labels)
    return problem, distributions


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


def zeros(function: Any, given: dict[str | None, Distribution]) -> dict[str, np.ndarray]:
    """Zeros shaped like the function's arguments: from an expression's text, else from the
    entries the bounds name."""
    if function.expression is not None:
        shapes = {inp.name: inp.shape for inp in function.expression.inputs}
    else:
        shapes = entry_shapes(list(given), function.params)
    return {name: np.zeros(shapes[name]) for name in function.params}


def centred(point: dict[str, Any], distributions: Sequence[Distribution]) -> dict[str, Any]:
    """``point`` with its entries, in order, at the centres of the distributions (the mean of a
    normal input, the middle of a range).

    >>> from jaccli._load import parse_bounds
    >>> centred({"x": np.zeros(2)}, [parse_bounds("0:2")[None], parse_bounds("-3:-1")[None]])
    {'x': array([ 1., -2.])}
    """
    centre = iter(d.a if d.kind == "normal" else (d.a + d.b) / 2 for d in distributions)
    return {
        name: np.array([next(centre) for _ in range(int(np.size(value)))]).reshape(np.shape(value))
        for name, value in point.items()
    }
