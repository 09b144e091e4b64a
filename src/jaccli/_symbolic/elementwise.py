"""Rules for elementwise primitives: arithmetic, the functions of a real variable, comparisons
and logic, casts and rounding, and selection (``jnp.where``) as `Piecewise`.

``stop_gradient`` is the identity, as in mathematics, so a broken graph shows as a mismatch.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .limits import SymbolicUnavailable
from .values import Interpreting, Rule, constant, dtype_kind, entrywise, is_constant, registrar

RULES: dict[str, Rule] = {}
rule = registrar(RULES)

INTEGER_SEMANTICS = frozenset(
    ("div", "rem", "pow", "integer_pow", "convert_element_type", "not", "and", "or", "xor")
)
"""Primitives whose meaning on integers differs from SymPy's (truncating division, bitwise
logic, casts): only JAX computes them, on constant operands."""

_IDENTITY = (
    "stop_gradient",
    "copy",
    "copy_p",
    "reduce_precision",
    "optimization_barrier",
    "sharding_constraint",
    "pvary",
)


@functools.cache
def step_functions() -> tuple[Any, Any]:
    """floor and ceiling with the derivative JAX gives them, zero (SymPy leaves it unevaluated).

    ``trunc``, ``round`` and casts to integers are built from them.

    >>> import sympy
    >>> floor, _ = step_functions()
    >>> floor(sympy.Symbol("x")).diff("x")
    0
    """
    import sympy as sp

    class floor(sp.floor):
        def fdiff(self, argindex: int = 1) -> Any:
            return sp.S.Zero

    class ceiling(sp.ceiling):
        def fdiff(self, argindex: int = 1) -> Any:
            return sp.S.Zero

    return floor, ceiling


def trunc(u: Any) -> Any:
    """Rounding toward zero, as C's casts do.

    >>> import sympy
    >>> trunc(sympy.Rational(-7, 2))
    -3
    """
    import sympy as sp

    floor, _ = step_functions()
    return sp.sign(u) * floor(sp.Abs(u))


@functools.cache
def unary() -> dict[str, Callable[[Any], Any]]:
    """The SymPy function for each unary elementwise primitive.

    >>> import sympy
    >>> unary()["log1p"](sympy.Symbol("x"))
    log(x + 1)
    """
    import sympy as sp

    floor, ceiling = step_functions()
    # fmt: off
    same = [
        "exp", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh",
        "acosh", "atanh", "sqrt", "sign", "erf", "erfc",
    ]
    # fmt: on
    table: dict[str, Callable[[Any], Any]] = {name: getattr(sp, name) for name in same}
    table.update(
        {
            "neg": lambda a: -a,
            "abs": sp.Abs,
            "log": sp.log,
            "log1p": lambda a: sp.log(1 + a),
            "expm1": lambda a: sp.exp(a) - 1,
            "exp2": lambda a: sp.Integer(2) ** a,
            "rsqrt": lambda a: 1 / sp.sqrt(a),
            "cbrt": lambda a: sp.real_root(a, 3),
            "logistic": lambda a: 1 / (1 + sp.exp(-a)),
            "square": lambda a: a**2,
            "erf_inv": sp.erfinv,
            # JAX's lgamma is log|Γ|, real for negative arguments too; SymPy's loggamma is not.
            "lgamma": lambda a: sp.log(sp.Abs(sp.gamma(a))),
            "digamma": sp.digamma,
            "floor": floor,
            "ceil": ceiling,
            "real": sp.re,
            "imag": sp.im,
            "conj": sp.conjugate,
            "not": sp.Not,
        }
    )
    return table


@functools.cache
def binary() -> dict[str, Callable[[Any, Any], Any]]:
    """The SymPy function for each binary elementwise primitive.

    >>> import sympy
    >>> binary()["rem"](sympy.Integer(7), sympy.Integer(-2))
    1
    """
    import sympy as sp

    return {
        "add": lambda a, b: a + b,
        "add_any": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": lambda a, b: a**b,
        "max": maximum,
        "min": minimum,
        "atan2": sp.atan2,
        "rem": lambda a, b: a - b * trunc(a / b),
        "complex": lambda a, b: a + sp.I * b,
        "and": sp.And,
        "or": sp.Or,
        "xor": sp.Xor,
        "eq": comparison(sp.Eq, sp.false),
        "ne": comparison(sp.Ne, sp.true),
        "lt": comparison(sp.Lt, sp.false),
        "le": comparison(sp.Le, sp.false),
        "gt": comparison(sp.Gt, sp.false),
        "ge": comparison(sp.Ge, sp.false),
    }


def comparison(relation: Any, with_nan: Any) -> Callable[[Any, Any], Any]:
    """A SymPy relation that, like IEEE comparisons, is decided when a NaN constant is in it.

    >>> import sympy
    >>> comparison(sympy.Lt, sympy.false)(sympy.nan, sympy.Integer(1))
    False
    """
    import sympy as sp

    def compare(a: Any, b: Any) -> Any:
        return with_nan if a is sp.nan or b is sp.nan else relation(a, b)

    return compare


def _elementwise_rule(
    interpreter: Interpreting, eqn: Any, args: list[np.ndarray]
) -> list[np.ndarray]:
    """A unary or binary elementwise primitive, from `unary` or `binary`."""
    name = eqn.primitive.name
    if name in INTEGER_SEMANTICS and dtype_kind(eqn.outvars[0]) in "iu":
        # Constant operands went to JAX (see `Interpreter.apply`); these depend on the input.
        raise SymbolicUnavailable(
            f"SymPy cannot follow integer {name} of values that depend on the input"
        )
    if len(args) == 1:
        return [entrywise(unary()[name], args[0])]
    return [entrywise(binary()[name], *args)]


# fmt: off
_UNARY_NAMES = [
    "exp", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "sqrt", "sign", "erf", "erfc", "neg", "abs", "log", "log1p", "expm1", "exp2",
    "rsqrt", "cbrt", "logistic", "square", "erf_inv", "lgamma", "digamma", "floor", "ceil",
    "real", "imag", "conj", "not",
]
_BINARY_NAMES = [
    "add", "add_any", "sub", "mul", "div", "pow", "max", "min", "atan2", "rem", "complex", "and",
    "or", "xor", "eq", "ne", "lt", "le", "gt", "ge",
]
# fmt: on
rule(*_UNARY_NAMES, *_BINARY_NAMES)(_elementwise_rule)


@rule("integer_pow")
def _integer_pow(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    y = int(eqn.params["y"])
    return [entrywise(lambda a: a**y, args[0])]


@rule("is_finite")
def _is_finite(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    # Values that depend on the inputs are taken to be finite: where they are not, there is
    # no derivative to check.
    import sympy as sp

    def finite(a: Any) -> Any:
        return sp.true if not is_constant(a) or a.is_finite else sp.false

    return [entrywise(finite, args[0])]


@rule("debug_callback", "debug_print")
def _no_output(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    # jax.debug.print and friends: a side effect, no value.
    if eqn.outvars:
        raise SymbolicUnavailable(f"SymPy cannot follow {eqn.primitive.name} with results")
    return []


@rule("clamp")
def _clamp(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:

    return [entrywise(lambda lo, x, hi: minimum(maximum(x, lo), hi), *args)]


@rule("convert_element_type")
def _convert(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    import sympy as sp

    source, target = dtype_kind(eqn.invars[0]), dtype_kind(eqn.outvars[0])
    if source == "b" and target != "b":
        return [entrywise(lambda b: sp.Piecewise((1, b), (0, True)), args[0])]
    if target == "b":
        return [entrywise(lambda a: sp.Ne(a, 0), args[0])]
    if source == "c" and target != "c":
        return [entrywise(sp.re, args[0])]
    if source in "fc" and target in "iu":
        return [entrywise(trunc, args[0])]  # C's cast: toward zero
    return [args[0]]


@rule("round")
def _round(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    import sympy as sp

    floor, _ = step_functions()
    half = sp.Rational(1, 2)

    def away_from_zero(a: Any) -> Any:
        return sp.sign(a) * floor(sp.Abs(a) + half)

    def to_nearest_even(a: Any) -> Any:
        up = floor(a + half)
        tie = sp.And(sp.Eq(a + half, up), sp.Eq(sp.Mod(up, 2), 1))
        return sp.Piecewise((up - 1, tie), (up, True))

    even = int(eqn.params.get("rounding_method", 0)) == 1
    return [entrywise(to_nearest_even if even else away_from_zero, args[0])]


def cases(index: Any, count: int) -> list[tuple[int, Any]]:
    """``(case, condition)`` pairs in order for a boolean or integer selector of ``count``
    cases; the last condition is True.

    >>> import sympy
    >>> cases(sympy.Symbol("x") > 0, 2)
    [(1, x > 0), (0, True)]
    """
    import sympy as sp

    if index is sp.true or index is sp.false:
        return [(int(bool(index)), sp.true)]
    if getattr(index, "is_Integer", False):
        return [(min(max(int(index), 0), count - 1), sp.true)]
    if isinstance(index, sp.logic.boolalg.Boolean):
        return [(1, index), (0, sp.true)]
    if isinstance(index, sp.Piecewise) and all(v.is_Integer for v, _ in index.args):
        return [(min(max(int(v), 0), count - 1), c) for v, c in index.args]
    return [(k, sp.Eq(index, k)) for k in range(count - 1)] + [(count - 1, sp.true)]


def choose(pairs: list[tuple[Any, Any]], boolean: bool) -> Any:
    """The value of the first ``(value, condition)`` pair whose condition holds: a `Piecewise`,
    or nested `ITE` for boolean values (which `Piecewise` cannot hold).

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> choose([(x, x > 0), (-x, sympy.true)], boolean=False)
    Piecewise((x, x > 0), (-x, True))
    """
    import sympy as sp

    if pairs[0][1] is sp.true:
        return pairs[0][0]
    if boolean:
        result = pairs[-1][0]
        for value, cond in reversed(pairs[:-1]):
            result = sp.ITE(cond, value, result)
        return result
    return sp.Piecewise(*pairs)


@rule("select_n")
def _select_n(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    boolean = dtype_kind(eqn.outvars[0]) == "b"
    count = len(args) - 1

    def select(index: Any, *values: Any) -> Any:
        return choose([(values[k], c) for k, c in cases(index, count)], boolean)

    return [entrywise(select, *args)]


@rule(*_IDENTITY)
def _identity(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return list(args)


@rule("platform_index")
def _platform_index(
    interpreter: Interpreting, eqn: Any, args: list[np.ndarray]
) -> list[np.ndarray]:
    # Platform-dependent branches compute the same function; the first stands for all.
    return [constant(np.zeros((), dtype=eqn.outvars[0].aval.dtype))]


def maximum(*args: Any) -> Any:
    """``Max`` of SymPy values, compared by SymPy only where they are all numbers.

    SymPy's ``Max`` compares every pair of its arguments, asking about the signs of their
    differences, and each question walks the expressions again: the maximum of a loop's eight
    steps took minutes. Left unevaluated, it is exact all the same (evaluation and the
    derivative, `differentiation.Differentiator`, compare at the point).

    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> maximum(x, x), maximum(sympy.Integer(2), sympy.Integer(3)), maximum(x, sympy.Integer(0))
    (x, 3, Max(0, x))
    """
    return _extremum("Max", args)


def minimum(*args: Any) -> Any:
    """``Min`` of SymPy values, compared by SymPy only where they are all numbers (`maximum`).

    >>> import sympy
    >>> minimum(sympy.Integer(2), sympy.Integer(3))
    2
    """
    return _extremum("Min", args)


def _extremum(name: str, args: Sequence[Any]) -> Any:
    import sympy as sp

    distinct = tuple(dict.fromkeys(args))
    if len(distinct) == 1:
        return distinct[0]
    cls = sp.Max if name == "Max" else sp.Min
    if all(a.is_Number or a in (sp.oo, -sp.oo) for a in distinct):
        return cls(*distinct)
    return cls(*distinct, evaluate=False)
