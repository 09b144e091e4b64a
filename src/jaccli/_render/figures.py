"""What every picture shares: the image formats, the house style, matplotlib loaded on demand,
the bytes of a finished figure, and text shown as written.

matplotlib is the optional ``plot`` extra, imported inside the functions. Figures use the
object-oriented API (no pyplot: no global state, no GUI backend) and are drawn under a temporary
style.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from collections.abc import Iterator
from typing import Any

from ..errors import MissingExtraError, UsageError

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
DPI = 150
SERIES_COLOURS = ("#2166ac", "#d6604d", "#4d9221", "#8073ac", "#e08214", "#35978f")
STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "0.3",
    "grid.color": "0.88",
    "grid.linewidth": 0.6,
    # Text stays text: searchable and editable in SVG; TrueType, not Type 3, in PDF (journals).
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    # Fixed ids and no dates: the same chart gives the same file, which diffs cleanly.
    "svg.hashsalt": "jaccli",
}
METADATA: dict[str, dict[str, Any]] = {
    "png": {},
    "svg": {"Date": None},
    "pdf": {"CreationDate": None},
}


def require_format(fmt: str) -> None:
    """Refuse an image format other than png, svg and pdf."""
    if fmt not in FORMATS.values():
        raise UsageError(
            f"cannot draw a {fmt!r} image; use png, svg or pdf",
            hint="name the image file sens.png, sens.svg or sens.pdf",
        )


def load_matplotlib() -> tuple[Any, Any]:
    """The matplotlib module and its Figure class; MissingExtraError when not installed."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        raise MissingExtraError(
            "--plot needs matplotlib, which is not installed", hint="pip install 'jaccli[plot]'"
        ) from None
    return matplotlib, Figure


@contextlib.contextmanager
def drawing(matplotlib: Any) -> Iterator[None]:
    """The house style for the figures drawn (and saved) inside; global settings untouched."""
    with matplotlib.rc_context(STYLE), warnings.catch_warnings():
        # A glyph the font lacks is drawn as a box; the warning would only be stderr noise.
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from")
        yield


def image_bytes(fig: Any, fmt: str) -> bytes:
    """The whole figure as a ``fmt`` image, the same bytes for the same figure."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format=fmt, dpi=DPI, bbox_inches="tight", metadata=METADATA[fmt])
    return buffer.getvalue()


def literal(text: Any) -> str:
    """User text shown as written: matplotlib would read `$...$` as mathtext."""
    return str(text).replace("$", r"\$")


def short(label: Any, limit: int = 40) -> str:
    """A label cut to ``limit`` characters, shown as written."""
    text = str(label)
    return literal(text if len(text) <= limit else text[: limit - 1] + "…")
