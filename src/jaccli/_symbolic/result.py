"""The symbolic Jacobian or Hessian of a problem as a result record: SymPy's formulas as
strings, with the flat matrix the table shows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._problem import Problem
from ..errors import UsageError
from ..results import SymbolicResult
from .conversion import to_sympy
from .differentiation import hessian, jacobian
from .records import SymbolicInput
from .text import to_text


def symbolic_at(problem: Problem, order: int = 1, syntax: str = "text") -> Any:
    """The symbolic Jacobian (``order=2``: Hessian) from SymPy, as strings in SymPy syntax
    (``syntax="text"``) or LaTeX, simplified where small and with common subexpressions
    pulled out where large.

    >>> from jaccli._load import from_expression
    >>> from jaccli._problem import prepare
    >>> symbolic_at(prepare(from_expression("x**2 * y"), {"x": 1.0, "y": 2.0}, None)).matrix
    (('2*x*y', 'x**2'),)
    """
    if order not in (1, 2):
        raise UsageError(f"{problem.labels('order')} must be 1 or 2, got {order}")
    sym = to_sympy(problem)
    derivative = jacobian(sym) if order == 1 else hessian(sym)
    text = to_text(derivative, format=syntax)
    inputs = derivative.inputs
    columns = tuple(str(s) for inp in inputs for s in inp.symbols)
    if order == 1:
        flat = _jacobian_matrix(text.result, inputs, problem.m)
        rows = tuple(
            "f" + ("[" + ",".join(map(str, i)) + "]" if i else "")
            for i in (np.ndindex(problem.out_shape) if problem.out_shape else [()])
        )
    else:
        flat = _hessian_matrix(text.result, inputs)
        rows = columns
    warnings = ()
    if text.replacements:
        first = text.replacements[0][0]
        warnings = (
            f"{len(text.replacements)} common subexpressions are named first "
            f"({first}, ...) and used in the entries",
        )
    return SymbolicResult(
        function=problem.info(),
        kind="jacobian" if order == 1 else "hessian",
        wrt=problem.wrt,
        syntax="latex" if syntax == "latex" else "sympy",
        result=text.result,
        matrix=tuple(tuple(str(cell) for cell in row) for row in flat),
        rows=rows,
        columns=columns,
        replacements=text.replacements,
        warnings=warnings,
    )


def _block(node: Any, inp: SymbolicInput, several: bool) -> Any:
    """The part of a laid-out result that belongs to one input."""
    if several:
        node = node[inp.arg]
    for key in inp.path:
        node = node[key]
    return node


def _several(inputs: Sequence[SymbolicInput]) -> bool:
    return len({inp.arg for inp in inputs}) > 1


def _jacobian_matrix(result: Any, inputs: Sequence[SymbolicInput], m: int) -> np.ndarray:
    several = _several(inputs)
    blocks = [
        np.array(_block(result, inp, several), dtype=object).reshape(m, inp.size) for inp in inputs
    ]
    return np.concatenate(blocks, axis=1)


def _hessian_matrix(result: Any, inputs: Sequence[SymbolicInput]) -> np.ndarray:
    several = _several(inputs)

    def block(row: SymbolicInput, col: SymbolicInput) -> np.ndarray:
        node = _block(_block(result, row, several), col, several)
        return np.array(node, dtype=object).reshape(row.size, col.size)

    return np.concatenate(
        [np.concatenate([block(row, col) for col in inputs], axis=1) for row in inputs],
        axis=0,
    )
