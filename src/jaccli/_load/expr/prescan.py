"""Checks on the raw text before Python's parser sees it: size, depth, plain ASCII, no keywords;
then the text as the parser wants it, and the --vars names checked.

Expressions must be plain ASCII: a Cyrillic ``х`` or ``ѕin`` is rejected rather than becoming a
second variable that looks like ``x``, or a function that looks like ``sin``.
"""

from __future__ import annotations

import keyword
import re
import unicodedata
from collections.abc import Sequence

from ...errors import ParseError, UnsafeExpressionError
from .expression import show
from .functions import FUNCTIONS
from .limits import MAX_DEPTH, MAX_DIGITS, MAX_LENGTH, MAX_NODES
from .syntax import HINT, KEYWORD_NAMES

_WORD = re.compile(r"(?<![A-Za-z_.])[A-Za-z_][A-Za-z0-9_]*")
# Any run of digits, exponents and names included: Python and SymPy convert them to ints.
_DIGITS = re.compile(r"[0-9][0-9_]*")
_TOKEN = re.compile(r"[A-Za-z0-9_.]+|[-+*/<>=!^@%&|~]+")


def check_variables(
    variables: Sequence[str] | str | None, label: str = "vars"
) -> tuple[str, ...] | None:
    """The --vars names as a tuple (None when not given), each checked to be a usable name;
    ``label`` names the option in messages (``--vars`` on the command line, ``vars`` in Python).

    >>> check_variables("y, x")
    ('y', 'x')
    """
    if variables is None:
        return None
    if isinstance(variables, str):
        variables = [v.strip() for v in variables.split(",")] if variables.strip() else []
    seen: list[str] = []
    for name in variables:
        if not isinstance(name, str) or not name.isascii() or not name.isidentifier():
            raise ParseError(
                f"{label} entry {show(str(name))} is not a name",
                hint="names are ASCII letters, digits and _, not starting with a digit",
            )
        if keyword.iskeyword(name) or name.startswith("__") or name in FUNCTIONS:
            raise ParseError(
                f"{label} entry {name!r} cannot be a variable (it is a keyword, dunder or "
                "function name)"
            )
        if name in seen:
            raise ParseError(f"{label} names {name!r} twice")
        seen.append(name)
    return tuple(seen)


def _unsafe(text: str, message: str, index: int, hint: str | None = None) -> UnsafeExpressionError:
    return UnsafeExpressionError(
        f"{message} at column {index + 1} in {show(text)}",
        source=text,
        column=index + 1,
        hint=hint,
    )


def _check_characters(text: str) -> None:
    for i, ch in enumerate(text):
        if ch in "\t\n\r":
            continue
        if not ch.isascii():
            name = unicodedata.name(ch, "unnamed character")
            raise _unsafe(
                text,
                f"non-ASCII character {show(ch)} ({name})",
                i,
                hint="expressions are plain ASCII: letters a-z, digits 0-9 and + - * / ^ ( ) [ ]",
            )
        if not ch.isprintable():
            raise _unsafe(text, f"control character {show(ch)}", i)
        if ch == "#":
            raise _unsafe(text, "unsupported syntax: comment '#'", i, hint=HINT)


def _check_nesting(text: str) -> None:
    depth = run = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _unsafe(text, f"brackets nested deeper than {MAX_DEPTH}", i)
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch in "+-~":
            run += 1
            if run > MAX_DEPTH:
                raise _unsafe(text, f"more than {MAX_DEPTH} signs in a row", i)
        elif not ch.isspace():
            run = 0


def prescan(text: str) -> None:
    """Reject text that is too big, too deep or not plain ASCII before Python's parser sees it."""
    if len(text) > MAX_LENGTH:
        raise UnsafeExpressionError(
            f"expression is too long: {len(text)} characters (limit {MAX_LENGTH})",
            source=text[:200],
        )
    _check_characters(text)
    for match in _WORD.finditer(text):
        if keyword.iskeyword(match.group()):
            what = KEYWORD_NAMES.get(match.group(), f"keyword {match.group()!r}")
            raise _unsafe(text, f"unsupported syntax: {what}", match.start(), hint=HINT)
    for match in _DIGITS.finditer(text):
        digits = sum(ch.isdigit() for ch in match.group())
        if digits > MAX_DIGITS:
            raise _unsafe(
                text, f"number literal with {digits} digits (limit {MAX_DIGITS})", match.start()
            )
    _check_nesting(text)
    parts = sum(1 for _ in _TOKEN.finditer(text))
    if parts > MAX_NODES:
        raise _unsafe(text, f"expression too large: about {parts} parts (limit {MAX_NODES})", 0)


def prepare(text: str) -> tuple[str, list[int]]:
    """Map ``^`` to ``**`` and drop leading blanks, keeping each character's original offset.

    >>> prepare("  x^2")
    ('x**2', [2, 3, 3, 4, 5])
    """
    chars: list[str] = []
    columns: list[int] = []
    for i, ch in enumerate(text):
        if ch in "\t\n\r":
            ch = " "  # one line, so ast offsets are offsets in the text
        if ch == " " and not chars:
            continue  # eval mode rejects leading indentation
        if ch == "^":
            chars.append("**")
            columns += [i, i]
        else:
            chars.append(ch)
            columns.append(i)
    columns.append(len(text))
    return "".join(chars), columns
