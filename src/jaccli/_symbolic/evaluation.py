"""SymPy expressions evaluated at a point with mpmath, exactly enough for float64.

The point's values are taken exactly, and each shared subexpression is computed once. Where a
real function has no real value, or a branch no condition that holds, the entry is NaN, as in
JAX.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._problem import PYTHON, Labels
from ..errors import UsageError
from .limits import SymbolicUnavailable, refusals

DIGITS = 40
"""Significant digits of the first evaluation; `evaluate` raises them until float64 is stable."""


def evaluate(
    exprs: Any, values: Mapping[Any, Any], digits: int = DIGITS, labels: Labels = PYTHON
) -> np.ndarray:
    """Evaluate SymPy expressions at a point with mpmath, returned as float64.

    The point's values are taken exactly. Evaluation runs at ``digits`` significant digits and
    again at twice as many, doubling until two runs agree in float64 (at most 8× ``digits``),
    so cancellation that ruins float64 arithmetic does not reach the result. An entry that is
    undefined there (an uncovered branch, a pole, a value outside a real function's domain) or
    not finite is NaN.

    Args:
        exprs: a SymPy expression, Matrix or Array, or a (nested) list or object array of them.
        values: a value for every free symbol.
        digits: significant digits of the first run.
        labels: how a refusal's hint names the caller's options.

    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> float(evaluate(sympy.exp(x) - 1, {x: 1e-10}))
    1.00000000005e-10
    >>> evaluate([sympy.log(x), 1 / x], {x: 0.0}).tolist()
    [nan, nan]
    """
    import sympy as sp

    if isinstance(exprs, sp.MatrixBase):
        shape, flat = tuple(exprs.shape), list(exprs)
    elif isinstance(exprs, sp.NDimArray):
        shape = tuple(exprs.shape)
        flat = [exprs[idx] for idx in np.ndindex(*shape)]
    elif isinstance(exprs, sp.Basic):
        shape, flat = (), [exprs]
    else:
        array = np.asarray(exprs, dtype=object)
        shape, flat = array.shape, [sp.sympify(e) for e in array.ravel()]
    with refusals("evaluating the SymPy reference", labels):
        point = dict(values)
        result = _evaluate_at(flat, point, digits)
        for scale in (2, 4, 8):
            finer = _evaluate_at(flat, point, digits * scale)
            if np.array_equal(result, finer, equal_nan=True):
                break
            result = finer
        return result.reshape(shape)


def _evaluate_at(flat: list[Any], point: dict[Any, Any], dps: int) -> np.ndarray:
    import mpmath

    with mpmath.workdps(dps):
        evaluator = Evaluator({s: _exact(v, s) for s, v in point.items()}, dps)
        return np.array([evaluator.to_float(evaluator(e)) for e in flat], dtype=np.float64)


def _exact(value: Any, symbol: Any) -> Any:
    import mpmath

    number = np.asarray(value).item()
    if isinstance(number, complex):
        raise SymbolicUnavailable(f"SymPy evaluates real values only, and {symbol} is complex")
    return mpmath.mpf(float(number))


# fmt: off
_REAL_FUNCTIONS = [
    "exp", "sin", "cos", "tan", "cot", "sec", "csc", "asin", "acos", "atan", "acot", "asec",
    "acsc", "sinh", "cosh", "tanh", "coth", "sech", "csch", "asinh", "acosh", "atanh", "acoth",
    "erf", "erfc", "erfinv", "loggamma", "gamma", "digamma", "floor", "sinc",
]
# fmt: on
_RENAMED = {"ceiling": "ceil", "conjugate": "conj", "LambertW": "lambertw"}
_RELATIONS = {
    "StrictGreaterThan": lambda a, b: a > b,
    "StrictLessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a >= b,
    "LessThan": lambda a, b: a <= b,
    "Equality": lambda a, b: a == b,
    "Unequality": lambda a, b: a != b,
}


class Evaluator:
    """Values of SymPy expressions in mpmath, each shared subexpression computed once.

    Runs inside ``mpmath.workdps(dps)``; ``values`` gives every symbol an mpmath number.

    >>> import mpmath, sympy
    >>> x = sympy.Symbol("x")
    >>> evaluator = Evaluator({x: mpmath.mpf(2)}, 15)
    >>> evaluator.to_float(evaluator(x**2 + 1))
    5.0
    """

    def __init__(self, values: dict[Any, Any], dps: int) -> None:
        import mpmath

        self.mp = mpmath
        self.dps = dps
        self.nan = mpmath.mpf("nan")
        self.memo: dict[Any, Any] = dict(values)

    def __call__(self, expr: Any) -> Any:
        try:
            return self.memo[expr]
        except KeyError:
            pass
        if expr.is_Symbol:
            raise UsageError(f"no value for {expr} to evaluate the SymPy reference at")
        try:
            value = self._compute(expr)
        except (ArithmeticError, ValueError, TypeError, NotImplementedError):
            value = self.nan
        self.memo[expr] = value
        return value

    def truth(self, cond: Any) -> bool | None:
        """The truth of a condition, or None where it has none (NaN inside)."""
        value = self(cond)
        return value if isinstance(value, bool) else None

    def to_float(self, value: Any) -> float:
        """A value as float64: NaN where it is not a finite real number."""
        mp = self.mp
        if isinstance(value, bool):
            return float(value)
        if isinstance(value, mp.mpc):
            if abs(value.imag) > abs(value.real) * mp.mpf(10) ** (-(self.dps // 2)):
                return math.nan
            value = value.real
        try:
            number = float(value)
        except (TypeError, ValueError):
            return math.nan
        return number if math.isfinite(number) else math.nan

    def _real(self, args: Sequence[Any], value: Any) -> Any:
        """NaN where a real function of real arguments has no real value, as in JAX."""
        mp = self.mp
        if isinstance(value, mp.mpc) and all(isinstance(a, mp.mpf) for a in args):
            return value.real if value.imag == 0 else self.nan
        return value

    def _compute(self, expr: Any) -> Any:
        import sympy as sp

        mp = self.mp
        if expr is sp.true or expr is sp.false:
            return bool(expr)
        if expr.is_Number:
            return self._number(expr)
        if expr is sp.I:
            return mp.mpc(0, 1)
        if expr.is_NumberSymbol:
            return mp.mpf(expr.evalf(self.dps + 10)._mpf_)
        name = type(expr).__name__
        if name in ("Piecewise", "ITE", "And", "Or", "Not", "Xor"):
            return self._logic(name, expr)
        args = [self(a) for a in expr.args]
        if name in _RELATIONS:
            a, b = (self._comparable(v) for v in args)
            if mp.isnan(a) or mp.isnan(b):
                return name == "Unequality"
            return bool(_RELATIONS[name](a, b))
        if expr.is_Add:
            return mp.fsum(args)
        if expr.is_Mul:
            return mp.fprod(args)
        if expr.is_Pow:
            return self._real(args, mp.power(*args))
        return self._function(expr, name, args)

    def _number(self, expr: Any) -> Any:
        import sympy as sp

        mp = self.mp
        if expr.is_Rational:
            return mp.mpf(expr.p) / expr.q
        if expr.is_Float:
            return mp.mpf(expr._mpf_)
        if expr is sp.oo:
            return mp.inf
        if expr is sp.S.NegativeInfinity:
            return -mp.inf
        return self.nan

    def _logic(self, name: str, expr: Any) -> Any:
        """Branches and logic, which read only the conditions that decide them."""
        if name == "Piecewise":
            for value, cond in expr.args:
                truth = self.truth(cond)
                if truth is None:
                    return self.nan
                if truth:
                    return self(value)
            return self.nan
        if name == "ITE":
            truth = self.truth(expr.args[0])
            return self.nan if truth is None else self(expr.args[1 if truth else 2])
        truths = [self.truth(a) for a in expr.args]
        if None in truths:
            return self.nan
        if name == "And":
            return all(truths)
        if name == "Or":
            return any(truths)
        return (not truths[0]) if name == "Not" else sum(truths) % 2 == 1

    def _function(self, expr: Any, name: str, args: list[Any]) -> Any:
        mp = self.mp
        if name in _REAL_FUNCTIONS or name in _RENAMED:
            return self._real(args, getattr(mp, _RENAMED.get(name, name))(*args))
        if name in ("log", "polygamma"):
            return self._real(args, getattr(mp, name)(*args))
        if name in ("re", "im", "arg"):
            return getattr(mp, name)(args[0])
        if name == "Abs":
            return abs(args[0])
        if name == "atan2":
            return mp.atan2(*args)
        if name == "sign":
            x = args[0]
            return mp.sign(x) if isinstance(x, mp.mpf) else (x / abs(x) if x != 0 else mp.mpf(0))
        if name in ("Max", "Min"):
            if any(mp.isnan(a) for a in args):
                return self.nan
            values = [self._comparable(a) for a in args]
            return max(values) if name == "Max" else min(values)
        if name == "Heaviside":
            x = self._comparable(args[0])
            if x == 0:
                return args[1] if len(args) > 1 else mp.mpf(1) / 2
            return mp.mpf(1) if x > 0 else mp.mpf(0)
        if name == "DiracDelta":
            return mp.mpf(0) if self._comparable(args[0]) != 0 else self.nan
        return self._fallback(expr, args)

    def _comparable(self, value: Any) -> Any:
        mp = self.mp
        if isinstance(value, bool):
            return mp.mpf(int(value))
        if isinstance(value, mp.mpc):
            if value.imag != 0:
                raise TypeError("no order between complex values")
            return value.real
        return value

    def _fallback(self, expr: Any, args: list[Any]) -> Any:
        """Any other function: SymPy evaluates it at the numeric arguments."""
        import sympy as sp

        mp = self.mp
        numeric = [sp.Float(a, self.dps) if isinstance(a, mp.mpf) else sp.sympify(a) for a in args]
        value = expr.func(*numeric).evalf(self.dps)
        if value.is_real and value.is_Number:
            return mp.mpf(value._mpf_) if value.is_Float else mp.mpf(value.p) / value.q
        if value.is_number:
            z = complex(value)
            return mp.mpc(z.real, z.imag)
        return self.nan
