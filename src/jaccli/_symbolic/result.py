"""The symbolic Jacobian or Hessian of a problem as a result record: SymPy's formulas as
strings, with the flat matrix the table shows."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._problem import Problem
from ..errors import UsageError
from ..results import SymbolicResult


def symbolic_at(problem: Problem, order: int = 1, syntax: str = "text") -> Any:
    """The symbolic Jacobian (``order=2``: Hessian) from SymPy, as strings in SymPy syntax
    (``syntax="text"``) or LaTeX, simplified where small and with common subexpressions
    pulled out where large."""
    from . import symbolic

    if order not in (1, 2):
        raise UsageError(f"{problem.labels('order')} must be 1 or 2, got {order}")
    sym = symbolic.to_sympy(problem)
    derivative = symbolic.jacobian(sym) if order == 1 else symbolic.hessian(sym)
    text = symbolic.to_text(derivative, format=syntax)
    inputs = derivative.inputs
    several = len({inp.arg for inp in inputs}) > 1
    columns = tuple(str(s) for inp in inputs for s in inp.symbols)

    def block(node: Any, inp: Any) -> Any:
        if several:
            node = node[inp.arg]
        for key in inp.path:
            node = node[key]
        return node

    if order == 1:
        m = problem.m
        flat = np.concatenate(
            [
                np.array(block(text.result, inp), dtype=object).reshape(m, inp.size)
                for inp in inputs
            ],
            axis=1,
        )
        rows = tuple(
            "f" + ("[" + ",".join(map(str, i)) + "]" if i else "")
            for i in (np.ndindex(problem.out_shape) if problem.out_shape else [()])
        )
    else:
        flat = np.concatenate(
            [
                np.concatenate(
                    [
                        np.array(block(block(text.result, row), col), dtype=object).reshape(
                            row.size, col.size
                        )
                        for col in inputs
                    ],
                    axis=1,
                )
                for row in inputs
            ],
            axis=0,
        )
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
