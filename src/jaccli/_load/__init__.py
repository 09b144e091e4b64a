"""Loading: the user's function (a file, an expression, a callable), points and point files,
batch files, and ``--bounds``, all turned into plain data.

Other packages import these names from here. They resolve on first use, so that importing the
package (or the expression parser alone) costs nothing: `jaccli --help` must not pay for NumPy,
let alone JAX or SymPy.
"""

from .._runtime.lazy import lazy_names

# name: the module (relative to this package) that defines it.
EXPORTS = {
    "Function": "loader",
    "UserFrame": "frames",
    "from_callable": "loader",
    "from_expression": "loader",
    "load": "loader",
    "user_frame": "frames",
    "user_location": "frames",
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
    "checksum": "design_files",
    "design_bytes": "design_files",
    "design_suffix": "design_files",
    "read_design": "design_files",
    "read_outputs": "design_files",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_names(__name__, EXPORTS)
