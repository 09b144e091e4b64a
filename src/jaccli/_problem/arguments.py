"""Python arguments to a problem: a callable (or a loaded `Function`), one value per
positional parameter, and ``wrt`` given as names or indices."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._load.loader import Function, from_callable
from ..errors import ShapeError, UsageError


def bind_arguments(
    f: Any, args: tuple[Any, ...] | None, wrt: Any
) -> tuple[Function, dict[str, Any] | None, list[str] | None]:
    """The function, its point ``{param: value}`` from ``args`` (one per parameter; None gives
    no point), and ``wrt`` as parameter names (given as names or indices)."""
    function = f if isinstance(f, Function) else from_callable(f)
    count = len(function.params)
    plural = "s" if count != 1 else ""
    if args is not None and len(args) != count:
        raise ShapeError(
            f"{function.source} takes {count} argument{plural} "
            f"({', '.join(function.params)}); got {len(args)}"
        )
    if isinstance(wrt, (str, int)):
        wrt = [wrt]
    if wrt is not None:
        bad = [w for w in wrt if isinstance(w, int) and not -count <= w < count]
        if bad:
            raise UsageError(
                f"wrt={bad[0]} is out of range: {function.source} takes {count} argument{plural} "
                f"({', '.join(function.params)})"
            )
        wrt = [function.params[w] if isinstance(w, int) else w for w in wrt]
    if args is None:
        return function, None, wrt
    point = {name: as_value(arg) for name, arg in zip(function.params, args, strict=True)}
    return function, point, wrt


def as_value(arg: Any) -> Any:
    """A Python argument as a float or complex NumPy array (a dict of them for a dict).

    >>> as_value([1, 2]).dtype
    dtype('float64')
    """
    if isinstance(arg, dict):
        return {key: as_value(item) for key, item in arg.items()}
    try:
        array = np.asarray(arg)
    except ValueError as exc:
        raise UsageError(f"arguments must be rectangular arrays: {exc}") from None
    if array.dtype.kind in "biu":
        array = array.astype(np.float64)
    if array.dtype.kind not in "fc":
        raise UsageError(f"arguments must be numbers or arrays, got {array.dtype}")
    return array


def tree_value(v: Any, parts: int) -> Any:
    """A tangent: one value, or a tuple/list with one value per differentiated argument."""
    if isinstance(v, (tuple, list)) and parts > 1:
        return tuple(as_value(item) for item in v)
    return as_value(v)
