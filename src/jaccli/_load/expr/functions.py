"""The functions and constants an expression may name: arity, JAX meaning, SymPy meaning, and a
complex meaning for folding constants while parsing.

JAX and SymPy are imported only when a meaning is used, so parsing imports neither.
"""

from __future__ import annotations

import ast
import cmath
import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any


def jax_numpy() -> Any:
    """``jax.numpy``, imported on first use."""
    import jax.numpy as jnp

    return jnp


def sympy_module() -> Any:
    """``sympy``, imported on first use."""
    import sympy

    return sympy


@dataclass(frozen=True)
class KnownFunction:
    """A function an expression may call: how many arguments it takes and what it means."""

    min_args: int
    max_args: int | None
    jax: Callable[..., Any]
    sympy: Callable[..., Any]
    fold: Callable[..., complex]


def _jnp_call(name: str, *args: Any) -> Any:
    return getattr(jax_numpy(), name)(*args)


def _sp_call(name: str, *args: Any) -> Any:
    return getattr(sympy_module(), name)(*args)


def _real(fn: Callable[..., float]) -> Callable[..., complex]:
    return lambda *args: complex(fn(*(a.real for a in args)))


def _sign(a: float) -> float:
    return math.copysign(1.0, a) if a != 0 else 0.0


def _erf(a: Any) -> Any:
    from jax.scipy.special import erf

    return erf(a)


def _sigmoid(a: Any) -> Any:
    import jax

    return jax.nn.sigmoid(a)


def _softplus(a: Any) -> Any:
    import jax

    return jax.nn.softplus(a)


def _reduce_jnp(name: str, *args: Any) -> Any:
    fn = getattr(jax_numpy(), name)
    result = args[0]
    for arg in args[1:]:
        result = fn(result, arg)
    return result


def _jnp_fn(name: str) -> Callable[..., Any]:
    return partial(_jnp_call, name)


def _sp_fn(name: str) -> Callable[..., Any]:
    return partial(_sp_call, name)


def _shift(fn: Callable[[complex], complex]) -> Callable[[complex], complex]:
    return lambda a: fn(1 + a)


def _expm1(a: complex) -> complex:
    return cmath.exp(a) - 1


def _cbrt(a: float) -> float:
    return _sign(a) * abs(a) ** (1 / 3)


def _relu(a: Any) -> Any:
    return jax_numpy().maximum(a, 0.0)


def _sigmoid_fold(a: complex) -> complex:
    return 1 / (1 + cmath.exp(-a))


def _softplus_fold(a: complex) -> complex:
    return cmath.log(1 + cmath.exp(a))


def _sp_hypot(a: Any, b: Any) -> Any:
    return sympy_module().sqrt(a**2 + b**2)


def _sp_where(cond: Any, a: Any, b: Any) -> Any:
    return sympy_module().Piecewise((a, cond), (b, True))


