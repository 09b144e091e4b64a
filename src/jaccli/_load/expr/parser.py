"""The expression parser: Python's ``ast`` tokenises the text, and a walk of the tree against a
whitelist builds the intermediate representation, checking the limits as it goes.

``--expr`` text is untrusted (SPEC §6), so it is never evaluated as Python. SymPy's own
``parse_expr``/``sympify`` call ``eval`` on the text, and a Python AST whitelist that compiles the
tree would still hand the interpreter attacker-shaped code. Instead we let ``ast.parse`` do the
tokenising only, walk the tree ourselves against a whitelist, and build a tiny intermediate
representation (frozen dataclasses) that we interpret with ``jax.numpy`` or translate to SymPy.

Limits are checked before anything expensive happens (`jaccli._load.expr.limits`). Every failure
is a `ParseError` (or its subclass `UnsafeExpressionError`) carrying the source text and a 1-based
column.
"""

from __future__ import annotations

import ast
import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass

from ...errors import ParseError
from .expression import Expression
from .functions import ARITHMETIC, COMPARISONS, CONSTANTS, FUNCTIONS
from .inputs import InputUses
from .limits import EXACT_HINT, EXPONENT_HINT, MAX_DEPTH, MAX_EXACT_BITS, MAX_EXPONENT, MAX_INDEX
from .lowering import fold
from .nodes import Call, Chain, Compare, Neg, Node, Num, Pow, Var
from .prescan import check_variables, prescan
from .source import Source
from .syntax import CONSTRUCT_NAMES, OPERATOR_NAMES


@dataclass(frozen=True)
class Info:
    """What the parser knows of a converted node, for the safety limits.

    ``value`` is the node's value in float arithmetic when it has no inputs (else None);
    ``bits`` bounds the size of the exact integers SymPy will build for it; ``integral`` says
    they are integers (sums of integers grow by a bit, sums of fractions by their sizes).
    """

    value: complex | None = None
    bits: int = 0
    integral: bool = True


NON_CONSTANT = Info()


class Parser:
    """A whitelist walk over an expression's syntax tree, building the intermediate form.

    Each converted node comes with an `Info`, so that the limits on constants and exact
    integers hold for the expression as a whole.
    """

    def __init__(
        self, source: Source, variables: tuple[str, ...] | None, label: str = "vars"
    ) -> None:
        self.source = source
        self.fail = source.fail
        self.unsupported = source.unsupported
        self.variables = variables
        self.names = InputUses(source.text, variables, label)

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

    def expr(self, node: ast.expr, depth: int, allow_compare: bool = False) -> tuple[Node, Info]:
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
                hint=EXACT_HINT,
            )
        return ir, info

    def _convert(self, node: ast.expr, depth: int, allow_compare: bool) -> tuple[Node, Info]:
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
                return Neg(operand), Info(value, info.bits, info.integral)
            if isinstance(node.op, ast.UAdd):
                return self.expr(node.operand, depth + 1)
            what = "boolean operator 'not'" if isinstance(node.op, ast.Not) else "bitwise not '~'"
            raise self.unsupported(what, node.col_offset)
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Add | ast.Sub | ast.Mult | ast.Div):
                return self.chain(node, depth)
            if isinstance(node.op, ast.Pow):
                return self.power(node.left, node.right, depth)
            raise self.unsupported(
                OPERATOR_NAMES.get(type(node.op), "operator"), self.source.op_offset(node)
            )
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
            CONSTRUCT_NAMES.get(type(node), type(node).__name__.lower()), node.col_offset
        )

    # --- leaves ----------------------------------------------------------------------------

    def constant(self, node: ast.Constant) -> tuple[Node, Info]:
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
        text = self.source.prepared[node.col_offset : node.end_col_offset]
        try:
            folded = complex(value)
        except OverflowError:
            folded = complex(math.inf)
        bits = value.bit_length() if isinstance(value, int) else 0
        return Num(value, text), Info(folded, bits)

    def name(self, node: ast.Name) -> tuple[Node, Info]:
        name = node.id
        self.check_name(name, node.col_offset)
        if name in CONSTANTS and not self.is_variable(name):
            value = math.pi if name == "pi" else math.e
            return Num(value, name), Info(complex(value))
        self.use(name, (), node.col_offset)
        return Var(name), NON_CONSTANT

    def is_variable(self, name: str) -> bool:
        return self.variables is not None and name in self.variables

    def check_name(self, name: str, offset: int) -> None:
        if name.startswith("__"):
            raise self.unsupported(f"dunder name {name!r}", offset)
        if name in FUNCTIONS:
            raise self.unsupported(
                f"function name {name!r} used as a variable (call it: {name}(...))", offset
            )

    def subscript(self, node: ast.Subscript) -> tuple[Node, Info]:
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
        return Var(base.id, tuple(indices)), NON_CONSTANT

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
        self.names.add(name, index, self.source.column(offset))

    # --- operators -------------------------------------------------------------------------

    def chain(self, node: ast.BinOp, depth: int) -> tuple[Node, Info]:
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
                value = fold(ARITHMETIC[op], value, other.value)
            else:
                value = None
        integral = all(i.integral for i in infos) and "/" not in (op for op, _ in rest)
        if additive and integral:
            bits = max(i.bits for i in infos) + len(infos).bit_length()
        else:
            bits = sum(i.bits for i in infos) + (len(infos) if additive else 0)
        return Chain(first, tuple(rest)), Info(value, bits, integral)

    def power(self, left: ast.expr, right: ast.expr, depth: int) -> tuple[Node, Info]:
        base, b = self.expr(left, depth + 1)
        exponent, e = self.expr(right, depth + 1)
        if e.value is not None:
            size = abs(e.value)
            if size > MAX_EXPONENT:
                raise self.fail(
                    f"constant exponent too large (|{size:.6g}| > {MAX_EXPONENT})",
                    right.col_offset,
                    unsafe=True,
                    hint=EXPONENT_HINT,
                )
            steps = math.ceil(size) if math.isfinite(size) else 1
            bits = b.bits * max(1, steps) + e.bits
            integral = b.integral and e.integral and e.value.real >= 0
        else:
            bits = b.bits + e.bits
            integral = False
        value = None
        if b.value is not None and e.value is not None:
            value = fold(ARITHMETIC["**"], b.value, e.value)
        return Pow(base, exponent), Info(value, bits, integral)

    def call(self, node: ast.Call, depth: int) -> tuple[Node, Info]:
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
            value = fold(fn.fold, *(info.value for info in infos))
        bits = sum(info.bits for info in infos)
        integral = all(info.integral for info in infos)
        return Call(name, tuple(ir for ir, _ in converted)), Info(value, bits, integral)

    def compare(self, node: ast.Compare, depth: int, allowed: bool) -> tuple[Node, Info]:
        if len(node.ops) > 1:
            raise self.unsupported("chained comparison", node.col_offset)
        entry = COMPARISONS.get(type(node.ops[0]))
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
            value = complex(entry.fold(a.value.real, b.value.real))
        return Compare(entry.symbol, left, right), Info(
            value, a.bits + b.bits, a.integral and b.integral
        )


