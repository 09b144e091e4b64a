"""Text about the run rather than its result: user text made safe to show, and error messages."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any


def escape(text: str) -> str:
    """Show user-supplied text safely: control and escape characters as \\x.. sequences.

    >>> escape("f\\x1b[31m")
    'f\\\\x1b[31m'
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in str(text))


def csv_text(rows: Iterable[Sequence[Any]]) -> str:
    """Rows as CSV text, every string cell escaped: names come from the user's input, and a
    header must not carry a terminal escape or a bell to whoever runs ``cat`` on it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow([escape(cell) if isinstance(cell, str) else cell for cell in row])
    return buffer.getvalue()


def error_text(exc: Any, json_mode: bool) -> str:
    """The stderr text for an error: one line and maybe a hint line, or one JSON object.

    >>> error_text(ValueError("bad"), json_mode=False)
    'jaccli: error: bad\\n'
    """
    message = escape(getattr(exc, "message", str(exc)))
    hint = getattr(exc, "hint", None)
    if json_mode:
        payload = {
            "error": {
                "code": getattr(exc, "exit_code", 2),
                "type": getattr(exc, "kind", "error"),
                "message": message,
                "hint": escape(hint) if hint else None,
            }
        }
        return json.dumps(payload, ensure_ascii=False) + "\n"
    text = f"jaccli: error: {message}\n"
    if hint:
        text += f"hint: {escape(hint)}\n"
    return text
