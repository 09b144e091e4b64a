"""Lowering the intermediate representation: to ``jax.numpy`` calls, to SymPy, and to complex
floats for folding constants while parsing."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ...errors import UnsafeExpressionError
from .functions import COMPARISON_BY_SYMBOL, FUNCTIONS, jax_numpy, sympy_module
from .limits import EXACT_HINT, EXPONENT_HINT, MAX_EXACT_BITS, MAX_EXPONENT
from .nodes import Call, Chain, Compare, Const, Neg, Node, Num, Pow, Var


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


def to_jax(node: Node, env: dict[str, Any]) -> Any:
    """Evaluate a node with ``jax.numpy``, the inputs' arrays given by name in ``env``."""
    jnp = jax_numpy()
    if isinstance(node, Num):
        # Python scalars stay weakly typed, so constants do not widen float32 inputs.
        return float(node.value) if isinstance(node.value, int) else node.value
    if isinstance(node, Const):
        return math.pi if node.name == "pi" else math.e
    if isinstance(node, Var):
        value = env[node.name]
        return value[node.index] if node.index else value
    if isinstance(node, Neg):
        return jnp.negative(to_jax(node.operand, env))
    if isinstance(node, Chain):
        ops = {"+": jnp.add, "-": jnp.subtract, "*": jnp.multiply, "/": jnp.true_divide}
        result = to_jax(node.first, env)
        for op, operand in node.rest:
            result = ops[op](result, to_jax(operand, env))
        return result
    if isinstance(node, Pow):
        exponent = _int_exponent(node.exponent)
        if exponent is None:
            exponent = to_jax(node.exponent, env)
        return jnp.power(to_jax(node.base, env), exponent)
    if isinstance(node, Call):
        return FUNCTIONS[node.func].jax(*(to_jax(arg, env) for arg in node.args))
    if isinstance(node, Compare):
        fn = getattr(jnp, COMPARISON_BY_SYMBOL[node.op].jax)
        return fn(to_jax(node.left, env), to_jax(node.right, env))
    raise TypeError(f"not an expression node: {node!r}")


def _sympy_number(node: Num) -> Any:
    sp = sympy_module()
    value = node.value
    if isinstance(value, int):
        return sp.Integer(value)
    text = node.text.replace("_", "")
    # Enough precision for every digit typed, so SymPy holds the decimal value, not the
    # nearest double.
    digits = max(30, sum(ch.isdigit() for ch in text) + 2)
    if isinstance(value, complex):
        return sp.I * sp.Float(text.rstrip("jJ"), digits)
    return sp.Float(text, digits)


def _sympy_chain(node: Chain, table: dict[str, Any]) -> Any:
    result = to_sympy(node.first, table)
    for op, operand in node.rest:
        other = to_sympy(operand, table)
        if op == "+":
            result = result + other
        elif op == "-":
            result = result - other
        elif op == "*":
            result = result * other
        else:
            result = result / other
    return result


def to_sympy(node: Node, table: dict[str, Any]) -> Any:
    """Translate a node to SymPy, the inputs' symbols given by name in ``table``."""
    sp = sympy_module()
    if isinstance(node, Num):
        return _sympy_number(node)
    if isinstance(node, Const):
        return sp.pi if node.name == "pi" else sp.E
    if isinstance(node, Var):
        value = table[node.name]
        return value[node.index] if node.index else value
    if isinstance(node, Neg):
        return -to_sympy(node.operand, table)
    if isinstance(node, Chain):
        return _sympy_chain(node, table)
    if isinstance(node, Pow):
        return _sympy_power(to_sympy(node.base, table), to_sympy(node.exponent, table))
    if isinstance(node, Call):
        return FUNCTIONS[node.func].sympy(*(to_sympy(arg, table) for arg in node.args))
    if isinstance(node, Compare):
        fn = getattr(sp, COMPARISON_BY_SYMBOL[node.op].sympy)
        return fn(to_sympy(node.left, table), to_sympy(node.right, table))
    raise TypeError(f"not an expression node: {node!r}")


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
