"""Render results for people (rich tables, bars, pictures in text) and for programs (JSON, CSV,
LaTeX, .npy, .npz, Matrix Market), and draw charts as image files (``plots``).

Every renderer returns the whole output as text or bytes; writing it is the caller's job. This
is the only package that uses rich, and it imports rich (and matplotlib, and SciPy) inside
functions, so importing it stays cheap for ``jaccli --help``. The names resolve on first use,
so that a command imports the renderers of its own output only.
"""

from typing import TYPE_CHECKING

from .._runtime.lazy import lazy_package

if TYPE_CHECKING:
    from .batch import render_batch as render_batch
    from .batch import to_batch_table_text as to_batch_table_text
    from .encoding import for_encoding as for_encoding
    from .formats import BINARY_FORMATS as BINARY_FORMATS
    from .formats import FORMATS as FORMATS
    from .formats import format_for_path as format_for_path
    from .formats import npy_pieces as npy_pieces
    from .formats import to_csv_text as to_csv_text
    from .formats import to_json_text as to_json_text
    from .formats import to_latex_text as to_latex_text
    from .formats import to_matrix_market_text as to_matrix_market_text
    from .formats import to_npy_bytes as to_npy_bytes
    from .formats import to_npz_bytes as to_npz_bytes
    from .matrix import matrix_view as matrix_view
    from .messages import error_text as error_text
    from .messages import escape as escape
    from .notation import format_point as format_point
    from .output import render as render
    from .progress import Progress as Progress
    from .sensitivity import sensitivity_title as sensitivity_title
    from .sparse import column_label as column_label
    from .tables import PICTURE_HEIGHT as PICTURE_HEIGHT
    from .tables import to_table_text as to_table_text

__getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
