"""Refusals: what SymPy cannot stand for, and the size limits that stop its work before it runs
away.

SymPy shares equal subexpressions, so a program can build an expression whose tree is
exponentially larger than its memory, and SymPy's constructors, printers and evaluation recurse
once per level of nesting. Sizes are therefore counted as trees over the shared form, and a
`RecursionError` becomes a size refusal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from .._problem import PYTHON, Labels
from ..errors import ResourceError, UsageError

MAX_ENTRIES = 10_000
"""Most entries of a symbolic Jacobian (outputs × inputs) or Hessian (inputs × inputs)."""
MAX_EXPRESSION_SIZE = 500_000
"""Most nodes of any one expression built from a program or an expression, counted as a tree."""
MAX_DEPTH = 250
"""Deepest nesting of an expression (SymPy's constructors, printers and evaluation recurse)."""


class SymbolicUnavailable(UsageError):
    """SymPy cannot stand for this function: a primitive it does not cover, or complex values.

    ``reason`` reads ``"not available: <what>"``; `check` reports it as the SymPy reference's
    result and `jaccli symbolic` as its error. Without a hint, the entry point that lets it out
    (see `refusals`) names the way around it in the caller's labels.
    """

    kind = "symbolic_unavailable"

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason, hint=hint)
        self.reason = reason


class SymbolicTooLarge(SymbolicUnavailable, ResourceError):
    """The symbolic work would exceed a size limit; refused before it runs away (exit 4)."""

    exit_code = 4
    kind = "resource"


def finite_difference_hint(labels: Labels = PYTHON) -> str:
    """The way around a refusal: compare against finite differences instead.

    >>> finite_difference_hint()
    'compare against finite differences instead (against fd)'
    """
    return f"compare against finite differences instead ({labels('against')} fd)"


def fewer_inputs_hint(labels: Labels = PYTHON) -> str:
    """The way around a derivative with too many entries or too much work.

    >>> fewer_inputs_hint()
    'differentiate fewer inputs (wrt) or compare against finite differences instead (against fd)'
    """
    return f"differentiate fewer inputs ({labels('wrt')}) or " + finite_difference_hint(labels)


@contextlib.contextmanager
def refusals(what: str, labels: Labels = PYTHON) -> Iterator[None]:
    """Where symbolic work starts: a `RecursionError` inside is a size refusal, and a refusal
    without a hint gets `finite_difference_hint`.

    >>> try:
    ...     with refusals("the function"):
    ...         raise SymbolicUnavailable("not available: sort")
    ... except SymbolicUnavailable as exc:
    ...     print(exc.hint)
    compare against finite differences instead (against fd)
    """
    try:
        yield
    except RecursionError:
        raise SymbolicTooLarge(
            f"not available: {what} nests expressions too deeply for SymPy",
            hint=finite_difference_hint(labels),
        ) from None
    except SymbolicUnavailable as exc:
        if exc.hint is None:
            exc.hint = finite_difference_hint(labels)
        raise


def check_entries(entries: int, what: str, how: str, labels: Labels = PYTHON) -> None:
    """Refuse a derivative of more than `MAX_ENTRIES` entries before it is built.

    >>> try:
    ...     check_entries(20_000, "Jacobian", "outputs × inputs")
    ... except SymbolicTooLarge as exc:
    ...     print(exc.reason)
    not available: the symbolic Jacobian would have 20,000 entries (outputs × inputs), over the limit of 10,000
    """
    if entries > MAX_ENTRIES:
        raise SymbolicTooLarge(
            f"not available: the symbolic {what} would have {entries:,} entries ({how}), over "
            f"the limit of {MAX_ENTRIES:,}",
            hint=fewer_inputs_hint(labels),
        )


class TreeSizes:
    """Nodes and depth of expressions counted as trees, remembered per shared subexpression.

    SymPy's constructors, printers and `simplify` walk an expression as a tree; this walks the
    shared form once.
    """

    def __init__(self) -> None:
        self.known: dict[Any, tuple[int, int]] = {}

    def __call__(self, root: Any) -> tuple[int, int]:
        known = self.known
        found = known.get(root)
        if found is not None:
            return found
        stack = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if node in known:
                continue
            if ready or not node.args:
                size = 1 + sum(known[a][0] for a in node.args)
                depth = 1 + max((known[a][1] for a in node.args), default=0)
                known[node] = (size, depth)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in known)
        return known[root]

    def check(self, exprs: Iterable[Any], what: str, limit: float | None = None) -> None:
        """Refuse an expression beyond ``limit`` (`MAX_EXPRESSION_SIZE`) nodes or `MAX_DEPTH`."""
        limit = MAX_EXPRESSION_SIZE if limit is None else limit
        for expr in exprs:
            size, depth = self(expr)
            if size > limit:
                raise SymbolicTooLarge(
                    f"not available: {what} builds an expression of more than {limit:,} nodes"
                )
            if depth > MAX_DEPTH:
                raise SymbolicTooLarge(
                    f"not available: {what} builds an expression nested more than {MAX_DEPTH} deep"
                )


def tree_size(exprs: Iterable[Any]) -> tuple[int, int]:
    """Total nodes and largest depth of expressions counted as trees, in linear time.

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> tree_size([sympy.sin(x) * sympy.sin(x) + x])
    (6, 4)
    """
    sizes = TreeSizes()
    total = deepest = 0
    for expr in exprs:
        size, depth = sizes(expr)
        total += size
        deepest = max(deepest, depth)
    return total, deepest


def distinct(exprs: Iterable[Any]) -> Iterator[Any]:
    """Every distinct subexpression once (a tree walk could take exponential time).

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> sorted(map(str, distinct([sympy.sin(x) + x, x])))
    ['sin(x)', 'x', 'x + sin(x)']
    """
    seen: set[Any] = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            yield node
            stack.extend(node.args)
