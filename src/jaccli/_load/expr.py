"""Math expressions from the command line (``--expr``), parsed into a small validated form.

``--expr`` text is untrusted (SPEC §6), so it is never evaluated as Python. SymPy's own
``parse_expr``/``sympify`` call ``eval`` on the text, and a Python AST whitelist that compiles the
tree would still hand the interpreter attacker-shaped code. Instead we let ``ast.parse`` do the
tokenising only, walk the tree ourselves against a whitelist, and build a tiny intermediate
representation (frozen dataclasses) that we interpret with ``jax.numpy`` or translate to SymPy.

Limits are checked before anything expensive happens: Python's parser can exhaust the C stack on
very deep input and SymPy can spend hours on ``9**9**9``, so text length, bracket depth, unary
runs, literal sizes, node count, nesting depth, constant exponents and the size of exact integers
are all bounded first. Every failure is a `ParseError` (or its subclass `UnsafeExpressionError`)
carrying the source text and a 1-based column.

Expressions must be plain ASCII: a Cyrillic ``х`` or ``ѕin`` is rejected rather than becoming a
second variable that looks like ``x``, or a function that looks like ``sin``.
"""

from __future__ import annotations

import ast
import cmath
import difflib
import itertools
import keyword
import math
import operator
import re
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

from ..errors import ParseError, ShapeError, UnsafeExpressionError

MAX_LENGTH = 100_000
MAX_DEPTH = 100
MAX_NODES = 10_000
MAX_DIGITS = 400
MAX_EXPONENT = 1024
MAX_INDEX = 100_000
MAX_INPUT_SIZE = 100_000
# Exact integers beyond this (about 3600 decimal digits) are slow to combine and cannot even be
# printed under Python's default int-to-str limit.
MAX_EXACT_BITS = 12_000

# ---------------------------------------------------------------------------------------------
# The intermediate representation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Num:
    """A numeric literal: its value and its source text (for an exact SymPy Float)."""

    value: int | float | complex
    text: str


@dataclass(frozen=True)
class Const:
    """The constant ``pi`` or ``e``."""

    name: str


@dataclass(frozen=True)
class Var:
    """An input, or one entry of an array input when ``index`` is not empty."""

    name: str
    index: tuple[int, ...] = ()


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Node


@dataclass(frozen=True)
class Chain:
    """A left-to-right run of ``+``/``-`` or of ``*``/``/``, kept flat so long sums stay shallow."""

    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Pow:
    """``base ** exponent``."""

    base: Node
    exponent: Node