def _build_functions() -> dict[str, KnownFunction]:
    # name: (jax.numpy name, sympy name, complex function for folding constants)
    smooth = {
        "sin": ("sin", "sin", cmath.sin),
        "cos": ("cos", "cos", cmath.cos),
        "tan": ("tan", "tan", cmath.tan),
        "exp": ("exp", "exp", cmath.exp),
        "log": ("log", "log", cmath.log),
        "sqrt": ("sqrt", "sqrt", cmath.sqrt),
        "tanh": ("tanh", "tanh", cmath.tanh),
        "sinh": ("sinh", "sinh", cmath.sinh),
        "cosh": ("cosh", "cosh", cmath.cosh),
        "arcsin": ("arcsin", "asin", cmath.asin),
        "arccos": ("arccos", "acos", cmath.acos),
        "arctan": ("arctan", "atan", cmath.atan),
        "arcsinh": ("arcsinh", "asinh", cmath.asinh),
        "arccosh": ("arccosh", "acosh", cmath.acosh),
        "arctanh": ("arctanh", "atanh", cmath.atanh),
        "erf": (None, "erf", _real(math.erf)),
        "abs": ("abs", "Abs", lambda a: complex(abs(a))),
        "sign": ("sign", "sign", _real(_sign)),
    }
    table: dict[str, KnownFunction] = {}
    for name, (jnp_name, sp_name, fold) in smooth.items():
        jax_fn = _erf if jnp_name is None else partial(_jnp_call, jnp_name)
        table[name] = KnownFunction(1, 1, jax_fn, partial(_sp_call, sp_name), fold)
    for alias in ("sin", "cos", "tan", "sinh", "cosh", "tanh"):
        table["a" + alias] = table["arc" + alias]
    j, s, f = _jnp_fn, _sp_fn, KnownFunction
    table.update(
        {
            "log10": f(1, 1, j("log10"), lambda a: s("log")(a, 10), cmath.log10),
            "log2": f(1, 1, j("log2"), lambda a: s("log")(a, 2), lambda a: cmath.log(a, 2)),
            "log1p": f(1, 1, j("log1p"), lambda a: s("log")(1 + a), _shift(cmath.log)),
            "expm1": f(1, 1, j("expm1"), lambda a: s("exp")(a) - 1, _expm1),
            "cbrt": f(1, 1, j("cbrt"), lambda a: s("real_root")(a, 3), _real(_cbrt)),
            "square": f(1, 1, j("square"), lambda a: a**2, lambda a: a * a),
            # relu is max(x, 0) on both sides (derivative 1/2 at 0, like SymPy's Heaviside(0)), so
            # that the SymPy cross-check agrees with JAX everywhere.
            "relu": f(1, 1, _relu, lambda a: s("Max")(a, 0), _real(lambda a: max(a, 0))),
            "sigmoid": f(1, 1, _sigmoid, lambda a: 1 / (1 + s("exp")(-a)), _sigmoid_fold),
            "softplus": f(1, 1, _softplus, lambda a: s("log")(1 + s("exp")(a)), _softplus_fold),
            "arctan2": f(2, 2, j("arctan2"), s("atan2"), _real(math.atan2)),
            "hypot": f(2, 2, j("hypot"), _sp_hypot, _real(math.hypot)),
            "pow": f(2, 2, j("power"), lambda a, b: a**b, lambda a, b: a**b),
            "min": f(2, None, partial(_reduce_jnp, "minimum"), s("Min"), _real(min)),
            "max": f(2, None, partial(_reduce_jnp, "maximum"), s("Max"), _real(max)),
            "where": f(3, 3, j("where"), _sp_where, lambda c, a, b: a if c.real else b),
        }
    )
    table["atan2"] = table["arctan2"]
    return table


FUNCTIONS: dict[str, KnownFunction] = _build_functions()
CONSTANTS = ("pi", "e")


@dataclass(frozen=True)
class Comparison:
    """A comparison operator: its symbol and its ``jax.numpy``, SymPy and float meanings."""

    symbol: str
    jax: str
    sympy: str
    fold: Callable[[float, float], bool]


COMPARISONS: dict[type, Comparison] = {
    ast.Lt: Comparison("<", "less", "Lt", operator.lt),
    ast.LtE: Comparison("<=", "less_equal", "Le", operator.le),
    ast.Gt: Comparison(">", "greater", "Gt", operator.gt),
    ast.GtE: Comparison(">=", "greater_equal", "Ge", operator.ge),
    ast.Eq: Comparison("==", "equal", "Eq", operator.eq),
    ast.NotEq: Comparison("!=", "not_equal", "Ne", operator.ne),
}
COMPARISON_BY_SYMBOL = {entry.symbol: entry for entry in COMPARISONS.values()}

# Arithmetic on folded constants, by the operator's symbol in the intermediate representation.
ARITHMETIC: dict[str, Callable[[complex, complex], complex]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}
