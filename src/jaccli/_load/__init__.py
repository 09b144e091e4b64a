"""Loading: the user's function (a file, an expression, a callable), points and point files,
batch files, and ``--bounds``, all turned into plain data.

Other packages import these names from here. They resolve on first use, so that importing the
package (or the expression parser alone) costs nothing: `jaccli --help` must not pay for NumPy,
let alone JAX or SymPy.
"""

from typing import TYPE_CHECKING

from .._runtime.lazy import lazy_package

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
    from .design_files import checksum as checksum
    from .design_files import design_bytes as design_bytes
    from .design_files import design_suffix as design_suffix
    from .design_files import read_design as read_design
    from .design_files import read_outputs as read_outputs
    from .expr import Expression as Expression
    from .expr import ExprInput as ExprInput
    from .expr import parse_expr as parse_expr
    from .frames import UserFrame as UserFrame
    from .frames import user_frame as user_frame
    from .frames import user_location as user_location
    from .loader import Function as Function
    from .loader import from_callable as from_callable
    from .loader import from_expression as from_expression
    from .loader import load as load
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

__getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