@dataclass(frozen=True)
class Call:
    """A call of a known function."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    """A single comparison; only valid as the condition of ``where``."""

    op: str
    left: Node
    right: Node


Node = Num | Const | Var | Neg | Chain | Pow | Call | Compare


# ---------------------------------------------------------------------------------------------
# Known functions: arity, JAX meaning, SymPy meaning, and a float meaning for constant folding
# ---------------------------------------------------------------------------------------------


def _jnp() -> Any:
    import jax.numpy as jnp

    return jnp


def _sp() -> Any:
    import sympy

    return sympy


@dataclass(frozen=True)
class _Function:
    min_args: int
    max_args: int | None
    jax: Callable[..., Any]
    sympy: Callable[..., Any]
    fold: Callable[..., complex]


def _jnp_call(name: str, *args: Any) -> Any:
    return getattr(_jnp(), name)(*args)


def _sp_call(name: str, *args: Any) -> Any:
    return getattr(_sp(), name)(*args)


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
    fn = getattr(_jnp(), name)
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
    return _jnp().maximum(a, 0.0)


def _sigmoid_fold(a: complex) -> complex:
    return 1 / (1 + cmath.exp(-a))


def _softplus_fold(a: complex) -> complex:
    return cmath.log(1 + cmath.exp(a))


def _sp_hypot(a: Any, b: Any) -> Any:
    return _sp().sqrt(a**2 + b**2)


def _sp_where(cond: Any, a: Any, b: Any) -> Any:
    return _sp().Piecewise((a, cond), (b, True))


def _build_functions() -> dict[str, _Function]:
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
    table: dict[str, _Function] = {}
    for name, (jnp_name, sp_name, fold) in smooth.items():
        jax_fn = _erf if jnp_name is None else partial(_jnp_call, jnp_name)
        table[name] = _Function(1, 1, jax_fn, partial(_sp_call, sp_name), fold)
    for alias in ("sin", "cos", "tan", "sinh", "cosh", "tanh"):
        table["a" + alias] = table["arc" + alias]
    j, s = _jnp_fn, _sp_fn
    table.update(
        {
            "log10": _Function(1, 1, j("log10"), lambda a: s("log")(a, 10), cmath.log10),
            "log2": _Function(1, 1, j("log2"), lambda a: s("log")(a, 2), lambda a: cmath.log(a, 2)),
            "log1p": _Function(1, 1, j("log1p"), lambda a: s("log")(1 + a), _shift(cmath.log)),
            "expm1": _Function(1, 1, j("expm1"), lambda a: s("exp")(a) - 1, _expm1),
            "cbrt": _Function(1, 1, j("cbrt"), lambda a: s("real_root")(a, 3), _real(_cbrt)),
            "square": _Function(1, 1, j("square"), lambda a: a**2, lambda a: a * a),
            # relu is max(x, 0) on both sides (derivative 1/2 at 0, like SymPy's Heaviside(0)), so
            # that the SymPy cross-check agrees with JAX everywhere.
            "relu": _Function(1, 1, _relu, lambda a: s("Max")(a, 0), _real(lambda a: max(a, 0))),
            "sigmoid": _Function(1, 1, _sigmoid, lambda a: 1 / (1 + s("exp")(-a)), _sigmoid_fold),
            "softplus": _Function(
                1, 1, _softplus, lambda a: s("log")(1 + s("exp")(a)), _softplus_fold
            ),
            "arctan2": _Function(2, 2, j("arctan2"), s("atan2"), _real(math.atan2)),
            "hypot": _Function(2, 2, j("hypot"), _sp_hypot, _real(math.hypot)),
            "pow": _Function(2, 2, j("power"), lambda a, b: a**b, lambda a, b: a**b),
            "min": _Function(2, None, partial(_reduce_jnp, "minimum"), s("Min"), _real(min)),
            "max": _Function(2, None, partial(_reduce_jnp, "maximum"), s("Max"), _real(max)),
            "where": _Function(3, 3, j("where"), _sp_where, lambda c, a, b: a if c.real else b),
        }
    )
    table["atan2"] = table["arctan2"]
    return table


FUNCTIONS: dict[str, _Function] = _build_functions()
CONSTANTS = ("pi", "e")

# ast type: (symbol, jax.numpy name, sympy name, float meaning)
_COMPARISONS: dict[type, tuple[str, str, str, Callable[[float, float], bool]]] = {
    ast.Lt: ("<", "less", "Lt", operator.lt),
    ast.LtE: ("<=", "less_equal", "Le", operator.le),
    ast.Gt: (">", "greater", "Gt", operator.gt),
    ast.GtE: (">=", "greater_equal", "Ge", operator.ge),
    ast.Eq: ("==", "equal", "Eq", operator.eq),
    ast.NotEq: ("!=", "not_equal", "Ne", operator.ne),
}
_BY_SYMBOL = {entry[0]: entry for entry in _COMPARISONS.values()}

HINT = (
    "allowed: numbers, names, + - * / ** ^, unary minus, lists [a, b] as the output, indexing "
    "x[0] or x[i, j], the constants pi and e, comparisons only inside where(cond, a, b), and "
    "the functions " + ", ".join(sorted(FUNCTIONS))
)

_OPERATORS: dict[type, str] = {
    ast.MatMult: "matrix multiplication '@'",
    ast.Mod: "modulo '%'",
    ast.FloorDiv: "floor division '//'",
    ast.BitAnd: "bitwise and '&'",
    ast.BitOr: "bitwise or '|'",
    ast.BitXor: "bitwise xor",
    ast.LShift: "shift '<<'",
    ast.RShift: "shift '>>'",
}

_CONSTRUCTS: dict[type, str] = {
    ast.Attribute: "attribute access",
    ast.Lambda: "lambda",
    ast.ListComp: "comprehension",
    ast.SetComp: "comprehension",
    ast.DictComp: "comprehension",
    ast.GeneratorExp: "comprehension",
    ast.JoinedStr: "f-string",
    ast.FormattedValue: "f-string",
    ast.NamedExpr: "assignment expression ':='",
    ast.Starred: "starred expression",
    ast.Slice: "slice",
    ast.BoolOp: "boolean operator",
    ast.IfExp: "conditional expression 'if ... else'",
    ast.Dict: "dict",
    ast.Set: "set",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}

_KEYWORDS = {
    "lambda": "lambda",
    "and": "boolean operator 'and'",
    "or": "boolean operator 'or'",
    "not": "boolean operator 'not'",
    "if": "conditional expression 'if ... else'",
    "else": "conditional expression 'if ... else'",
    "for": "comprehension",
    "in": "membership test 'in'",
    "is": "identity test 'is'",
    "True": "boolean literal",
    "False": "boolean literal",
    "None": "None",
}


def _show(text: str, limit: int = 80) -> str:
    """Quote user text for a message: escaped, so no terminal control sequence gets through."""
    shown = text if len(text) <= limit else text[:limit] + "..."
    return "'" + shown.encode("unicode_escape").decode("ascii").replace("'", "\\'") + "'"


# ---------------------------------------------------------------------------------------------
# Public types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExprInput:
    """One input of an expression: a scalar (shape ``()``) or an array indexed in the text."""

    name: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its inputs, its output shape, and its JAX and SymPy meanings.

    ``body`` holds the outputs in row-major order as intermediate-representation nodes.
    SymPy symbols are real: a scalar input ``y`` is ``Symbol('y')``; an entry of an array input is
    named like its source text, ``x[0]`` or ``W[1, 2]`` (names no scalar input can collide with).
    """

    text: str
    inputs: tuple[ExprInput, ...]
    output_shape: tuple[int, ...]
    body: tuple[Node, ...] = field(repr=False)

    def __call__(self, *args: Any) -> Any:
        """Evaluate with ``jax.numpy``; traceable by ``jit``, ``jacfwd``, ``jacrev`` and ``vmap``.

        Args:
            *args: one array per input, in ``inputs`` order. An array may be longer than the
                expression needs along any axis; the extra entries are ignored.

        Returns:
            A floating (or complex) JAX array of shape ``output_shape``.
        """
        jnp = _jnp()
        if len(args) != len(self.inputs):
            names = ", ".join(inp.name for inp in self.inputs)
            raise ShapeError(
                f"expression {_show(self.text)} takes {len(self.inputs)} input(s) ({names}), "
                f"got {len(args)}"
            )
        env: dict[str, Any] = {}
        for inp, arg in zip(self.inputs, args, strict=True):
            shape = tuple(jnp.shape(arg))
            if len(shape) != len(inp.shape) or any(
                s < r for s, r in zip(shape, inp.shape, strict=True)
            ):
                need = "a scalar" if not inp.shape else f"shape {inp.shape} (or longer)"
                raise ShapeError(f"input '{inp.name}' needs {need}, got shape {shape}")
            value = jnp.asarray(arg)
            if not jnp.issubdtype(value.dtype, jnp.inexact):
                value = value.astype(jnp.result_type(float))
            env[inp.name] = value
        outs = [_eval_jax(node, env) for node in self.body]
        dtype = jnp.result_type(*env.values(), *outs)
        outs = [jnp.asarray(out, dtype=dtype) for out in outs]
        if not self.output_shape:
            return outs[0]
        return jnp.stack(outs).reshape(self.output_shape)

    @cached_property
    def _symbol_table(self) -> dict[str, Any]:
        sp = _sp()
        table: dict[str, Any] = {}
        for inp in self.inputs:
            if not inp.shape:
                table[inp.name] = sp.Symbol(inp.name, real=True)
                continue
            entries = [
                sp.Symbol(f"{inp.name}[{', '.join(map(str, idx))}]", real=True)
                for idx in itertools.product(*(range(n) for n in inp.shape))
            ]
            table[inp.name] = sp.ImmutableDenseNDimArray(entries, inp.shape)
        return table

    @property
    def symbols(self) -> dict[str, Any]:
        """SymPy symbols per input: a real Symbol, or an Array of them for an array input."""
        return dict(self._symbol_table)

    @cached_property
    def sympy(self) -> Any:
        """The SymPy form: an expression, or an ``ImmutableDenseNDimArray`` for list outputs."""
        sp = _sp()
        table = self._symbol_table
        try:
            outs = [_to_sympy(node, table) for node in self.body]
        except UnsafeExpressionError as exc:
            raise UnsafeExpressionError(
                f"{exc.message} in {_show(self.text)}", source=self.text, hint=exc.hint
            ) from None
        except (TypeError, ValueError) as exc:
            raise ParseError(
                f"SymPy cannot represent {_show(self.text)}: {exc}", source=self.text
            ) from None
        if not self.output_shape:
            return outs[0]
        return sp.ImmutableDenseNDimArray(outs, self.output_shape)


