"""Rendering: the only importer of rich."""

from .render import BINARY_FORMATS as BINARY_FORMATS
from .render import FORMATS as FORMATS
from .render import Progress as Progress
from .render import error_text as error_text
from .render import escape as escape
from .render import format_for_path as format_for_path
from .render import format_point as format_point
from .render import matrix_view as matrix_view
from .render import render as render
from .render import render_batch as render_batch
from .render import sensitivity_title as sensitivity_title
from .render import to_batch_table_text as to_batch_table_text
from .render import to_matrix_market_text as to_matrix_market_text
