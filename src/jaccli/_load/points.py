"""Parse `--at` / `--v` text into plain data and bind it to a function's parameters.

A point is written as comma-separated pieces: positional values (`2,1`), named values
(`x=2,y=1`), JSON arrays and objects (`'[[1,2],[3,4]]'`, `'{"x": 2}'`), complex numbers
(`3+4j`) and files (`@x.npy`). Text is never evaluated: each literal is decoded as JSON or,
failing that, by a whitelist walk over its Python syntax tree (`jaccli._load.literal`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..errors import ParseError, ShapeError, UsageError
from .arrays import Value, describe_shape, quote
from .literal import forms_hint, parse_literal, point_error, split_pieces
from .values import DEFAULT_LIMIT, SizeLimit, read_value_file

MAX_TEXT_CHARS = 10_000_000

_NAMED_PIECE = re.compile(r"\s*([^\W\d]\w*)\s*=(?!=)")


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


def _read_file(text: str, path: str, base: int, option: str, limit: SizeLimit) -> Value:
    if not path.strip():
        raise point_error(
            f"{option} @ needs a file name, as in {option} @x.npy", text, base, option
        )
    return read_value_file(path.strip(), option, limit)


def _parse(text: str, option: str, limit: SizeLimit) -> ParsedPoint:
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
        raise point_error(f"{option} is empty", text, 0, option)
    positional: list[Value] = []
    named: dict[str, Value] = {}
    for start, end in split_pieces(text, option):
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        if not piece.strip():
            raise point_error(f"empty value at column {start + 1} in {option}", text, start, option)
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
            raise point_error(f"empty value for {name} in {option}", text, start + lead, option)
        if src.startswith("@"):
            value = _read_file(text, src[1:], base, option, limit)
        else:
            value = parse_literal(text, src, base, option)
        if name is None:
            if named:
                raise point_error(
                    f"positional value after named values in {option}",
                    text,
                    start + lead,
                    option,
                    hint=f"put positional values first: {option} 2,y=1",
                )
            positional.append(value)
        elif name in named:
            raise point_error(f"{name} is given twice in {option}", text, start + lead, option)
        else:
            named[name] = value
    if len(positional) == 1 and not named and isinstance(positional[0], dict):
        return ParsedPoint(text, (), dict(positional[0]), from_mapping=True)
    return ParsedPoint(text, tuple(positional), named)


def parse_point(text: str, option: str = "at", limit: SizeLimit = DEFAULT_LIMIT) -> ParsedPoint:
    """Parse the text of one point (`--at`, `--v`) into positional and named values.

    Args:
        text: what the user typed, e.g. `"2,1"`, `"x=2,y=1"`, `"[[1,2],[3,4]]"`, `"@x.npy"`.
        option: the option's name, for messages (``--at`` on the command line, ``at`` in Python).
        limit: the most bytes a point file (``@x.npz``) may take once read.

    Returns:
        A ParsedPoint. A JSON object or mapping file given as the whole text is named values.
        Raises ParseError (exit 2) pointing at the bad piece, ShapeError for ragged arrays,
        UsageError for non-finite values or unreadable files, ResourceError for huge files.

    >>> point = parse_point("x=2,W=[[1,2],[3,4]]")
    >>> {name: value.shape for name, value in point.named.items()}
    {'x': (), 'W': (2, 2)}
    """
    try:
        return _parse(text, option, limit)
    except (RecursionError, MemoryError, ValueError, OverflowError, SyntaxError) as exc:
        raise ParseError(
            f"{option} is too deeply nested or too complex to parse ({type(exc).__name__})",
            source=text if isinstance(text, str) else None,
            column=1,
            hint=forms_hint(option),
        ) from None


# --- binding --------------------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _bind_positional(
    positional: list[Value], params: list[str], option: str, takes: str, example: str
) -> dict[str, Value]:
    """Values given by position only: one per parameter, or scalars or a vector to spread."""
    n, k = len(positional), len(params)
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


def bind_point(
    point: ParsedPoint,
    params: Sequence[str],
    option: str = "at",
    function: str = "the function",
) -> dict[str, Value]:
    """Assign a parsed point's values to a function's parameters.

    Args:
        point: from `parse_point`.
        params: the function's parameter names, in order.
        option: the option's name, for messages (``--at`` on the command line, ``at`` in Python).
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
        return _bind_positional(positional, params, option, takes, example)
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
            problems.append(f"names unknown {', '.join(map(quote, unknown))}")
        raise UsageError(
            f"{takes}; {option} {' and '.join(problems)}",
            hint=f"name every argument: {example}",
        )
    values = dict(zip(by_position, positional, strict=True))
    return {p: values[p] if p in values else named[p] for p in params}