# ---------------------------------------------------------------------------------------------
# Interpreters of the intermediate representation
# ---------------------------------------------------------------------------------------------


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


def _eval_jax(node: Node, env: dict[str, Any]) -> Any:
    jnp = _jnp()
    if isinstance(node, Num):
        # Python scalars stay weakly typed, so constants do not widen float32 inputs.
        return float(node.value) if isinstance(node.value, int) else node.value
    if isinstance(node, Const):
        return math.pi if node.name == "pi" else math.e
    if isinstance(node, Var):
        value = env[node.name]
        return value[node.index] if node.index else value
    if isinstance(node, Neg):
        return jnp.negative(_eval_jax(node.operand, env))
    if isinstance(node, Chain):
        ops = {"+": jnp.add, "-": jnp.subtract, "*": jnp.multiply, "/": jnp.true_divide}
        result = _eval_jax(node.first, env)
        for op, operand in node.rest:
            result = ops[op](result, _eval_jax(operand, env))
        return result
    if isinstance(node, Pow):
        exponent = _int_exponent(node.exponent)
        if exponent is None:
            exponent = _eval_jax(node.exponent, env)
        return jnp.power(_eval_jax(node.base, env), exponent)
    if isinstance(node, Call):
        return FUNCTIONS[node.func].jax(*(_eval_jax(arg, env) for arg in node.args))
    if isinstance(node, Compare):
        fn = getattr(jnp, _BY_SYMBOL[node.op][1])
        return fn(_eval_jax(node.left, env), _eval_jax(node.right, env))
    raise TypeError(f"not an expression node: {node!r}")


