"""The inputs of an expression, found from the names it uses: a plain name is a scalar, an
indexed one an array as large as its largest index; the order is --vars or natural order."""

from __future__ import annotations

import math
import re
from typing import Any

from ...errors import ParseError, UnsafeExpressionError
from .expression import ExprInput, show
from .limits import MAX_INPUT_SIZE


def _usage(ndim: int) -> str:
    if ndim == 0:
        return "plain"
    return "with 1 index" if ndim == 1 else f"with {ndim} indices"


def _natural_key(name: str) -> tuple[list[Any], str]:
    parts = re.split(r"(\d+)", name)
    return [int(p) if i % 2 else p for i, p in enumerate(parts)], name


class InputUses:
    """The names an expression uses, each with its number of indices and largest index per axis."""

    def __init__(self, text: str, variables: tuple[str, ...] | None, label: str = "vars") -> None:
        self.text = text
        self.variables = variables
        # How messages name the option that gave ``variables`` (``--vars``, or Python's ``vars``).
        self.label = label
        # name -> (number of indices, max index per axis, column of first use)
        self.uses: dict[str, tuple[int, list[int], int]] = {}

    def add(self, name: str, index: tuple[int, ...], col: int) -> None:
        """Record a use of ``name`` with ``index`` at 1-based column ``col``."""
        if name not in self.uses:
            self.uses[name] = (len(index), list(index), col)
            return
        ndim, highest, first = self.uses[name]
        if ndim != len(index):
            raise ParseError(
                f"name {name!r} is used {_usage(ndim)} at column {first} and "
                f"{_usage(len(index))} at column {col} in {show(self.text)}",
                source=self.text,
                column=col,
                hint="use a name either plainly (a scalar) or always with the same number of "
                "indices (an array)",
            )
        for axis, i in enumerate(index):
            highest[axis] = max(highest[axis], i)

    def inputs(self) -> tuple[ExprInput, ...]:
        """The inputs in argument order, each shaped to hold its largest index."""
        shapes: dict[str, tuple[int, ...]] = {}
        for name, (_, highest, col) in self.uses.items():
            shape = tuple(i + 1 for i in highest)
            if math.prod(shape) > MAX_INPUT_SIZE:
                raise UnsafeExpressionError(
                    f"input {name!r} would have {math.prod(shape)} entries (limit "
                    f"{MAX_INPUT_SIZE}) in {show(self.text)}",
                    source=self.text,
                    column=col,
                )
            shapes[name] = shape
        if self.variables is None:
            order = sorted(shapes, key=_natural_key)
        else:
            missing = [name for name in shapes if name not in self.variables]
            if missing:
                raise ParseError(
                    f"the expression uses names that are not in {self.label}: {', '.join(missing)}",
                    source=self.text,
                    column=self.uses[missing[0]][2],
                    hint=f"list every input name in {self.label}, in the order you want",
                )
            order = list(self.variables)
        if not order:
            raise ParseError(
                f"expression has no inputs: {show(self.text)}",
                source=self.text,
                hint="a Jacobian needs at least one input name, like x; "
                f"or name one with {self.label}",
            )
        return tuple(ExprInput(name, shapes.get(name, ())) for name in order)
