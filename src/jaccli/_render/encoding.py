"""Output for a stdout that cannot take all of Unicode (``PYTHONIOENCODING=ascii``, a C locale
in an old Python, a Windows code page): JSON keeps every character as a ``\\u`` escape, and
tables and other text trade their typography for ASCII look-alikes, anything else escaped."""

from __future__ import annotations

import codecs
import json
import re
import unicodedata

_LOOK_ALIKES = {
    "—": "-",
    "–": "-",
    "−": "-",
    "·": ".",
    "×": "x",
    "…": "...",
    "±": "+/-",
    "∓": "-/+",
    "≤": "<=",
    "≥": ">=",
    "→": "->",
    "ᵀ": "^T",
    "²": "^2",
    "ᵢ": "_i",
    "∂": "d",
    "σ": "sigma",
    "Σ": "Sigma",
    "μ": "mu",
    "ν": "nu",
    "π": "pi",
    "Γ": "Gamma",
    "§": "S",
    "◀": "<",
    "▶": ">",
    "░": ".",
}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _look_alike(char: str) -> str:
    if char in _LOOK_ALIKES:
        return _LOOK_ALIKES[char]
    if "\u2500" <= char <= "\u257f":  # box drawing: rules, bars, corners
        name = unicodedata.name(char, "")
        across = any(word in name for word in ("HORIZONTAL", "LEFT", "RIGHT"))
        down = any(word in name for word in ("VERTICAL", "UP", "DOWN"))
        return "+" if across == down else "-" if across else "|"
    if "\u2580" <= char <= "\u259f":  # block elements: the bars and pictures of tables
        return "#"
    return char


def for_encoding(text: str, encoding: str | None, is_json: bool) -> str:
    """``text`` as it can be written in ``encoding``: unchanged when it fits.

    >>> for_encoding('{"x": "é"}', "ascii", is_json=True)
    '{"x": "\\\\u00e9"}'
    >>> for_encoding("mode: reverse — n=2·m", "ascii", is_json=False)
    'mode: reverse - n=2.m'
    """
    try:
        encoding = codecs.lookup(encoding or "utf-8").name
        text.encode(encoding)
        return text
    except LookupError:
        encoding = "ascii"
    except UnicodeEncodeError:
        pass
    if is_json:
        # Outside strings, jaccli's JSON is ASCII; inside them, \\u escapes mean the same.
        return _NON_ASCII.sub(lambda m: json.dumps(m.group())[1:-1], text)
    plain = _NON_ASCII.sub(lambda m: _look_alike(m.group()), text)
    return plain.encode(encoding, "backslashreplace").decode(encoding)
