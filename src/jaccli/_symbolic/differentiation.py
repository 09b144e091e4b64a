"""Symbolic Jacobians and Hessians, with each shared subexpression differentiated once and the
work bounded by the operands handed to SymPy's constructors."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from .._problem import PYTHON, Labels
from ..errors import ShapeError, UsageError
from .limits import (
    SymbolicTooLarge,
    SymbolicUnavailable,
    TreeSizes,
    check_entries,
    distinct,
    fewer_inputs_hint,
    refusals,
)
from .records import SymbolicDerivative, SymbolicFunction, SymbolicInput, select_inputs

MAX_DIFFERENTIATION = 300_000
"""Most operands handed to SymPy's constructors while differentiating (about 5 s of work)."""


class Differentiator:
    """SymPy's differentiation rules, with each shared subexpression differentiated once.

    `Expr.diff` walks an expression as a tree, so a subexpression shared by many outputs (a sum
    in a softmax, a hidden layer) is differentiated again for every entry of the Jacobian. Here
    sums, products, powers, `Piecewise`, `Abs`, `sign`, ``Max``/``Min`` and functions defined by
    their `fdiff` (exp, sin, ...) follow SymPy's own formulas, remembered per (subexpression,
    symbol); anything else is left to `Expr.diff`.

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> Differentiator("f")(sympy.sin(x) * x, x)
    x*cos(x) + sin(x)
    """

    def __init__(self, what: str, labels: Labels = PYTHON) -> None:
        import sympy as sp
        from sympy.functions.elementary.miscellaneous import MinMaxBase

        self.sp = sp
        self.chain_rule = {sp.Function._eval_derivative}
        self.extremum = MinMaxBase
        self.free: dict[Any, frozenset[Any]] = {}
        self.memo: dict[tuple[Any, Any], Any] = {}
        self.what = what
        self.labels = labels
        self.work = 0

    def _spend(self, operands: int) -> None:
        """Count the operands of the constructors about to run; refuse past the budget.

        The cost of SymPy's constructors grows with their operands (a product sorts and merges
        its factors), so their count is a deterministic measure of the time differentiation
        takes: a product of a hundred factors differentiated twice would take a minute.
        """
        self.work += operands
        if self.work > MAX_DIFFERENTIATION:
            raise SymbolicTooLarge(
                f"{self.what} needs more than {MAX_DIFFERENTIATION:,} SymPy "
                "operations to differentiate",
                hint=fewer_inputs_hint(self.labels),
            )

    def symbols_of(self, expr: Any) -> frozenset[Any]:
        """The symbols ``expr`` depends on, remembered per subexpression."""
        found = self.free.get(expr)
        if found is None:
            if expr.is_Symbol:
                found = frozenset((expr,))
            else:
                found = frozenset().union(*(self.symbols_of(a) for a in expr.args))
            self.free[expr] = found
        return found

    def __call__(self, expr: Any, symbol: Any) -> Any:
        if symbol not in self.symbols_of(expr):
            return self.sp.S.Zero
        if expr == symbol:
            return self.sp.S.One
        key = (expr, symbol)
        result = self.memo.get(key)
        if result is None:
            result = self.memo[key] = self._rule(expr, symbol)
        return result

    def _rule(self, expr: Any, s: Any) -> Any:
        sp = self.sp
        zero = sp.S.Zero
        self._spend(1 + len(expr.args))
        if expr.is_Add:
            return sp.Add(*(self(a, s) for a in expr.args))
        if expr.is_Mul:
            args = expr.args
            terms = []
            for i, arg in enumerate(args):
                da = self(arg, s)
                if da is not zero:
                    self._spend(len(args))
                    terms.append(sp.Mul(*args[:i], da, *args[i + 1 :]))
            return sp.Add(*terms)
        if expr.is_Pow:
            base, exponent = expr.args
            return expr * (self(exponent, s) * sp.log(base) + self(base, s) * exponent / base)
        if isinstance(expr, sp.Piecewise):
            return sp.Piecewise(*((self(value, s), cond) for value, cond in expr.args))
        if isinstance(expr, (sp.Abs, sp.sign)) and expr.args[0].is_extended_real:
            arg = expr.args[0]
            if isinstance(expr, sp.Abs):
                return self(arg, s) * sp.sign(arg)
            return 2 * self(arg, s) * sp.DiracDelta(arg)
        if isinstance(expr, self.extremum):
            return self._extremum(expr, s)
        if isinstance(expr, sp.Function) and type(expr)._eval_derivative in self.chain_rule:
            return self._chain_rule(expr, s)
        return expr.diff(s)

    def _extremum(self, expr: Any, s: Any) -> Any:
        """SymPy's derivative of ``Max``/``Min``, each argument's by a step function of its
        difference to the others, built unevaluated: SymPy's own (``fdiff``) evaluates the
        ``Max`` of the others and the step, asking about signs (`values.maximum` says why)."""
        sp = self.sp
        args, terms = expr.args, []
        larger = isinstance(expr, sp.Max)
        for i, arg in enumerate(args):
            da = self(arg, s)
            if da is sp.S.Zero:
                continue
            others = args[:i] + args[i + 1 :]
            rest = others[0] if len(others) == 1 else type(expr)(*others, evaluate=False)
            gap = arg - rest if larger else rest - arg
            self._spend(len(args))
            terms.append(sp.Heaviside(gap, evaluate=False) * da)
        return sp.Add(*terms)

    def _chain_rule(self, expr: Any, s: Any) -> Any:
        from sympy.core.function import ArgumentIndexError

        sp = self.sp
        terms = []
        for i, arg in enumerate(expr.args, 1):
            da = self(arg, s)
            if da is sp.S.Zero:
                continue
            try:
                outer = expr.fdiff(i)
            except ArgumentIndexError:
                outer = sp.Function.fdiff(expr, i)
            terms.append(outer * da)
        return sp.Add(*terms)


