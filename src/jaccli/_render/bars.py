"""Bars drawn in block characters, to an eighth of a cell: the charts beside the tables."""

from __future__ import annotations

BAR_WIDTH = 24
_BLOCKS = " ▏▎▍▌▋▊▉█"


def blocks(fraction: float, width: int, leftward: bool = False) -> str:
    """A bar of ``fraction`` (0..1) of ``width`` cells, in eighths of a cell; a bar that grows
    leftward is drawn in halves (Unicode has no right-aligned blocks for the other eighths).

    >>> blocks(0.5, 4), blocks(0.5, 4, leftward=True)
    ('██', '██')
    """
    fraction = max(0.0, min(1.0, fraction))
    if leftward:
        halves = round(fraction * width * 2)
        return ("▐" if halves % 2 else "") + "█" * (halves // 2)
    eighths = round(fraction * width * 8)
    return "█" * (eighths // 8) + (_BLOCKS[eighths % 8] if eighths % 8 else "")
