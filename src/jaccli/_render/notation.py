"""How numbers, arrays and points are written: short for people, exact for files."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def format_number(x: Any) -> str:
    """A number to six significant digits, for tables.

    >>> format_number(1 / 3), format_number(0.0), format_number(1 - 2j)
    ('0.333333', '0', '1-2j')
    """
    if np.iscomplexobj(x):
        z = complex(x)
        return f"{z.real:.6g}{'+' if z.imag >= 0 else '-'}{abs(z.imag):.6g}j"
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    return "0" if x == 0 else f"{x:.6g}"


def format_value(value: Any, limit: int = 8) -> str:
    """A scalar or array in short form: its first ``limit`` entries, and its size if more.

    >>> format_value([1.0, 2.0, 3.0], limit=2)
    '[1, 2, … (3 entries)]'
    """
    array = np.asarray(value)
    if array.ndim == 0:
        return format_number(array)
    flat = array.reshape(-1)
    shown = ", ".join(format_number(x) for x in flat[:limit])
    more = f", … ({array.size} entries)" if array.size > limit else ""
    return f"[{shown}{more}]" if array.ndim == 1 else f"{array.shape} [{shown}{more}]"


def format_point(at: dict[str, Any]) -> str:
    """A point in short form: ``x=2, y=[1, 2]``.

    >>> format_point({"x": 2.0, "y": [1.0, 2.0]})
    'x=2, y=[1, 2]'
    """
    parts = []
    for name, value in at.items():
        if isinstance(value, dict):
            inner = ", ".join(f"{k}={format_value(v, 4)}" for k, v in value.items())
            parts.append(f"{name}={{{inner}}}")
        else:
            parts.append(f"{name}={format_value(value, 6)}")
    return ", ".join(parts)


def exact_number(x: Any) -> str:
    """A number written so that reading it back gives the same value, for CSV.

    >>> exact_number(0.1), exact_number(1j)
    ('0.1', '1j')
    """
    if isinstance(x, complex) or np.iscomplexobj(x):
        return repr(complex(x))
    return repr(float(x))