def _to_sympy(node: Node, table: dict[str, Any]) -> Any:
    sp = _sp()
    if isinstance(node, Num):
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
    if isinstance(node, Const):
        return sp.pi if node.name == "pi" else sp.E
    if isinstance(node, Var):
        value = table[node.name]
        return value[node.index] if node.index else value
    if isinstance(node, Neg):
        return -_to_sympy(node.operand, table)
    if isinstance(node, Chain):
        result = _to_sympy(node.first, table)
        for op, operand in node.rest:
            other = _to_sympy(operand, table)
            if op == "+":
                result = result + other
            elif op == "-":
                result = result - other
            elif op == "*":
                result = result * other
            else:
                result = result / other
        return result
    if isinstance(node, Pow):
        return _sympy_power(_to_sympy(node.base, table), _to_sympy(node.exponent, table))
    if isinstance(node, Call):
        return FUNCTIONS[node.func].sympy(*(_to_sympy(arg, table) for arg in node.args))
    if isinstance(node, Compare):
        fn = getattr(sp, _BY_SYMBOL[node.op][2])
        return fn(_to_sympy(node.left, table), _to_sympy(node.right, table))
    raise TypeError(f"not an expression node: {node!r}")


def _sympy_power(base: Any, exponent: Any) -> Any:
    """SymPy's ``base**exponent``, refused where the parser's limits would refuse it.

    The parser bounds exponents that are constant in the text, but SymPy simplifies as it builds
    (``x*0`` is 0, ``x - x`` is 0), so an exponent that uses an input can still become a number
    here: ``9**9**(x*0 + 9)`` is ``9**387420489``, which SymPy would compute digit by digit.
    """
    sp = _sp()
    if exponent.is_Number and exponent.is_finite:
        size = abs(exponent)
        if size > MAX_EXPONENT:
            raise UnsafeExpressionError(
                f"constant exponent too large once simplified (|{float(size):.6g}| > "
                f"{MAX_EXPONENT})",
                hint=f"exponents that do not depend on the inputs must stay within ±{MAX_EXPONENT}",
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
                hint="use a float literal such as 2.0 instead of an integer to keep it inexact",
            )
    return sp.Pow(base, exponent)


# ---------------------------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Info:
    """What the parser knows of a converted node, for the safety limits.

    ``value`` is the node's value in float arithmetic when it has no inputs (else None);
    ``bits`` bounds the size of the exact integers SymPy will build for it; ``integral`` says
    they are integers (sums of integers grow by a bit, sums of fractions by their sizes).
    """

    value: complex | None = None
    bits: int = 0
    integral: bool = True


_NON_CONSTANT = _Info()


def _fold(fn: Callable[..., complex], *values: complex) -> complex:
    try:
        return complex(fn(*values))
    except OverflowError:
        return complex(math.inf)
    except (ValueError, ZeroDivisionError, TypeError):
        return complex(math.nan)


def _usage(ndim: int) -> str:
    if ndim == 0:
        return "plain"
    return "with 1 index" if ndim == 1 else f"with {ndim} indices"


def _natural_key(name: str) -> tuple[list[Any], str]:
    parts = re.split(r"(\d+)", name)
    return [int(p) if i % 2 else p for i, p in enumerate(parts)], name


