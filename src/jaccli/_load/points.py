"""Parse `--at` / `--v` text into plain data and bind it to a function's parameters.

A point is written as comma-separated pieces: positional values (`2,1`), named values
(`x=2,y=1`), JSON arrays and objects (`'[[1,2],[3,4]]'`, `'{"x": 2}'`), complex numbers
(`3+4j`) and files (`@x.npy`). Text is never evaluated: each literal is decoded as JSON or,
failing that, by a whitelist walk over its Python syntax tree.
"""

from __future__ import annotations

import ast
import json
import re
import unicodedata
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np

from ..errors import ParseError, ShapeError, UsageError

Value: TypeAlias = "np.ndarray | dict[str, Value]"

MAX_TEXT_CHARS = 10_000_000
MAX_DEPTH = 64

_OPEN = {"[": "]", "{": "}", "(": ")"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_TOP_TOKEN = re.compile(r"[\"'\[\]{}(),]")
_INNER_TOKEN = re.compile(r"[\"'\[\]{}()]")
_STRING_END = {q: re.compile(rf"[^{q}\\]*(?:\\.[^{q}\\]*)*{q}", re.DOTALL) for q in "\"'"}
# A piece whose value is a file: its path runs to the next comma, brackets and all.
_FILE_PIECE = re.compile(r"\s*(?:[^\W\d]\w*\s*=(?!=)\s*)?@")
_NAMED_PIECE = re.compile(r"\s*([^\W\d]\w*)\s*=(?!=)")
_NUMBER_LIKE = re.compile(r"[+\-.0-9][+\-.\w]*")
_NON_FINITE_WORDS = {"nan", "inf", "infinity"}
_JSON_WORDS = {"true", "false", "null", "none"}


@dataclass(frozen=True, eq=False)
class ParsedPoint:
    """One point as typed: positional values, then named values.

    `from_mapping` is true when the named values came from a single mapping (a JSON object,
    an `.npz` file, a CSV with a header) rather than `name=value` pieces; `bind_point` may then
    treat the whole mapping as the pytree value of a function's sole parameter.
    """

    text: str
    positional: tuple[Value, ...]
    named: dict[str, Value]
    from_mapping: bool = field(default=False)


def _hint(option: str) -> str:
    return (
        f"accepted forms: {option} 2,1 | {option} x=2,y=1 | {option} '[[1,2],[3,4]]' | "
        f"{option} 3+4j | {option} '{{\"x\": 2}}' | {option} @file.npy|.npz|.json|.csv|.txt"
    )


def _show(text: str, limit: int = 40) -> str:
    """User text for a message: truncated and escaped (repr escapes control characters)."""
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _fail(message: str, text: str, pos: int, option: str, hint: str | None = None) -> ParseError:
    return ParseError(message, source=text, column=pos + 1, hint=hint or _hint(option))


def _non_finite(value: object, where: str, index: tuple[int, ...] | None = None) -> UsageError:
    at = f" at index {list(index)}" if index else ""
    return UsageError(
        f"non-finite value {value}{at} in {where}",
        hint="points must be finite numbers; replace nan/inf entries",
    )


# --- turning decoded data into values -------------------------------------------------------


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
            raise _non_finite("(an integer too large for float64)", where) from None
    if isinstance(obj, float | complex | np.floating | np.complexfloating):
        return obj
    if obj is None:
        raise ParseError(f"null/None is not a number in {where}")
    if isinstance(obj, str):
        raise ParseError(f"the string {_show(obj)} is not a number in {where}")
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
        raise _non_finite(array[index], where, index)
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
        raise _non_finite("(too large for float64)", where) from None
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


# --- splitting and literal decoding ---------------------------------------------------------


def _split(text: str, option: str) -> list[tuple[int, int]]:
    """Spans of the top-level comma-separated pieces, checking brackets and nesting depth."""
    spans: list[tuple[int, int]] = []
    n = len(text)
    i = 0
    while True:
        start = i
        if _FILE_PIECE.match(text, i):
            comma = text.find(",", i)
            i = n if comma < 0 else comma
        else:
            stack: list[tuple[str, int]] = []
            while True:
                # Jump from bracket to bracket: commas inside brackets need no look.
                token = (_INNER_TOKEN if stack else _TOP_TOKEN).search(text, i)
                if token is None:
                    i = n
                    break
                i = token.start()
                ch = text[i]
                if ch in _STRING_END:
                    closed = _STRING_END[ch].match(text, i + 1)
                    if closed is None:
                        raise _fail(f"unterminated string in {option}", text, i, option)
                    i = closed.end()
                    continue
                if ch == ",":
                    break
                if ch in _OPEN:
                    stack.append((ch, i))
                    if len(stack) > MAX_DEPTH:
                        raise _fail(
                            f"{option} is nested deeper than {MAX_DEPTH} levels", text, i, option
                        )
                else:
                    if not stack or stack[-1][0] != _CLOSE[ch]:
                        raise _fail(
                            f"unbalanced {ch!r} at column {i + 1} in {option}", text, i, option
                        )
                    stack.pop()
                i += 1
            if stack:
                ch, pos = stack[-1]
                raise _fail(
                    f"unbalanced brackets in {option}: {ch!r} at column {pos + 1} is never closed",
                    text,
                    pos,
                    option,
                )
        spans.append((start, i))
        if i >= n:
            return spans
        i += 1


def _ascii_outside_strings(src: str) -> int | None:
    """Index of the first non-ASCII character outside quoted strings, or None."""
    if src.isascii():
        return None
    i, n = 0, len(src)
    while i < n:
        ch = src[i]
        if ch in "\"'":
            end = i + 1
            while end < n and src[end] != ch:
                end += 2 if src[end] == "\\" else 1
            i = end + 1
            continue
        if not ch.isascii():
            return i
        i += 1
    return None


class _NonFiniteConstant(Exception):
    pass


def _reject_constant(name: str) -> None:
    raise _NonFiniteConstant(name)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in pairs:
        if key in out:
            raise ParseError(f"duplicate key {_show(key)} in an object")
        out[key] = item
    return out


class _Literal:
    """A whitelist walk over the syntax tree of one literal; columns relative to `base`."""

    def __init__(self, text: str, src: str, base: int, option: str) -> None:
        self.text, self.src, self.base, self.option = text, src, base, option
        self.line_starts = [0]
        for line in src.splitlines(keepends=True):
            self.line_starts.append(self.line_starts[-1] + len(line))

    def pos(self, lineno: int | None, col: int | None) -> int:
        if lineno is None or col is None or lineno - 1 >= len(self.line_starts):
            return self.base
        start = self.line_starts[lineno - 1]
        line = self.src[
            start : self.line_starts[lineno] if lineno < len(self.line_starts) else None
        ]
        # ast reports UTF-8 byte offsets; convert to characters.
        return self.base + start + len(line.encode()[:col].decode("utf-8", "ignore"))

    def fail(
        self, message: str, node: ast.AST | None = None, hint: str | None = None
    ) -> ParseError:
        where = self.pos(getattr(node, "lineno", None), getattr(node, "col_offset", None))
        return _fail(message, self.text, where, self.option, hint)

    def walk(self, node: ast.AST, depth: int = 0) -> Any:
        if depth > 2 * MAX_DEPTH:
            raise self.fail(f"{self.option} is nested too deeply", node)
        if isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                raise self.fail(f"{value} is not a number in {self.option}", node)
            if isinstance(value, int | float | complex):
                return value
            if value is None:
                raise self.fail(f"None is not a number in {self.option}", node)
            raise self.fail(
                f"the string {_show(str(value))} is not a number in {self.option}", node
            )
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.walk(node.operand, depth + 1)
            if not isinstance(operand, int | float | complex):
                raise self.fail(f"a sign applies to numbers only in {self.option}", node)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            left = (
                self.walk(node.left, depth + 1) if isinstance(node.op, ast.Add | ast.Sub) else None
            )
            right = node.right
            if (
                isinstance(left, int | float)
                and isinstance(right, ast.Constant)
                and isinstance(right.value, complex)
            ):
                real = float(left) if isinstance(left, float) else left
                imag = right.value if isinstance(node.op, ast.Add) else -right.value
                return complex(real) + imag
            raise self.fail(
                f"arithmetic is not allowed in {self.option}; write a number such as 3+4j",
                node,
            )
        if isinstance(node, ast.List | ast.Tuple):
            return [self.walk(item, depth + 1) for item in node.elts]
        if isinstance(node, ast.Dict):
            out: dict[str, Any] = {}
            for key, item in zip(node.keys, node.values, strict=True):
                if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                    raise self.fail(
                        f"object keys must be quoted strings in {self.option}", key or item
                    )
                if key.value in out:
                    raise self.fail(f"duplicate key {_show(key.value)} in {self.option}", key)
                out[key.value] = self.walk(item, depth + 1)
            return out
        if isinstance(node, ast.Name):
            word = node.id
            if word.lower() in _NON_FINITE_WORDS:
                raise _non_finite(word, self.option)
            if word.lower() in _JSON_WORDS:
                raise self.fail(f"{word} is not a number in {self.option}", node)
            raise self.fail(
                f"{_show(word)} is not a number in {self.option}",
                node,
                hint=f"to name a value write {word}=VALUE; " + _hint(self.option),
            )
        raise self.fail(
            f"only numbers, [arrays] and {{objects}} are allowed in {self.option}; "
            f"got {type(node).__name__.lower()} syntax",
            node,
        )


def _parse_literal(text: str, src: str, base: int, option: str) -> Value:
    bad = _ascii_outside_strings(src)
    if bad is not None:
        ch = src[bad]
        raise _fail(
            f"non-ASCII character {ch!r} (U+{ord(ch):04X}) in {option}",
            text,
            base + bad,
            option,
            hint="type numbers with ASCII digits 0-9; " + _hint(option),
        )
    try:
        decoded = json.loads(src, parse_constant=_reject_constant, object_pairs_hook=_unique_pairs)
    except _NonFiniteConstant as exc:
        raise _non_finite(exc.args[0], option) from None
    except ParseError as exc:
        raise _fail(exc.message, text, base, option) from None
    except (ValueError, RecursionError):
        literal = _Literal(text, src, base, option)
        try:
            with warnings.catch_warnings():
                # `1or 2` warns "invalid decimal literal" on stderr; make it a plain error.
                warnings.simplefilter("error", SyntaxWarning)
                tree = ast.parse(src, mode="eval")
        except SyntaxError as exc:
            if _NUMBER_LIKE.fullmatch(src):
                raise _fail(
                    f"{_show(src)} is not a number in {option}", text, base, option
                ) from None
            where = literal.pos(exc.lineno, (exc.offset or 1) - 1)
            raise _fail(
                f"{_show(src)} cannot be read as a value in {option} "
                f"(unexpected text at column {where + 1})",
                text,
                where,
                option,
            ) from None
        decoded = literal.walk(tree.body)
    try:
        return parse_value(decoded, option)
    except ParseError as exc:
        if exc.column is None:
            exc.source, exc.column = text, base + 1
            exc.hint = exc.hint or _hint(option)
        raise


def _read_file(text: str, path: str, base: int, option: str) -> Value:
    # fileio imports this module for parse_value, so import it here, at call time.
    from .._load.values import read_value_file

    if not path.strip():
        raise _fail(f"{option} @ needs a file name, as in {option} @x.npy", text, base, option)
    return read_value_file(path.strip(), option)


def _parse(text: str, option: str) -> ParsedPoint:
    if not isinstance(text, str):
        raise UsageError(f"{option} expects text, got {type(text).__name__}")
    if len(text) > MAX_TEXT_CHARS:
        raise ParseError(
            f"{option} text is {len(text):,} characters; the limit is {MAX_TEXT_CHARS:,}",
            source=text,
            column=1,
            hint=f"put large points in a file: {option} @x.npy",
        )
    if not text.strip():
        raise _fail(f"{option} is empty", text, 0, option)
    positional: list[Value] = []
    named: dict[str, Value] = {}
    for start, end in _split(text, option):
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        if not piece.strip():
            raise _fail(f"empty value at column {start + 1} in {option}", text, start, option)
        name = None
        value_start = start + lead
        match = _NAMED_PIECE.match(piece)
        if match:
            # Python normalises identifiers with NFKC (def f(ｘ) names x); match that.
            name = unicodedata.normalize("NFKC", match.group(1))
            value_start = start + match.end()
        src = text[value_start:end]
        base = value_start + len(src) - len(src.lstrip())
        src = src.strip()
        if not src:
            raise _fail(f"empty value for {name} in {option}", text, start + lead, option)
        if src.startswith("@"):
            value = _read_file(text, src[1:], base, option)
        else:
            value = _parse_literal(text, src, base, option)
        if name is None:
            if named:
                raise _fail(
                    f"positional value after named values in {option}",
                    text,
                    start + lead,
                    option,
                    hint=f"put positional values first: {option} 2,y=1",
                )
            positional.append(value)
        elif name in named:
            raise _fail(f"{name} is given twice in {option}", text, start + lead, option)
        else:
            named[name] = value
    if len(positional) == 1 and not named and isinstance(positional[0], dict):
        return ParsedPoint(text, (), dict(positional[0]), from_mapping=True)
    return ParsedPoint(text, tuple(positional), named)


def parse_point(text: str, option: str = "--at") -> ParsedPoint:
    """Parse the text of one point (`--at`, `--v`) into positional and named values.

    Args:
        text: what the user typed, e.g. `"2,1"`, `"x=2,y=1"`, `"[[1,2],[3,4]]"`, `"@x.npy"`.
        option: the option's name, for messages.

    Returns:
        A ParsedPoint. A JSON object or mapping file given as the whole text is named values.
        Raises ParseError (exit 2) pointing at the bad piece, ShapeError for ragged arrays,
        UsageError for non-finite values or unreadable files, ResourceError for huge files.

    >>> point = parse_point("x=2,W=[[1,2],[3,4]]")
    >>> {name: value.shape for name, value in point.named.items()}
    {'x': (), 'W': (2, 2)}
    """
    try:
        return _parse(text, option)
    except (RecursionError, MemoryError, ValueError, OverflowError, SyntaxError) as exc:
        raise ParseError(
            f"{option} is too deeply nested or too complex to parse ({type(exc).__name__})",
            source=text if isinstance(text, str) else None,
            column=1,
            hint=_hint(option),
        ) from None


# --- binding --------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def bind_point(
    point: ParsedPoint,
    params: Sequence[str],
    option: str = "--at",
    function: str = "the function",
) -> dict[str, Value]:
    """Assign a parsed point's values to a function's parameters.

    Args:
        point: from `parse_point`.
        params: the function's parameter names, in order.
        option: the option's name, for messages.
        function: the function's name, for messages.

    Returns:
        `{parameter: value}` in parameter order. Raises ShapeError when the number of values
        does not fit, UsageError for missing, unknown or doubly given names.

    >>> bound = bind_point(parse_point("2,1"), ["x", "y"], function="f")
    >>> {name: float(value) for name, value in bound.items()}
    {'x': 2.0, 'y': 1.0}
    """
    params = list(params)
    k = len(params)
    listed = ", ".join(params)
    takes = f"{function} takes {_plural(k, 'argument')} ({listed})"
    example = f"{option} " + ",".join(f"{p}=..." for p in params)
    if k == 0:
        raise UsageError(
            f"{function} takes no arguments; there is nothing to differentiate",
            hint="give the function at least one parameter",
        )
    positional, named = list(point.positional), dict(point.named)
    if point.from_mapping and k == 1 and set(named) != {params[0]}:
        return {params[0]: named}
    if positional and not named:
        n = len(positional)
        if k == 1:
            if n == 1:
                return {params[0]: positional[0]}
            if all(isinstance(v, np.ndarray) and v.shape == () for v in positional):
                return {params[0]: np.stack(positional)}
            raise ShapeError(
                f"{takes}; {option} gave {n} values, not all of them scalars",
                hint=f"write one array: {option} '[[1,2],[3,4]]', or a file: {option} @x.npy",
            )
        if n == k:
            return dict(zip(params, positional, strict=True))
        only = positional[0]
        if n == 1 and isinstance(only, np.ndarray) and only.shape == (k,):
            return {p: only[i] for i, p in enumerate(params)}
        gave = _plural(n, "value")
        if n == 1:
            gave += f" (of shape {describe_shape(only)})"
        raise ShapeError(
            f"{takes}; {option} gave {gave}",
            hint=f"give one value per argument, in order or by name: {example}",
        )
    if len(positional) > k:
        raise ShapeError(
            f"{takes}; {option} gave {len(positional)} positional values",
            hint=f"give one value per argument: {example}",
        )
    by_position = params[: len(positional)]
    twice = [name for name in named if name in by_position]
    if twice:
        raise UsageError(
            f"{option} gives {', '.join(twice)} twice, by position and by name; {takes}",
            hint=f"give each argument once: {example}",
        )
    missing = [p for p in params[len(positional) :] if p not in named]
    unknown = [name for name in named if name not in params]
    if missing or unknown:
        problems = []
        if missing:
            problems.append(f"is missing {', '.join(missing)}")
        if unknown:
            problems.append(f"names unknown {', '.join(map(_show, unknown))}")
        raise UsageError(
            f"{takes}; {option} {' and '.join(problems)}",
            hint=f"name every argument: {example}",
        )
    values = dict(zip(by_position, positional, strict=True))
    return {p: values[p] if p in values else named[p] for p in params}
