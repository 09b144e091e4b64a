"""A point's values as plain data: float64 or complex128 arrays, or dicts of them (pytrees).

Decoded JSON or Python data becomes a value here, whatever it was read from (`--at` text, a
file, a line of a batch): numbers checked finite, nested lists checked rectangular.
"""

from __future__ import annotations

from typing import Any, TypeAlias

import numpy as np

from ..errors import ParseError, ShapeError, UsageError

Value: TypeAlias = "np.ndarray | dict[str, Value]"

MAX_DEPTH = 64


def quote(text: str, limit: int = 40) -> str:
    """User text for a message: truncated and escaped (repr escapes control characters).

    >>> quote("x" * 50)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...'"
    """
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def non_finite_error(value: object, where: str, index: tuple[int, ...] | None = None) -> UsageError:
    """The error for a nan or inf (or a number too large for float64) in a point."""
    at = f" at index {list(index)}" if index else ""
    return UsageError(
        f"non-finite value {value}{at} in {where}",
        hint="points must be finite numbers; replace nan/inf entries",
    )


def unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object from its pairs (``json.loads``'s ``object_pairs_hook``); a key given twice
    is an error, not silently the last value.

    >>> import json
    >>> json.loads('{"x": 1, "y": 2}', object_pairs_hook=unique_pairs)
    {'x': 1, 'y': 2}
    """
    out: dict[str, Any] = {}
    for key, item in pairs:
        if key in out:
            raise ParseError(f"duplicate key {quote(key)} in an object")
        out[key] = item
    return out


def _is_complex_record(obj: dict) -> bool:
    """`{"re": .., "im": ..}` is how jaccli writes a complex number to JSON; read it back."""
    return set(obj) == {"re", "im"} and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in obj.values()
    )


def _leaf(obj: Any, where: str) -> float | complex:
    if isinstance(obj, bool | np.bool_):
        raise ParseError(f"true/false is not a number in {where}")
    if isinstance(obj, dict) and _is_complex_record(obj):
        obj = complex(obj["re"], obj["im"])
    if isinstance(obj, int | np.integer):
        try:
            return float(obj)
        except OverflowError:
            raise non_finite_error("(an integer too large for float64)", where) from None
    if isinstance(obj, float | complex | np.floating | np.complexfloating):
        return obj
    if obj is None:
        raise ParseError(f"null/None is not a number in {where}")
    if isinstance(obj, str):
        raise ParseError(f"the string {quote(obj)} is not a number in {where}")
    if isinstance(obj, dict):
        raise ParseError(f"an object inside an array is not allowed in {where}")
    raise ParseError(f"{type(obj).__name__} is not a number in {where}")


def _check_array(array: np.ndarray, where: str) -> np.ndarray:
    kind = array.dtype.kind
    if kind in "iuf":
        array = np.asarray(array, dtype=np.float64)
    elif kind == "c":
        array = np.asarray(array, dtype=np.complex128)
    else:
        raise UsageError(
            f"{where} has dtype {array.dtype}; expected real or complex numbers",
            hint="store numbers (int, float or complex) in the array",
        )
    finite = np.isfinite(array)
    if not finite.all():
        index = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise non_finite_error(array[index], where, index)
    return array


def _nested_array(obj: Any, where: str, depth: int) -> np.ndarray:
    leaves: list[float | complex] = []

    def walk(item: Any, level: int, path: tuple[int, ...]) -> tuple[int, ...]:
        if not isinstance(item, list | tuple):
            leaves.append(_leaf(item, where))
            return ()
        if level > MAX_DEPTH:
            raise ParseError(f"{where} is nested deeper than {MAX_DEPTH} levels")
        shapes = [walk(sub, level + 1, (*path, i)) for i, sub in enumerate(item)]
        for i, shape in enumerate(shapes[1:], start=1):
            if shape != shapes[0]:
                raise ShapeError(
                    f"ragged nested list in {where}: entry {[*path, i]} has shape {shape} "
                    f"but entry {[*path, 0]} has shape {shapes[0]}",
                    hint="every row of an array must have the same length",
                )
        return (len(item), *(shapes[0] if shapes else ()))

    shape = walk(obj, depth, ())
    dtype = (
        np.complex128
        if any(isinstance(v, complex | np.complexfloating) for v in leaves)
        else np.float64
    )
    try:
        array = np.array(leaves, dtype=dtype).reshape(shape)
    except OverflowError:
        raise non_finite_error("(too large for float64)", where) from None
    return _check_array(array, where)


def _to_value(obj: Any, where: str, depth: int) -> Value:
    if depth > MAX_DEPTH:
        raise ParseError(f"{where} is nested deeper than {MAX_DEPTH} levels")
    if isinstance(obj, np.ndarray):
        return _check_array(obj, where)
    if isinstance(obj, dict) and not _is_complex_record(obj):
        out: dict[str, Value] = {}
        for key, item in obj.items():
            if not isinstance(key, str):
                raise ParseError(f"object key {key!r} in {where} is not a string")
            out[key] = _to_value(item, where, depth + 1)
        return out
    return _nested_array(obj, where, depth)


def parse_value(obj: Any, where: str) -> Value:
    """Turn decoded JSON or Python data into a value: an ndarray or a dict of values.

    Numbers become float64 arrays (complex128 if any entry is complex, including the
    `{"re": .., "im": ..}` form jaccli writes); nested lists become shaped arrays; dicts become
    pytrees.

    Args:
        obj: a number, a (nested) list or tuple, a dict with string keys, or an ndarray.
        where: where the data came from, for messages (e.g. `"--at"`, `"line 3 of pts.jsonl"`).

    Returns:
        The value. Raises ParseError, ShapeError (ragged lists) or UsageError (non-finite).

    >>> parse_value([[1, 2], [3, 4]], "--at").shape
    (2, 2)
    """
    try:
        return _to_value(obj, where, 0)
    except RecursionError:
        raise ParseError(f"{where} is nested too deeply") from None


def shape_of(value: Value) -> tuple | dict:
    """The shape of a value: a tuple for an array, a dict of shapes for a pytree.

    >>> shape_of({"W": np.zeros((2, 3)), "b": np.zeros(())})
    {'W': (2, 3), 'b': ()}
    """
    if isinstance(value, dict):
        return {key: shape_of(item) for key, item in value.items()}
    return tuple(np.shape(value))


def describe_shape(value: Value) -> str:
    """A shape for messages: `(2, 3)` for an array, `{W: (2, 3), b: ()}` for a pytree.

    >>> describe_shape({"W": np.zeros((2, 3)), "b": np.zeros(())})
    '{W: (2, 3), b: ()}'
    """
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {describe_shape(v)}" for k, v in value.items()) + "}"
    return str(tuple(np.shape(value)))