class _Parser:
    def __init__(
        self, text: str, prepared: str, columns: list[int], variables: tuple[str, ...] | None
    ):
        self.text = text
        self.prepared = prepared
        self.columns = columns
        self.variables = variables
        # name -> (number of indices, max index per axis, column of first use)
        self.uses: dict[str, tuple[int, list[int], int]] = {}

    def column(self, offset: int) -> int:
        return self.columns[max(0, min(offset, len(self.columns) - 1))] + 1

    def fail(
        self,
        message: str,
        offset: int,
        *,
        unsafe: bool = False,
        hint: str | None = None,
    ) -> ParseError:
        col = self.column(offset)
        cls = UnsafeExpressionError if unsafe else ParseError
        return cls(
            f"{message} at column {col} in {_show(self.text)}",
            source=self.text,
            column=col,
            hint=hint,
        )

    def unsupported(self, what: str, offset: int) -> ParseError:
        return self.fail(f"unsupported syntax: {what}", offset, unsafe=True, hint=HINT)

    # --- structure -------------------------------------------------------------------------

    def outputs(self, node: ast.expr) -> tuple[list[Node], tuple[int, ...]]:
        """Flatten a (nested) list of outputs, checking that it is rectangular."""
        if not isinstance(node, ast.List | ast.Tuple):
            return [self.expr(node, 1)[0]], ()
        if not node.elts:
            raise self.fail("empty list", node.col_offset)
        parts = [self.outputs(elt) for elt in node.elts]
        shape = parts[0][1]
        for elt, (_, other) in zip(node.elts, parts, strict=True):
            if other != shape:
                raise self.fail(
                    f"ragged list: an item of shape {other} beside one of shape {shape}",
                    elt.col_offset,
                )
        return [n for flat, _ in parts for n in flat], (len(parts), *shape)

    def expr(self, node: ast.expr, depth: int, allow_compare: bool = False) -> tuple[Node, _Info]:
        if depth > MAX_DEPTH:
            raise self.fail(
                f"expression nested deeper than {MAX_DEPTH} levels", node.col_offset, unsafe=True
            )
        ir, info = self._convert(node, depth, allow_compare)
        if info.value is not None and (math.isinf(info.value.real) or math.isinf(info.value.imag)):
            raise self.fail(
                "number too large (overflows float64)",
                node.col_offset,
                unsafe=True,
                hint="rewrite the expression so its constants stay below 1.8e308",
            )
        if info.bits > MAX_EXACT_BITS:
            raise self.fail(
                f"exact arithmetic too large (integers of about {info.bits} bits; "
                f"limit {MAX_EXACT_BITS})",
                node.col_offset,
                unsafe=True,
                hint="use a float literal such as 2.0 instead of an integer to keep it inexact",
            )
        return ir, info

    def _convert(self, node: ast.expr, depth: int, allow_compare: bool) -> tuple[Node, _Info]:
        if isinstance(node, ast.Constant):
            return self.constant(node)
        if isinstance(node, ast.Name):
            return self.name(node)
        if isinstance(node, ast.Subscript):
            return self.subscript(node)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                operand, info = self.expr(node.operand, depth + 1)
                value = None if info.value is None else -info.value
                return Neg(operand), _Info(value, info.bits, info.integral)
            if isinstance(node.op, ast.UAdd):
                return self.expr(node.operand, depth + 1)
            what = "boolean operator 'not'" if isinstance(node.op, ast.Not) else "bitwise not '~'"
            raise self.unsupported(what, node.col_offset)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
                return self.chain(node, depth)
            if isinstance(node.op, ast.Pow):
                return self.power(node.left, node.right, depth)
            raise self.unsupported(_OPERATORS.get(type(node.op), "operator"), self.op_offset(node))
        if isinstance(node, ast.Call):
            return self.call(node, depth)
        if isinstance(node, ast.Compare):
            return self.compare(node, depth, allow_compare)
        if isinstance(node, ast.List | ast.Tuple):
            raise self.fail(
                "a list inside an expression (lists are only allowed as the output, like [f, g])",
                node.col_offset,
            )
        if isinstance(node, ast.Attribute):
            raise self.unsupported("attribute access", node.value.end_col_offset or 0)
        raise self.unsupported(
            _CONSTRUCTS.get(type(node), type(node).__name__.lower()), node.col_offset
        )

    def op_offset(self, node: ast.BinOp) -> int:
        """The offset of a binary operator: the first non-blank after the left operand."""
        start = node.left.end_col_offset or node.col_offset
        while start < len(self.prepared) and self.prepared[start] in " )":
            start += 1
        return start

    # --- leaves ----------------------------------------------------------------------------

    def constant(self, node: ast.Constant) -> tuple[Node, _Info]:
        value = node.value
        if isinstance(value, bool):
            raise self.unsupported("boolean literal", node.col_offset)
        if isinstance(value, str):
            raise self.unsupported("string literal", node.col_offset)
        if isinstance(value, bytes):
            raise self.unsupported("bytes literal", node.col_offset)
        if value is None:
            raise self.unsupported("None", node.col_offset)
        if not isinstance(value, int | float | complex):
            raise self.unsupported(f"literal {type(value).__name__}", node.col_offset)
        text = self.prepared[node.col_offset : node.end_col_offset]
        try:
            folded = complex(value)
        except OverflowError:
            folded = complex(math.inf)
        bits = value.bit_length() if isinstance(value, int) else 0
        return Num(value, text), _Info(folded, bits)

    def name(self, node: ast.Name) -> tuple[Node, _Info]:
        name = node.id
        self.check_name(name, node.col_offset)
        if name in CONSTANTS and not self.is_variable(name):
            value = math.pi if name == "pi" else math.e
            return Const(name), _Info(complex(value))
        self.use(name, (), node.col_offset)
        return Var(name), _NON_CONSTANT

    def is_variable(self, name: str) -> bool:
        return self.variables is not None and name in self.variables

    def check_name(self, name: str, offset: int) -> None:
        if name.startswith("__"):
            raise self.unsupported(f"dunder name {name!r}", offset)
        if name in FUNCTIONS:
            raise self.unsupported(
                f"function name {name!r} used as a variable (call it: {name}(...))", offset
            )

    def subscript(self, node: ast.Subscript) -> tuple[Node, _Info]:
        indices: list[int] = []
        base: ast.expr = node
        while isinstance(base, ast.Subscript):
            index = base.slice
            items = index.elts if isinstance(index, ast.Tuple) else [index]
            indices[:0] = [self.index(item) for item in items]
            base = base.value
        if not isinstance(base, ast.Name):
            raise self.fail(
                "indexing is only allowed on input names, like x[0]", node.col_offset, unsafe=True
            )
        self.check_name(base.id, base.col_offset)
        if base.id in CONSTANTS and not self.is_variable(base.id):
            raise self.fail(f"cannot index the constant {base.id!r}", base.col_offset)
        self.use(base.id, tuple(indices), base.col_offset)
        return Var(base.id, tuple(indices)), _NON_CONSTANT

    def index(self, node: ast.expr) -> int:
        if isinstance(node, ast.Slice):
            raise self.unsupported("slice", node.col_offset)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            raise self.fail("negative index (indices are non-negative integers)", node.col_offset)
        if (
            not isinstance(node, ast.Constant)
            or isinstance(node.value, bool)
            or not isinstance(node.value, int)
        ):
            raise self.fail("an index must be a non-negative integer literal", node.col_offset)
        if node.value >= MAX_INDEX:
            raise self.fail(
                f"index {node.value} too large (limit {MAX_INDEX - 1})",
                node.col_offset,
                unsafe=True,
            )
        return node.value

    def use(self, name: str, index: tuple[int, ...], offset: int) -> None:
        col = self.column(offset)
        if name not in self.uses:
            self.uses[name] = (len(index), list(index), col)
            return
        ndim, highest, first = self.uses[name]
        if ndim != len(index):
            raise ParseError(
                f"name {name!r} is used {_usage(ndim)} at column {first} and "
                f"{_usage(len(index))} at column {col} in {_show(self.text)}",
                source=self.text,
                column=col,
                hint="use a name either plainly (a scalar) or always with the same number of "
                "indices (an array)",
            )
        for axis, i in enumerate(index):
            highest[axis] = max(highest[axis], i)

    # --- operators -------------------------------------------------------------------------

    def chain(self, node: ast.BinOp, depth: int) -> tuple[Node, _Info]:
        additive = isinstance(node.op, ast.Add | ast.Sub)
        group = (ast.Add, ast.Sub) if additive else (ast.Mult, ast.Div)
        symbol = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}
        pending: list[tuple[str, ast.expr]] = []
        current: ast.expr = node
        # Walk the left spine in a loop: a long sum is a deep tree, but one level here.
        while isinstance(current, ast.BinOp) and isinstance(current.op, group):
            pending.append((symbol[type(current.op)], current.right))
            current = current.left
        first, info = self.expr(current, depth + 1)
        rest: list[tuple[str, Node]] = []
        infos = [info]
        value = info.value
        for op, operand in reversed(pending):
            ir, other = self.expr(operand, depth + 1)
            rest.append((op, ir))
            infos.append(other)
            if value is not None and other.value is not None:
                value = _fold(_BINARY[op], value, other.value)
            else:
                value = None
        integral = all(i.integral for i in infos) and "/" not in (op for op, _ in rest)
        if additive and integral:
            bits = max(i.bits for i in infos) + len(infos).bit_length()
        else:
            bits = sum(i.bits for i in infos) + (len(infos) if additive else 0)
        return Chain(first, tuple(rest)), _Info(value, bits, integral)

    def power(self, left: ast.expr, right: ast.expr, depth: int) -> tuple[Node, _Info]:
        base, b = self.expr(left, depth + 1)
        exponent, e = self.expr(right, depth + 1)
        if e.value is not None:
            size = abs(e.value)
            if size > MAX_EXPONENT:
                raise self.fail(
                    f"constant exponent too large (|{size:.6g}| > {MAX_EXPONENT})",
                    right.col_offset,
                    unsafe=True,
                    hint="exponents that do not depend on the inputs must stay within "
                    f"±{MAX_EXPONENT}",
                )
            steps = math.ceil(size) if math.isfinite(size) else 1
            bits = b.bits * max(1, steps) + e.bits
            integral = b.integral and e.integral and e.value.real >= 0
        else:
            bits = b.bits + e.bits
            integral = False
        value = None
        if b.value is not None and e.value is not None:
            value = _fold(_BINARY["**"], b.value, e.value)
        return Pow(base, exponent), _Info(value, bits, integral)

    def call(self, node: ast.Call, depth: int) -> tuple[Node, _Info]:
        if not isinstance(node.func, ast.Name):
            if isinstance(node.func, ast.Attribute):
                raise self.unsupported("attribute access", node.func.value.end_col_offset or 0)
            raise self.unsupported("calling a non-function", node.col_offset)
        name = node.func.id
        if name.startswith("__"):
            raise self.unsupported(f"dunder name {name!r}", node.col_offset)
        fn = FUNCTIONS.get(name)
        if fn is None:
            close = difflib.get_close_matches(name, FUNCTIONS, n=1)
            suggestion = f"did you mean {close[0]!r}? " if close else ""
            raise self.fail(
                f"unknown function {name!r}",
                node.col_offset,
                unsafe=True,
                hint=suggestion + "known functions: " + ", ".join(sorted(FUNCTIONS)),
            )
        for kw in node.keywords:
            what = "keyword argument" + (f" {kw.arg!r}" if kw.arg else "s '**'")
            raise self.unsupported(what, kw.value.col_offset if kw.arg is None else kw.col_offset)
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                raise self.unsupported("starred argument", arg.col_offset)
        count = len(node.args)
        if count < fn.min_args or (fn.max_args is not None and count > fn.max_args):
            if fn.max_args is None:
                need = f"at least {fn.min_args} arguments"
            else:
                need = f"{fn.min_args} argument" + ("s" if fn.min_args > 1 else "")
            raise self.fail(f"{name}() takes {need}, got {count}", node.col_offset)
        if name == "where" and not isinstance(node.args[0], ast.Compare):
            raise self.fail(
                "the first argument of where() must be a comparison, like where(x > 0, x, 0)",
                node.args[0].col_offset,
            )
        converted = [
            self.expr(arg, depth + 1, allow_compare=(name == "where" and i == 0))
            for i, arg in enumerate(node.args)
        ]
        infos = [info for _, info in converted]
        value = None
        if all(info.value is not None for info in infos):
            value = _fold(fn.fold, *(info.value for info in infos))
        bits = sum(info.bits for info in infos)
        integral = all(info.integral for info in infos)
        return Call(name, tuple(ir for ir, _ in converted)), _Info(value, bits, integral)

    def compare(self, node: ast.Compare, depth: int, allowed: bool) -> tuple[Node, _Info]:
        if len(node.ops) > 1:
            raise self.unsupported("chained comparison", node.col_offset)
        entry = _COMPARISONS.get(type(node.ops[0]))
        if entry is None:
            what = {ast.In: "'in'", ast.NotIn: "'not in'", ast.Is: "'is'", ast.IsNot: "'is not'"}
            raise self.unsupported(
                f"membership/identity test {what[type(node.ops[0])]}", node.col_offset
            )
        if not allowed:
            raise self.fail(
                "a comparison is only allowed as the condition of where(cond, a, b)",
                node.col_offset,
            )
        left, a = self.expr(node.left, depth + 1)
        right, b = self.expr(node.comparators[0], depth + 1)
        value = None
        if a.value is not None and b.value is not None:
            value = complex(entry[3](a.value.real, b.value.real))
        return Compare(entry[0], left, right), _Info(
            value, a.bits + b.bits, a.integral and b.integral
        )

    # --- inputs ----------------------------------------------------------------------------

    def inputs(self) -> tuple[ExprInput, ...]:
        shapes: dict[str, tuple[int, ...]] = {}
        for name, (_, highest, col) in self.uses.items():
            shape = tuple(i + 1 for i in highest)
            if math.prod(shape) > MAX_INPUT_SIZE:
                raise UnsafeExpressionError(
                    f"input {name!r} would have {math.prod(shape)} entries (limit "
                    f"{MAX_INPUT_SIZE}) in {_show(self.text)}",
                    source=self.text,
                    column=col,
                )
            shapes[name] = shape
        if self.variables is None:
            order = sorted(shapes, key=_natural_key)
        else:
            missing = [name for name in shapes if name not in self.variables]
            if missing:
                raise ParseError(
                    f"the expression uses names that are not in --vars: {', '.join(missing)}",
                    source=self.text,
                    column=self.uses[missing[0]][2],
                    hint="list every input name in --vars, in the order you want",
                )
            order = list(self.variables)
        if not order:
            raise ParseError(
                f"expression has no inputs: {_show(self.text)}",
                source=self.text,
                hint="a Jacobian needs at least one input name, like x; or name one with --vars",
            )
        return tuple(ExprInput(name, shapes.get(name, ())) for name in order)


