"""Lowering the intermediate representation: to ``jax.numpy`` calls, to SymPy, and to complex
floats for folding constants while parsing."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import UnsafeExpressionError
from .functions import COMPARISON_BY_SYMBOL, CONSTANTS, FUNCTIONS, jax_numpy, sympy_module
from .limits import EXACT_HINT, EXPONENT_HINT, MAX_EXACT_BITS, MAX_EXPONENT
from .nodes import Call, Chain, Compare, Neg, Node, Num, Pow, Var


def fold(fn: Callable[..., complex], *values: complex) -> complex:
    """``fn(*values)`` as a complex number; inf on overflow, nan where it is undefined."""
    try:
        return complex(fn(*values))
    except OverflowError:
        return complex(math.inf)
    except (ValueError, ZeroDivisionError, TypeError):
        return complex(math.nan)


def _int_exponent(node: Node) -> int | None:
    # A literal integer exponent goes to JAX as a Python int, which selects lax.integer_pow:
    # exact, and with a derivative that is finite at 0 for x**2.
    if isinstance(node, Num) and isinstance(node.value, int):
        return node.value
    if isinstance(node, Neg) and isinstance(node.operand, Num):
        value = node.operand.value
        if isinstance(value, int):
            return -value
    return None


@dataclass(frozen=True)
class Backend:
    """How one lowering writes each kind of node; `lower` walks the tree once for all of them."""

    number: Callable[[Num], Any]
    negate: Callable[[Any], Any]
    arithmetic: dict[str, Callable[[Any, Any], Any]]
    power: Callable[[Any, Node, Callable[[Node], Any]], Any]
    """``power(lowered base, exponent node, lower)``: a backend may keep a literal exponent."""
    call: Callable[[str, list[Any]], Any]
    compare: Callable[[str, Any, Any], Any]


def lower(node: Node, env: dict[str, Any], backend: Backend) -> Any:
    """A node in ``backend``'s terms, the inputs' values given by name in ``env``."""

    def go(node: Node) -> Any:
        if isinstance(node, Num):
            return backend.number(node)
        if isinstance(node, Var):
            value = env[node.name]
            return value[node.index] if node.index else value
        if isinstance(node, Neg):
            return backend.negate(go(node.operand))
        if isinstance(node, Chain):
            result = go(node.first)
            for op, operand in node.rest:
                result = backend.arithmetic[op](result, go(operand))
            return result
        if isinstance(node, Pow):
            return backend.power(go(node.base), node.exponent, go)
        if isinstance(node, Call):
            return backend.call(node.func, [go(arg) for arg in node.args])
        if isinstance(node, Compare):
            return backend.compare(node.op, go(node.left), go(node.right))
        raise TypeError(f"not an expression node: {node!r}")

    return go(node)


def to_jax(node: Node, env: dict[str, Any]) -> Any:
    """Evaluate a node with ``jax.numpy``, the inputs' arrays given by name in ``env``."""
    jnp = jax_numpy()

    def number(node: Num) -> Any:
        # Python scalars stay weakly typed, so constants do not widen float32 inputs.
        return float(node.value) if isinstance(node.value, int) else node.value

    def power(base: Any, exponent: Node, go: Callable[[Node], Any]) -> Any:
        literal = _int_exponent(exponent)
        return jnp.power(base, go(exponent) if literal is None else literal)

    backend = Backend(
        number=number,
        negate=jnp.negative,
        arithmetic={"+": jnp.add, "-": jnp.subtract, "*": jnp.multiply, "/": jnp.true_divide},
        power=power,
        call=lambda name, args: FUNCTIONS[name].jax(*args),
        compare=lambda op, a, b: getattr(jnp, COMPARISON_BY_SYMBOL[op].jax)(a, b),
    )
    return lower(node, env, backend)


def to_sympy(node: Node, table: dict[str, Any]) -> Any:
    """Translate a node to SymPy, the inputs' symbols given by name in ``table``."""
    sp = sympy_module()
    backend = Backend(
        number=_sympy_number,
        negate=operator.neg,
        arithmetic={"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv},
        power=lambda base, exponent, go: _sympy_power(base, go(exponent)),
        call=lambda name, args: FUNCTIONS[name].sympy(*args),
        compare=lambda op, a, b: getattr(sp, COMPARISON_BY_SYMBOL[op].sympy)(a, b),
    )
    return lower(node, table, backend)


def _sympy_number(node: Num) -> Any:
    sp = sympy_module()
    value = node.value
    if isinstance(value, int):
        return sp.Integer(value)
    if node.text in CONSTANTS:
        return sp.pi if node.text == "pi" else sp.E
    text = node.text.replace("_", "")
    # Enough precision for every digit typed, so SymPy holds the decimal value, not the
    # nearest double.
    digits = max(30, sum(ch.isdigit() for ch in text) + 2)
    if isinstance(value, complex):
        return sp.I * sp.Float(text.rstrip("jJ"), digits)
    return sp.Float(text, digits)


def _sympy_power(base: Any, exponent: Any) -> Any:
    """SymPy's ``base**exponent``, refused where the parser's limits would refuse it.

    The parser bounds exponents that are constant in the text, but SymPy simplifies as it builds
    (``x*0`` is 0, ``x - x`` is 0), so an exponent that uses an input can still become a number
    here: ``9**9**(x*0 + 9)`` is ``9**387420489``, which SymPy would compute digit by digit.
    """
    sp = sympy_module()
    if exponent.is_Number and exponent.is_finite:
        size = abs(exponent)
        if size > MAX_EXPONENT:
            raise UnsafeExpressionError(
                f"constant exponent too large once simplified (|{float(size):.6g}| > "
                f"{MAX_EXPONENT})",
                hint=EXPONENT_HINT,
            )
        base_bits = max(
            (abs(r.p).bit_length() + r.q.bit_length() for r in base.atoms(sp.Rational)),
            default=0,
        )
        bits = base_bits * max(1, math.ceil(size))
        if bits > MAX_EXACT_BITS:
            raise UnsafeExpressionError(
                f"exact arithmetic too large once simplified (integers of about {bits} bits; "
                f"limit {MAX_EXACT_BITS})",
                hint=EXACT_HINT,
            )
    return sp.Pow(base, exponent)
