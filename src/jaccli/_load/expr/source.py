"""The text of an expression as the parser sees it: prepared for Python's parser, its syntax
tree, and errors that point at a column of the text as typed."""

from __future__ import annotations

import ast
import warnings

from ...errors import ParseError, UnsafeExpressionError
from .expression import show
from .limits import MAX_NODES
from .prescan import prepare
from .syntax import HINT

_IGNORED_NODES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


class Source:
    """An expression's text, and the same text prepared for ``ast.parse`` with a map back."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.prepared, self.columns = prepare(text)

    def column(self, offset: int) -> int:
        """The 1-based column in the typed text of an offset in the prepared text."""
        return self.columns[max(0, min(offset, len(self.columns) - 1))] + 1

    def fail(
        self,
        message: str,
        offset: int,
        *,
        unsafe: bool = False,
        hint: str | None = None,
    ) -> ParseError:
        """The error for ``message`` at ``offset`` of the prepared text, quoting the text."""
        col = self.column(offset)
        cls = UnsafeExpressionError if unsafe else ParseError
        return cls(
            f"{message} at column {col} in {show(self.text)}",
            source=self.text,
            column=col,
            hint=hint,
        )

    def unsupported(self, what: str, offset: int) -> ParseError:
        """The error for syntax outside the whitelist, with the whitelist as its hint."""
        return self.fail(f"unsupported syntax: {what}", offset, unsafe=True, hint=HINT)

    def op_offset(self, node: ast.BinOp) -> int:
        """The offset of a binary operator: the first non-blank after the left operand."""
        start = node.left.end_col_offset or node.col_offset
        while start < len(self.prepared) and self.prepared[start] in " )":
            start += 1
        return start

    def tree(self) -> ast.expr:
        """Python's syntax tree of the prepared text, within the node limit; nothing evaluated."""
        text = self.text
        try:
            with warnings.catch_warnings():
                # Python warns about oddities like "1if"; treat them as the errors they are here.
                warnings.simplefilter("error")
                tree = ast.parse(self.prepared, mode="eval")
        except SyntaxError as exc:
            offset = (exc.offset or 1) - 1
            raise self.fail(exc.msg or "invalid syntax", offset) from None
        except (RecursionError, MemoryError) as exc:
            raise UnsafeExpressionError(
                f"expression is nested too deeply for Python's parser in {show(text)}",
                source=text,
                hint="split it into fewer nested operations, e.g. shorter sums or power towers",
            ) from exc
        except (ValueError, OverflowError, Warning) as exc:
            raise ParseError(f"cannot parse {show(text)}: {exc}", source=text) from None
        count = sum(1 for n in ast.walk(tree) if not isinstance(n, _IGNORED_NODES))
        if count > MAX_NODES:
            raise UnsafeExpressionError(
                f"expression too large: {count} nodes (limit {MAX_NODES}) in {show(text)}",
                source=text,
            )
        return tree.body
