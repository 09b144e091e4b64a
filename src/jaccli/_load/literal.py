"""The text of a point: split into top-level comma-separated pieces, and each literal decoded
without evaluation, as JSON or, failing that, by a whitelist walk over its Python syntax tree.
"""

from __future__ import annotations

import ast
import json
import re
import warnings
from typing import Any

from ..errors import JaccliError, ParseError
from .arrays import MAX_DEPTH, Value, non_finite_error, parse_value, quote, unique_pairs

_OPEN = {"[": "]", "{": "}", "(": ")"}
_CLOSE = {v: k for k, v in _OPEN.items()}
_TOP_TOKEN = re.compile(r"[\"'\[\]{}(),]")
_INNER_TOKEN = re.compile(r"[\"'\[\]{}()]")
_STRING_END = {q: re.compile(rf"[^{q}\\]*(?:\\.[^{q}\\]*)*{q}", re.DOTALL) for q in "\"'"}
# A piece whose value is a file: its path runs to the next comma, brackets and all.
_FILE_PIECE = re.compile(r"\s*(?:[^\W\d]\w*\s*=(?!=)\s*)?@")
_NUMBER_LIKE = re.compile(r"[+\-.0-9][+\-.\w]*")
_NON_FINITE_WORDS = {"nan", "inf", "infinity"}
_JSON_WORDS = {"true", "false", "null", "none"}


def forms_hint(option: str) -> str:
    """The hint that lists the forms a point may take, spelled with ``option``'s label."""
    return (
        f"accepted forms: {option} 2,1 | {option} x=2,y=1 | {option} '[[1,2],[3,4]]' | "
        f"{option} 3+4j | {option} '{{\"x\": 2}}' | {option} @file.npy|.npz|.json|.csv|.txt"
    )


def point_error(
    message: str, text: str, pos: int, option: str, hint: str | None = None
) -> ParseError:
    """A parse error pointing at offset ``pos`` of a point's text."""
    return ParseError(message, source=text, column=pos + 1, hint=hint or forms_hint(option))


def split_pieces(text: str, option: str) -> list[tuple[int, int]]:
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
                        raise point_error(f"unterminated string in {option}", text, i, option)
                    i = closed.end()
                    continue
                if ch == ",":
                    break
                if ch in _OPEN:
                    stack.append((ch, i))
                    if len(stack) > MAX_DEPTH:
                        raise point_error(
                            f"{option} is nested deeper than {MAX_DEPTH} levels", text, i, option
                        )
                else:
                    if not stack or stack[-1][0] != _CLOSE[ch]:
                        raise point_error(
                            f"unbalanced {ch!r} at column {i + 1} in {option}", text, i, option
                        )
                    stack.pop()
                i += 1
            if stack:
                ch, pos = stack[-1]
                raise point_error(
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
        return point_error(message, self.text, where, self.option, hint)

    def walk(self, node: ast.AST, depth: int = 0) -> Any:
        """The Python value of a literal's syntax tree: numbers, lists and string-keyed dicts."""
        if depth > 2 * MAX_DEPTH:
            raise self.fail(f"{self.option} is nested too deeply", node)
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            operand = self.walk(node.operand, depth + 1)
            if not isinstance(operand, int | float | complex):
                raise self.fail(f"a sign applies to numbers only in {self.option}", node)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.BinOp):
            return self.complex_number(node, depth)
        if isinstance(node, ast.List | ast.Tuple):
            return [self.walk(item, depth + 1) for item in node.elts]
        if isinstance(node, ast.Dict):
            return self.mapping(node, depth)
        if isinstance(node, ast.Name):
            raise self.name_error(node)
        raise self.fail(
            f"only numbers, [arrays] and {{objects}} are allowed in {self.option}; "
            f"got {type(node).__name__.lower()} syntax",
            node,
        )

    def constant(self, node: ast.Constant) -> int | float | complex:
        value = node.value
        if isinstance(value, bool):
            raise self.fail(f"{value} is not a number in {self.option}", node)
        if isinstance(value, int | float | complex):
            return value
        if value is None:
            raise self.fail(f"None is not a number in {self.option}", node)
        raise self.fail(f"the string {quote(str(value))} is not a number in {self.option}", node)

    def complex_number(self, node: ast.BinOp, depth: int) -> complex:
        """``3+4j`` or ``3-4j``: the one piece of arithmetic a literal may hold."""
        left = self.walk(node.left, depth + 1) if isinstance(node.op, ast.Add | ast.Sub) else None
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

    def mapping(self, node: ast.Dict, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, item in zip(node.keys, node.values, strict=True):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                raise self.fail(f"object keys must be quoted strings in {self.option}", key or item)
            if key.value in out:
                raise self.fail(f"duplicate key {quote(key.value)} in {self.option}", key)
            out[key.value] = self.walk(item, depth + 1)
        return out

    def name_error(self, node: ast.Name) -> JaccliError:
        """A bare word is never a number: nan and inf are refused, others get a hint."""
        word = node.id
        if word.lower() in _NON_FINITE_WORDS:
            return non_finite_error(word, self.option)
        if word.lower() in _JSON_WORDS:
            return self.fail(f"{word} is not a number in {self.option}", node)
        return self.fail(
            f"{quote(word)} is not a number in {self.option}",
            node,
            hint=f"to name a value write {word}=VALUE; " + forms_hint(self.option),
        )


def parse_literal(text: str, src: str, base: int, option: str) -> Value:
    """Decode one literal piece ``src``, found at offset ``base`` of ``text``, into a value.

    >>> parse_literal("x=[1, 2]", "[1, 2]", 2, "--at")
    array([1., 2.])
    """
    bad = _ascii_outside_strings(src)
    if bad is not None:
        ch = src[bad]
        raise point_error(
            f"non-ASCII character {ch!r} (U+{ord(ch):04X}) in {option}",
            text,
            base + bad,
            option,
            hint="type numbers with ASCII digits 0-9; " + forms_hint(option),
        )
    try:
        decoded = json.loads(src, parse_constant=_reject_constant, object_pairs_hook=unique_pairs)
    except _NonFiniteConstant as exc:
        raise non_finite_error(exc.args[0], option) from None
    except ParseError as exc:
        raise point_error(exc.message, text, base, option) from None
    except (ValueError, RecursionError):
        literal = _Literal(text, src, base, option)
        try:
            with warnings.catch_warnings():
                # `1or 2` warns "invalid decimal literal" on stderr; make it a plain error.
                warnings.simplefilter("error", SyntaxWarning)
                tree = ast.parse(src, mode="eval")
        except SyntaxError as exc:
            if _NUMBER_LIKE.fullmatch(src):
                raise point_error(
                    f"{quote(src)} is not a number in {option}", text, base, option
                ) from None
            where = literal.pos(exc.lineno, (exc.offset or 1) - 1)
            raise point_error(
                f"{quote(src)} cannot be read as a value in {option} "
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
            exc.hint = exc.hint or forms_hint(option)
        raise
