"""Loading: the user's function (a file, an expression, a callable), points and point files, and
``--bounds``, all turned into plain data.

Other packages import these names from here. They resolve on first use, so that importing the
package costs nothing: `jaccli --help` must not pay for NumPy, let alone JAX or SymPy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# name: the module (relative to this package) that defines it. A name here must not also be a
# submodule's (importing the submodule would replace the attribute).
_EXPORTS = {
    "Function": "loader",
    "UserFrame": "loader",
    "from_callable": "loader",
    "from_expression": "loader",
    "load": "loader",
    "user_frame": "loader",
    "user_location": "loader",
    "user_output_to_stderr": "loader",
    "ExprInput": "expr",
    "Expression": "expr",
    "parse_expr": "expr",
    "ParsedPoint": "points",
    "bind_point": "points",
    "parse_point": "points",
    "Value": "arrays",
    "describe_shape": "arrays",
    "parse_value": "arrays",
    "shape_of": "arrays",
    "unique_pairs": "arrays",
    "NON_FINITE_CELL": "values",
    "SUPPORTED_SUFFIXES": "values",
    "load_numpy": "values",
    "open_regular": "values",
    "parse_cell": "values",
    "read_text": "values",
    "read_value_file": "values",
    "Distribution": "bounds",
    "assign": "bounds",
    "entry_shapes": "bounds",
    "parse_bounds": "bounds",
}
__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from .arrays import Value as Value
    from .arrays import describe_shape as describe_shape
    from .arrays import parse_value as parse_value
    from .arrays import shape_of as shape_of
    from .arrays import unique_pairs as unique_pairs
    from .bounds import Distribution as Distribution
    from .bounds import assign as assign
    from .bounds import entry_shapes as entry_shapes
    from .bounds import parse_bounds as parse_bounds
    from .expr import Expression as Expression
    from .expr import ExprInput as ExprInput
    from .expr import parse_expr as parse_expr
    from .loader import Function as Function
    from .loader import UserFrame as UserFrame
    from .loader import from_callable as from_callable
    from .loader import from_expression as from_expression
    from .loader import load as load
    from .loader import user_frame as user_frame
    from .loader import user_location as user_location
    from .loader import user_output_to_stderr as user_output_to_stderr
    from .points import ParsedPoint as ParsedPoint
    from .points import bind_point as bind_point
    from .points import parse_point as parse_point
    from .values import NON_FINITE_CELL as NON_FINITE_CELL
    from .values import SUPPORTED_SUFFIXES as SUPPORTED_SUFFIXES
    from .values import load_numpy as load_numpy
    from .values import open_regular as open_regular
    from .values import parse_cell as parse_cell
    from .values import read_text as read_text
    from .values import read_value_file as read_value_file


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
