"""rich consoles that render into text, so that nothing is shown until the output is whole.

rich is imported inside the functions to keep ``jaccli --help`` fast.
"""

from __future__ import annotations

import io
from typing import Any


def text_console(buffer: io.StringIO, color: bool, width: int) -> Any:
    """A rich console that renders into ``buffer``; user text is never read as markup."""
    from rich.console import Console

    return Console(
        file=buffer,
        force_terminal=color,
        no_color=not color,
        width=max(width, 40),
        highlight=False,
        emoji=False,
        markup=False,
    )


def strip_padding(text: str) -> str:
    """Drop the spaces rich pads wrapped lines with, so copied output has no trailing blanks.

    >>> strip_padding("a  \\nb\\n")
    'a\\nb\\n'
    """
    return "".join(line.rstrip() + "\n" for line in text.splitlines())