def parse_expr(
    text: str, vars: Sequence[str] | str | None = None, label: str = "vars"
) -> Expression:
    """Parse a math expression into an `Expression`, without ever evaluating it as Python.

    Args:
        text: the expression, e.g. ``"x**2 + sin(y)"``, ``"[x[0]*x[1], x[2]]"`` or ``"x^2"``.
        vars: input names in argument order (a sequence, or one comma-separated string).
            Without it, inputs are the names used, sorted naturally (``x2`` before ``x10``).
        label: how messages name ``vars`` (``--vars`` on the command line).

    Returns:
        The parsed expression; call it with one array per input.

    Raises:
        UnsafeExpressionError: for constructs outside the whitelist or beyond the size limits.
        ParseError: for text that is not a valid expression.

    >>> f = parse_expr("x[0]^2 + sin(y)")
    >>> [(i.name, i.shape) for i in f.inputs], f.output_shape
    ([('x', (1,)), ('y', ())], ())
    """
    parser, tree = start(text, vars, label)
    body, shape = parser.outputs(tree)
    return Expression(text=text, inputs=parser.names.inputs(), output_shape=shape, body=tuple(body))


def parse_number(
    text: str, vars: Sequence[str] | str | None = None, label: str = "vars"
) -> complex | None:
    """The value of an expression without inputs, folded in double precision while parsing,
    so that a constant such as a bound (``-pi``) needs no JAX; None where it uses an input of
    ``vars`` or is a list. Raises as `parse_expr` does (``vars`` name the allowed inputs).

    >>> parse_number("-2*pi/4", vars=["_"]), parse_number("[1, 2]", vars=["_"])
    ((-1.5707963267948966+0j), None)
    """
    parser, tree = start(text, vars, label)
    if isinstance(tree, ast.List | ast.Tuple):
        return None
    value = parser.expr(tree, 1)[1].value
    parser.names.inputs()  # refuses names that are not among ``vars``, as parse_expr does
    return value


def start(text: str, vars: Sequence[str] | str | None, label: str) -> tuple[Parser, ast.expr]:
    """The parser of ``text`` and its syntax tree, after the checks every parse makes."""
    if not isinstance(text, str):
        raise ParseError(f"an expression must be text, got {type(text).__name__}")
    variables = check_variables(vars, label)
    prescan(text)
    source = Source(text)
    if not source.prepared.strip():
        raise ParseError("empty expression", source=text, column=1)
    return Parser(source, variables, label), source.tree()
