"""A derivative as text for `jaccli symbolic`: simplified where small, with common
subexpressions pulled out where large, in SymPy syntax or LaTeX.

`sympy.simplify` has no bound on its running time, so it is tried only on small entries and
within a time budget; large derivatives are refused before SymPy's printers walk them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import UsageError
from .limits import SymbolicTooLarge, distinct, refusals, tree_size
from .records import SymbolicDerivative, SymbolicInput, SymbolicText
from .values import objects

MAX_TEXT_SIZE = 200_000
"""Most nodes, counted as trees, of a derivative shown as text."""
SIMPLIFY_OPS = 40
"""Entries with more operations than this are shown as derived, not simplified."""
SIMPLIFY_ENTRIES = 400
"""A derivative with more distinct entries than this is shown as derived, not simplified."""
SIMPLIFY_SECONDS = 5.0
"""Time budget for simplifying the entries of one derivative; the rest are shown as derived."""
CSE_ENTRIES = 100
"""A derivative with more entries than this is shown with common subexpressions pulled out."""
CSE_OPS = 400
"""A derivative with more operations than this is shown with common subexpressions pulled out."""


def simplify_entries(
    derivative: SymbolicDerivative, ops: int = SIMPLIFY_OPS, seconds: float = SIMPLIFY_SECONDS
) -> tuple[SymbolicDerivative, int]:
    """Simplify the entries that are small enough, within a time budget.

    Only entries of at most ``ops`` operations are tried, none once ``seconds`` have passed,
    and none at all when there are more than `SIMPLIFY_ENTRIES` distinct entries; the rest stay
    as derived. A simplified form is kept only when it is no larger.

    Returns:
        the derivative with simplified entries, and how many changed.

    >>> from jaccli._load import from_expression
    >>> from jaccli._symbolic import jacobian, to_sympy
    >>> f = from_expression("(sin(x)**2 + cos(x)**2) * cos(y)")
    >>> d, changed = simplify_entries(jacobian(to_sympy(f)))
    >>> d.matrix, changed
    (Matrix([[0, -sin(y)]]), 1)
    """
    import sympy as sp

    entries = derivative.entries()
    if len(set(entries)) > SIMPLIFY_ENTRIES:
        return derivative, 0
    deadline = time.monotonic() + seconds
    done: dict[Any, Any] = {}
    changed = 0
    simplified = []
    for entry in entries:
        if entry not in done:
            result = entry
            size = sp.count_ops(entry)
            if 0 < size <= ops and time.monotonic() < deadline:
                simpler = sp.simplify(entry)
                if sp.count_ops(simpler) <= size and simpler != entry:
                    result = simpler
                    changed += 1
            done[entry] = result
        simplified.append(done[entry])
    rows, cols = derivative.shape
    return replace(derivative, matrix=sp.ImmutableMatrix(rows, cols, simplified)), changed


def common_subexpressions(
    derivative: SymbolicDerivative,
) -> tuple[tuple[tuple[Any, Any], ...], SymbolicDerivative]:
    """Pull out repeated subexpressions (`sympy.cse`), named ``c0, c1, ...`` (unused names).

    Returns:
        the replacements ``(symbol, expression)`` in the order to compute them, and the
        derivative in terms of them.

    >>> from jaccli._load import from_expression
    >>> from jaccli._symbolic import jacobian, to_sympy
    >>> pairs, d = common_subexpressions(jacobian(to_sympy(from_expression("exp(x*y)"))))
    >>> pairs, d.matrix
    (((c0, exp(x*y)),), Matrix([[c0*y, c0*x]]))
    """
    import sympy as sp

    taken = {str(s) for s in derivative.matrix.free_symbols}
    taken.update(inp.arg for inp in derivative.inputs)
    prefix = "c"
    while any(name.startswith(prefix) and name[len(prefix) :].isdigit() for name in taken):
        prefix += "c"
    pairs, reduced = sp.cse(derivative.entries(), symbols=sp.numbered_symbols(prefix))
    rows, cols = derivative.shape
    matrix = sp.ImmutableMatrix(rows, cols, reduced)
    return tuple(pairs), replace(derivative, matrix=matrix)


def to_text(
    derivative: SymbolicDerivative,
    format: str = "text",
    simplify: bool = True,
    cse: bool | None = None,
) -> SymbolicText:
    """The derivative as strings laid out like JAX's result, for `jaccli symbolic`.

    Args:
        derivative: from `jacobian` or `hessian`.
        format: ``"text"`` (SymPy syntax, which `sympy.sympify` reads back with the function's
            `SymbolicFunction.namespace`) or ``"latex"``. A program's constants, exact
            rationals inside, are shown as decimals to 15 significant digits.
        simplify: simplify small entries first (see `simplify_entries`).
        cse: pull out common subexpressions; default: when the derivative has more than
            `CSE_ENTRIES` entries or `CSE_OPS` operations.

    >>> from jaccli._load import from_expression
    >>> from jaccli._symbolic import jacobian, to_sympy
    >>> to_text(jacobian(to_sympy(from_expression("[x**2, x*y[1]]")))).result
    {'x': ['2*x', 'y[1]'], 'y': [['0', '0'], ['0', 'x']]}
    """
    import sympy as sp

    if format not in ("text", "latex"):
        raise UsageError(f"symbolic output format must be text or latex, got {format!r}")
    _check_text_size(derivative)
    with refusals("the text of the derivative", derivative.labels):
        changed = 0
        if simplify:
            derivative, changed = simplify_entries(derivative)
        entries = derivative.entries()
        if cse is None:
            cse = len(entries) > CSE_ENTRIES or sum(sp.count_ops(e) for e in entries) > CSE_OPS
        pairs: tuple[tuple[Any, Any], ...] = ()
        if cse:
            pairs, derivative = common_subexpressions(derivative)
            entries = derivative.entries()
        show = _printer(format, derivative.inputs, [*entries, *(value for _, value in pairs)])
        flat = objects((show(e) for e in entries), derivative.shape)
        result = _map_leaves(derivative.layout(flat), lambda a: a.tolist())
        replacements = tuple((show(name), show(value)) for name, value in pairs)
        return SymbolicText(result, replacements, format, changed)


def _check_text_size(derivative: SymbolicDerivative) -> None:
    size, _ = tree_size(derivative.entries())
    if size > MAX_TEXT_SIZE:
        labels = derivative.labels
        raise SymbolicTooLarge(
            f"the {derivative.kind}'s expressions have {size:,} nodes, too many to "
            f"show (limit {MAX_TEXT_SIZE:,})",
            hint=f"differentiate fewer inputs ({labels('wrt')}), or evaluate it at a point with "
            "check",
        )


def _printer(
    format: str, inputs: Sequence[SymbolicInput], exprs: Sequence[Any]
) -> Callable[[Any], str]:
    """A function that shows one expression in ``format``, with constants as decimals."""
    import sympy as sp

    decimals = _decimals(exprs)
    if format == "latex":
        names = _latex_names(inputs)
        return lambda e: sp.latex(e.xreplace(decimals), symbol_names=names)
    return lambda e: sp.sstr(e.xreplace(decimals), full_prec=False)


def _decimals(exprs: Sequence[Any]) -> dict[Any, Any]:
    """Floats for the exact values of a program's constants: 0.7, not 3152519739159347/2**52.

    A fraction with a denominator beyond 1024, or an integer beyond 2**53, came from doubles;
    it is shown to 15 digits, which `sympify` reads back to the nearest double.
    """
    import sympy as sp

    found = {}
    for node in distinct(exprs):
        if node.is_Rational and (node.q > 1024 or abs(node.p) > 2**53):
            found[node] = sp.Float(node, 15)
    return found


def _map_leaves(tree: Any, fn: Callable[[Any], Any]) -> Any:
    if isinstance(tree, dict):
        return {key: _map_leaves(value, fn) for key, value in tree.items()}
    return fn(tree)


def _latex_names(inputs: Sequence[SymbolicInput]) -> dict[Any, str]:
    import sympy as sp

    names = {}
    for inp in inputs:
        base = sp.latex(sp.Symbol(inp.arg))
        keys = [r"\mathrm{" + _latex_escape(str(key)) + "}" for key in inp.path]
        for idx, symbol in zip(np.ndindex(*inp.shape), inp.symbols, strict=True):
            subscript = ",".join(keys + [str(i) for i in idx])
            if subscript:
                # A base that carries its own sub- or superscript (x_1) is grouped first.
                group = "{" + base + "}" if "_" in base or "^" in base else base
                names[symbol] = group + "_{" + subscript + "}"
    return names


def _latex_escape(text: str) -> str:
    special = {ch: "\\" + ch for ch in "&%$#_{}"}
    special.update({"~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\backslash{}"})
    return "".join(special.get(ch, ch) for ch in text)