def _inputs_for(
    sym: SymbolicFunction, wrt: Sequence[str] | str | None
) -> tuple[SymbolicInput, ...]:
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt) if wrt else sym.wrt
    known = list(dict.fromkeys(inp.arg for inp in sym.inputs))
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(
            f"{sym.labels('wrt')} names {', '.join(unknown)}, which is not a symbolic input of "
            f"{sym.source}",
            hint="inputs: " + ", ".join(known),
        )
    return tuple(select_inputs(sym.inputs, names))


def _check_derivative(entries: list[Any], what: str) -> None:
    import sympy as sp

    TreeSizes().check(entries, what, limit=math.inf)
    for node in distinct(entries):
        if isinstance(node, sp.Derivative):
            name = getattr(node.expr.func, "__name__", str(node.expr.func))
            raise SymbolicUnavailable(f"SymPy cannot differentiate {name}")


def jacobian(sym: SymbolicFunction, wrt: Sequence[str] | str | None = None) -> SymbolicDerivative:
    """The symbolic Jacobian: one row per output entry, one column per input entry.

    Args:
        sym: the function, from `to_sympy`.
        wrt: the arguments to differentiate; default ``sym.wrt``.

    Raises:
        SymbolicTooLarge: more than `MAX_ENTRIES` entries, or expressions beyond the limits.
        SymbolicUnavailable: SymPy leaves a derivative unevaluated.

    >>> from jaccli._load import from_expression
    >>> from jaccli._symbolic import to_sympy
    >>> jacobian(to_sympy(from_expression("[x*y, sin(x)]"))).matrix
    Matrix([
    [     y, x],
    [cos(x), 0]])
    """
    import sympy as sp

    with refusals("the Jacobian", sym.labels):
        inputs = _inputs_for(sym, wrt)
        symbols = [s for inp in inputs for s in inp.symbols]
        entries = len(sym.outputs) * len(symbols)
        check_entries(entries, "Jacobian", "outputs × inputs", sym.labels)
        d = Differentiator("the Jacobian", sym.labels)
        flat = [d(out, s) for out in sym.outputs for s in symbols]
        _check_derivative(flat, "the Jacobian")
        matrix = sp.ImmutableMatrix(len(sym.outputs), len(symbols), flat)
        return SymbolicDerivative(
            matrix, "jacobian", sym.output_shape, inputs, sym.point, sym.labels
        )


def hessian(sym: SymbolicFunction, wrt: Sequence[str] | str | None = None) -> SymbolicDerivative:
    """The symbolic Hessian of a scalar-valued function: inputs × inputs.

    >>> from jaccli._load import from_expression
    >>> from jaccli._symbolic import to_sympy
    >>> hessian(to_sympy(from_expression("x**3*y"))).matrix.tolist()
    [[6*x*y, 3*x**2], [3*x**2, 0]]
    """
    import sympy as sp

    if sym.output_shape != ():
        raise ShapeError(
            f"a Hessian needs a scalar-valued function, but {sym.source} returns shape "
            f"{sym.output_shape}",
            hint="use the Jacobian for vector outputs",
        )
    with refusals("the Hessian", sym.labels):
        inputs = _inputs_for(sym, wrt)
        symbols = [s for inp in inputs for s in inp.symbols]
        n = len(symbols)
        check_entries(n * n, "Hessian", "inputs × inputs", sym.labels)
        d = Differentiator("the Hessian", sym.labels)
        gradient = [d(sym.outputs[0], s) for s in symbols]
        rows = [[sp.S.Zero] * n for _ in range(n)]
        for i, g in enumerate(gradient):
            for j in range(i, n):
                rows[i][j] = rows[j][i] = d(g, symbols[j])
        entries = [e for row in rows for e in row]
        _check_derivative(entries, "the Hessian")
        matrix = sp.ImmutableMatrix(n, n, entries)
        return SymbolicDerivative(matrix, "hessian", (), inputs, sym.point, sym.labels)