_BINARY: dict[str, Callable[[complex, complex], complex]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "**": operator.pow,
}


def _check_variables(variables: Sequence[str] | str | None) -> tuple[str, ...] | None:
    if variables is None:
        return None
    if isinstance(variables, str):
        variables = [v.strip() for v in variables.split(",")] if variables.strip() else []
    seen: list[str] = []
    for name in variables:
        if not isinstance(name, str) or not name.isascii() or not name.isidentifier():
            raise ParseError(
                f"--vars entry {_show(str(name))} is not a name",
                hint="names are ASCII letters, digits and _, not starting with a digit",
            )
        if keyword.iskeyword(name) or name.startswith("__") or name in FUNCTIONS:
            raise ParseError(
                f"--vars entry {name!r} cannot be a variable (it is a keyword, dunder or "
                "function name)"
            )
        if name in seen:
            raise ParseError(f"--vars names {name!r} twice")
        seen.append(name)
    return tuple(seen)


def _unsafe(text: str, message: str, index: int, hint: str | None = None) -> UnsafeExpressionError:
    return UnsafeExpressionError(
        f"{message} at column {index + 1} in {_show(text)}",
        source=text,
        column=index + 1,
        hint=hint,
    )


_WORD = re.compile(r"(?<![A-Za-z_.])[A-Za-z_][A-Za-z0-9_]*")
# Any run of digits, exponents and names included: Python and SymPy convert them to ints.
_DIGITS = re.compile(r"[0-9][0-9_]*")
_TOKEN = re.compile(r"[A-Za-z0-9_.]+|[-+*/<>=!^@%&|~]+")


