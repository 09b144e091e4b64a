"""Loading: the user's function (a file, an expression, a callable), points and point files,
batch files, and ``--bounds``, all turned into plain data.

Other packages import these names from here. Importing the package loads NumPy but neither JAX
nor SymPy; the command line imports it only when a command runs, not for ``jaccli --help``.
"""

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
