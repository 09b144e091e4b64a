"""Render results for people (rich tables, bars, pictures in text) and for programs (JSON, CSV,
LaTeX, .npy, .npz, Matrix Market), and draw charts as image files (``plots``).

Every renderer returns the whole output as text or bytes; writing it is the caller's job. This
is the only package that uses rich, and it imports rich (and matplotlib, and SciPy) inside
functions, so importing it stays cheap for ``jaccli --help``. The names resolve on first use,
so that a command imports the renderers of its own output only.
"""

from .._runtime.lazy import lazy_names

# name: the module (relative to this package) that defines it.
EXPORTS = {
    "BINARY_FORMATS": "formats",
    "FORMATS": "formats",
    "PICTURE_HEIGHT": "tables",
    "Progress": "progress",
    "column_label": "sparse",
    "error_text": "messages",
    "escape": "messages",
    "for_encoding": "encoding",
    "format_for_path": "formats",
    "format_point": "notation",
    "matrix_view": "matrix",
    "npy_pieces": "formats",
    "render": "output",
    "render_batch": "batch",
    "sensitivity_title": "sensitivity",
    "to_batch_table_text": "batch",
    "to_csv_text": "formats",
    "to_json_text": "formats",
    "to_latex_text": "formats",
    "to_matrix_market_text": "formats",
    "to_npy_bytes": "formats",
    "to_npz_bytes": "formats",
    "to_table_text": "tables",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_names(__name__, EXPORTS)