def _prescan(text: str) -> None:
    """Reject text that is too big, too deep or not plain ASCII before Python's parser sees it."""
    if len(text) > MAX_LENGTH:
        raise UnsafeExpressionError(
            f"expression is too long: {len(text)} characters (limit {MAX_LENGTH})",
            source=text[:200],
        )
    for i, ch in enumerate(text):
        if ch in "\t\n\r":
            continue
        if not ch.isascii():
            name = unicodedata.name(ch, "unnamed character")
            raise _unsafe(
                text,
                f"non-ASCII character {_show(ch)} ({name})",
                i,
                hint="expressions are plain ASCII: letters a-z, digits 0-9 and + - * / ^ ( ) [ ]",
            )
        if not ch.isprintable():
            raise _unsafe(text, f"control character {_show(ch)}", i)
        if ch == "#":
            raise _unsafe(text, "unsupported syntax: comment '#'", i, hint=HINT)
    for match in _WORD.finditer(text):
        if keyword.iskeyword(match.group()):
            what = _KEYWORDS.get(match.group(), f"keyword {match.group()!r}")
            raise _unsafe(text, f"unsupported syntax: {what}", match.start(), hint=HINT)
    for match in _DIGITS.finditer(text):
        digits = sum(ch.isdigit() for ch in match.group())
        if digits > MAX_DIGITS:
            raise _unsafe(
                text, f"number literal with {digits} digits (limit {MAX_DIGITS})", match.start()
            )
    depth = run = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _unsafe(text, f"brackets nested deeper than {MAX_DEPTH}", i)
        elif ch in ")]}":
            depth = max(0, depth - 1)
        if ch in "+-~":
            run += 1
            if run > MAX_DEPTH:
                raise _unsafe(text, f"more than {MAX_DEPTH} signs in a row", i)
        elif not ch.isspace():
            run = 0
    parts = sum(1 for _ in _TOKEN.finditer(text))
    if parts > MAX_NODES:
        raise _unsafe(text, f"expression too large: about {parts} parts (limit {MAX_NODES})", 0)


def _prepare(text: str) -> tuple[str, list[int]]:
    """Map ``^`` to ``**`` and drop leading blanks, keeping each character's original offset."""
    chars: list[str] = []
    columns: list[int] = []
    for i, ch in enumerate(text):
        if ch in "\t\n\r":
            ch = " "  # one line, so ast offsets are offsets in the text
        if ch == " " and not chars:
            continue  # eval mode rejects leading indentation
        if ch == "^":
            chars.append("**")
            columns += [i, i]
        else:
            chars.append(ch)
            columns.append(i)
    columns.append(len(text))
    return "".join(chars), columns


_IGNORED_NODES = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def parse_expr(text: str, vars: Sequence[str] | str | None = None) -> Expression:
    """Parse a math expression into an `Expression`, without ever evaluating it as Python.

    Args:
        text: the expression, e.g. ``"x**2 + sin(y)"``, ``"[x[0]*x[1], x[2]]"`` or ``"x^2"``.
        vars: input names in argument order (a sequence, or one comma-separated string).
            Without it, inputs are the names used, sorted naturally (``x2`` before ``x10``).

    Returns:
        The parsed expression; call it with one array per input.

    Raises:
        UnsafeExpressionError: for constructs outside the whitelist or beyond the size limits.
        ParseError: for text that is not a valid expression.

    >>> f = parse_expr("x[0]^2 + sin(y)")
    >>> [(i.name, i.shape) for i in f.inputs], f.output_shape
    ([('x', (1,)), ('y', ())], ())
    """
    if not isinstance(text, str):
        raise ParseError(f"an expression must be text, got {type(text).__name__}")
    variables = _check_variables(vars)
    _prescan(text)
    prepared, columns = _prepare(text)
    if not prepared.strip():
        raise ParseError("empty expression", source=text, column=1)
    parser = _Parser(text, prepared, columns, variables)
    try:
        with warnings.catch_warnings():
            # Python warns about oddities like "1if"; treat them as the errors they are here.
            warnings.simplefilter("error")
            tree = ast.parse(prepared, mode="eval")
    except SyntaxError as exc:
        offset = (exc.offset or 1) - 1
        raise parser.fail(exc.msg or "invalid syntax", offset) from None
    except (RecursionError, MemoryError) as exc:
        raise UnsafeExpressionError(
            f"expression is nested too deeply for Python's parser in {_show(text)}",
            source=text,
            hint="split it into fewer nested operations, e.g. shorter sums or power towers",
        ) from exc
    except (ValueError, OverflowError, Warning) as exc:
        raise ParseError(f"cannot parse {_show(text)}: {exc}", source=text) from None
    count = sum(1 for n in ast.walk(tree) if not isinstance(n, _IGNORED_NODES))
    if count > MAX_NODES:
        raise UnsafeExpressionError(
            f"expression too large: {count} nodes (limit {MAX_NODES}) in {_show(text)}",
            source=text,
        )
    body, shape = parser.outputs(tree.body)
    return Expression(text=text, inputs=parser.inputs(), output_shape=shape, body=tuple(body))
