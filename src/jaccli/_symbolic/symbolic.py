"""The SymPy reference: exact derivatives of expressions and of traced JAX programs.

`check` needs a referee that shares nothing with JAX's differentiation, and `jaccli symbolic`
prints the Jacobian as formulas. Both start from `to_sympy`. An expression (``--expr``) already
has a SymPy form. A file is traced with `jax.make_jaxpr` and its program is interpreted equation by
equation over NumPy object arrays of SymPy expressions. Two choices make the reference a referee:

- custom JVP/VJP rules are ignored and the primal program is used, since catching a wrong custom
  rule is what a check is for;
- ``stop_gradient`` is the identity, as in mathematics, so a broken graph shows as a mismatch.

A primitive outside the covered set raises `SymbolicUnavailable` ("not available: <primitive>");
nothing is guessed. Values that are constants in the program (index arithmetic, ``jnp.arange``)
are folded, so static indexing, static loops (``fori_loop``, ``scan``) and static branches work.
Floating-point constants become exact rationals (the double's value), so SymPy does not round
where the program does not.

Derivatives come from SymPy (`jacobian`, `hessian`). `evaluate` computes them at a point with
mpmath at 40 significant digits, and again at higher precision until the float64 result is stable,
so the reference stays exact where float64 arithmetic cancels. Work is bounded before it runs
away (`MAX_ENTRIES`, `MAX_EQUATIONS`, `MAX_WORK`, `MAX_EXPRESSION_SIZE`, `MAX_DIFFERENTIATION`):
a refusal is a `SymbolicTooLarge` with the reason.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..errors import ResourceError, ShapeError, UsageError

MAX_ENTRIES = 10_000
"""Most entries of a symbolic Jacobian (outputs × inputs) or Hessian (inputs × inputs)."""
MAX_EQUATIONS = 5_000
"""Most equations interpreted, counting inner programs and every step of an unrolled loop."""
MAX_ARRAY = 100_000
"""Most entries of any one array in the traced program."""
MAX_WORK = 500_000
"""Most scalar SymPy operations while interpreting the program."""
MAX_EXPRESSION_SIZE = 500_000
"""Most nodes of any one expression built from a program or an expression, counted as a tree."""
MAX_DIFFERENTIATION = 300_000
"""Most operands handed to SymPy's constructors while differentiating (about 5 s of work)."""
MAX_DEPTH = 250
"""Deepest nesting of an expression (SymPy's constructors, printers and evaluation recurse)."""
MAX_TEXT_SIZE = 200_000
"""Most nodes, counted as trees, of a derivative shown as text."""
DIGITS = 40
"""Significant digits of the first evaluation; `evaluate` raises them until float64 is stable."""
SIMPLIFY_OPS = 40
"""Entries with more operations than this are shown as derived, not simplified."""
SIMPLIFY_ENTRIES = 400
"""A derivative with more distinct entries than this is shown as derived, not simplified."""
SIMPLIFY_SECONDS = 5.0
"""Time budget for simplifying the entries of one derivative; the rest are shown as derived."""
CSE_ENTRIES = 100
"""A derivative with more entries than this is shown with common subexpressions pulled out."""
CSE_OPS = 400
"""A derivative with more operations than this is shown with common subexpressions pulled out."""

_HINT = "compare against finite differences instead (--against fd)"


class SymbolicUnavailable(UsageError):
    """SymPy cannot stand for this function: a primitive it does not cover, or complex values.

    ``reason`` reads ``"not available: <what>"``; `check` reports it as the SymPy reference's
    result and `jaccli symbolic` as its error.
    """

    kind = "symbolic_unavailable"

    def __init__(self, reason: str, hint: str | None = _HINT) -> None:
        super().__init__(reason, hint=hint)
        self.reason = reason


class SymbolicTooLarge(SymbolicUnavailable, ResourceError):
    """The symbolic work would exceed a size limit; refused before it runs away (exit 4)."""

    exit_code = 4
    kind = "resource"


def _sp() -> Any:
    import sympy

    return sympy


@contextlib.contextmanager
def _nesting_guard(what: str) -> Iterator[None]:
    """SymPy recurses once per level of an expression; a RecursionError is a size refusal."""
    try:
        yield
    except RecursionError:
        raise SymbolicTooLarge(
            f"not available: {what} nests expressions too deeply for SymPy"
        ) from None


# ---------------------------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SymbolicInput:
    """One array input: its argument, its key path inside a dict argument, shape and symbols.

    Symbols are real and listed in row-major order. A scalar is named like its argument (``y``),
    an array entry like the expression syntax (``x[0]``, ``W[1, 2]``), and a dict entry by its
    keys (``params['w'][0]``).
    """

    arg: str
    path: tuple[Any, ...]
    shape: tuple[int, ...]
    symbols: tuple[Any, ...]

    @property
    def label(self) -> str:
        return self.arg + "".join(f"[{key!r}]" for key in self.path)

    @property
    def size(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class SymbolicFunction:
    """A function in SymPy form.

    Attributes:
        outputs: the output entries, row-major, as SymPy expressions.
        output_shape: the shape of the output.
        inputs: every input that appears as symbols (a file's differentiated arguments; all of
            an expression's inputs).
        wrt: the arguments differentiated by default, in order.
        point: a value for every symbol when the function was bound to a point, else empty.
        source: where the function came from.
    """

    outputs: tuple[Any, ...]
    output_shape: tuple[int, ...]
    inputs: tuple[SymbolicInput, ...]
    wrt: tuple[str, ...]
    point: Mapping[Any, float] = field(default_factory=dict, compare=False)
    source: str = ""

    @property
    def symbols(self) -> tuple[Any, ...]:
        """The symbols of the differentiated inputs, flat, in argument order."""
        return tuple(s for inp in _select(self.inputs, self.wrt) for s in inp.symbols)

    @property
    def input_shapes(self) -> dict[str, tuple[int, ...]]:
        return {inp.label: inp.shape for inp in self.inputs}

    @property
    def namespace(self) -> dict[str, Any]:
        """Names for reading strings back: ``sympy.sympify(text, locals=sym.namespace)``.

        Only for our own output: `sympify` evaluates its text as Python.
        """
        table: dict[str, Any] = {}
        for inp in self.inputs:
            value = inp.symbols[0] if not inp.shape else _objects(inp.symbols, inp.shape)
            keys = (inp.arg, *inp.path)
            target = table
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = value
        return table

    def evaluate(self, values: Mapping[Any, Any] | None = None, digits: int = DIGITS) -> Any:
        """The outputs at ``values`` (default: the bound point), float64, shaped like the output."""
        return evaluate(self.outputs, self.point if values is None else values, digits).reshape(
            self.output_shape
        )


@dataclass(frozen=True)
class SymbolicDerivative:
    """A symbolic Jacobian (``kind="jacobian"``) or Hessian (``"hessian"``) as a flat matrix.

    A Jacobian's rows are the output entries and its columns the entries of ``inputs``; a
    Hessian's rows and columns are both the entries of ``inputs``. `layout` arranges a flat
    result like JAX: ``output_shape + input_shape``, keyed by argument when there are several.
    """

    matrix: Any
    kind: str
    output_shape: tuple[int, ...]
    inputs: tuple[SymbolicInput, ...]
    point: Mapping[Any, float] = field(default_factory=dict, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.matrix.shape)

    def entries(self) -> list[Any]:
        """The entries, row-major."""
        return list(self.matrix)

    def evaluate(self, values: Mapping[Any, Any] | None = None, digits: int = DIGITS) -> Any:
        """The derivative at ``values`` (default: the bound point), float64, laid out like JAX."""
        return self.layout(evaluate(self.matrix, self.point if values is None else values, digits))

    def layout(self, flat: Any) -> Any:
        """Arrange a ``rows × columns`` array (numbers or objects) like JAX's result."""
        flat = np.asarray(flat)
        starts = np.cumsum([0, *(inp.size for inp in self.inputs)])
        blocks = {
            inp.label: slice(int(a), int(b))
            for inp, a, b in zip(self.inputs, starts[:-1], starts[1:], strict=True)
        }
        if self.kind == "jacobian":
            return _by_argument(
                self.inputs,
                lambda col: flat[:, blocks[col.label]].reshape(self.output_shape + col.shape),
            )
        return _by_argument(
            self.inputs,
            lambda row: _by_argument(
                self.inputs,
                lambda col: flat[blocks[row.label], blocks[col.label]].reshape(
                    row.shape + col.shape
                ),
            ),
        )


@dataclass(frozen=True)
class SymbolicText:
    """A derivative as text for `jaccli symbolic`.

    Attributes:
        result: strings laid out like the derivative (nested lists, keyed by argument when there
            are several), in SymPy syntax (``format="text"``) or LaTeX.
        replacements: common subexpressions, ``(name, expression)`` in the order to compute them;
            empty unless the derivative was large.
        format: ``"text"`` or ``"latex"``.
        simplified: how many entries were simplified.
    """

    result: Any
    replacements: tuple[tuple[str, str], ...]
    format: str
    simplified: int


def _select(inputs: Sequence[SymbolicInput], wrt: Sequence[str]) -> list[SymbolicInput]:
    return [inp for name in wrt for inp in inputs if inp.arg == name]


def _by_argument(inputs: Sequence[SymbolicInput], leaf: Callable[[SymbolicInput], Any]) -> Any:
    """One argument: its value (a dict for a dict argument); several: a dict by argument name."""
    result: dict[str, Any] = {}
    for inp in inputs:
        if not inp.path:
            result[inp.arg] = leaf(inp)
            continue
        target = result.setdefault(inp.arg, {})
        for key in inp.path[:-1]:
            target = target.setdefault(key, {})
        target[inp.path[-1]] = leaf(inp)
    return next(iter(result.values())) if len(result) == 1 else result


def _objects(items: Iterable[Any], shape: Sequence[int]) -> np.ndarray:
    """An object array of ``items``, built entry by entry (NumPy must not look inside them)."""
    items = list(items)
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out.reshape(tuple(shape))


def _make_input(arg: str, path: tuple[Any, ...], shape: tuple[int, ...]) -> SymbolicInput:
    sp = _sp()
    label = arg + "".join(f"[{key!r}]" for key in path)
    if not shape:
        symbols: tuple[Any, ...] = (sp.Symbol(label, real=True),)
    else:
        symbols = tuple(
            sp.Symbol(f"{label}[{', '.join(map(str, idx))}]", real=True)
            for idx in np.ndindex(*shape)
        )
    return SymbolicInput(arg, path, shape, symbols)


# ---------------------------------------------------------------------------------------------
# From a function to SymPy
# ---------------------------------------------------------------------------------------------


def to_sympy(target: Any, wrt: Sequence[str] | None = None) -> SymbolicFunction:
    """The SymPy form of a function: from its expression, or from its traced JAX program.

    Args:
        target: a `Problem` (a function bound to a point, see `jaccli._problem.prepare`), or an
            expression `Function` (no point is needed for an expression).
        wrt: the arguments to differentiate by default; a `Problem` brings its own.

    Returns:
        a `SymbolicFunction`. For a file, the arguments that are not differentiated are
        constants at the point's values; an expression keeps all its inputs symbolic.

    Raises:
        SymbolicUnavailable: a primitive SymPy does not cover, or complex values.
        SymbolicTooLarge: the program or its expressions are beyond the size limits.

    >>> from jaccli._load.loader import from_expression
    >>> sym = to_sympy(from_expression("[x*y, sin(x)]"))
    >>> sym.outputs, sym.symbols
    ((x*y, sin(x)), (x, y))
    """
    with _nesting_guard("the function"):
        from .._load.loader import Function
        from .._problem import Problem

        if isinstance(target, Problem):
            if _is_complex(target.out_dtype):
                raise SymbolicUnavailable("not available: complex outputs")
            if target.function.kind == "expr":
                return _from_expression(target.function, target.wrt, target)
            return _from_program(target)
        if isinstance(target, Function) and target.kind == "expr":
            return _from_expression(target, tuple(wrt) if wrt else target.params, None)
        what = target.source if isinstance(target, Function) else type(target).__name__
        raise UsageError(
            f"the SymPy form of {what} needs a point to trace the function at",
            hint="bind a point first (jaccli._problem.prepare, or --at on the command line)",
        )


def _is_complex(dtype: Any) -> bool:
    try:
        return np.dtype(dtype).kind == "c"
    except TypeError:
        return False


def _point_value(value: Any, label: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind == "c":
        raise SymbolicUnavailable(f"not available: complex inputs ({label})")
    return array


def _from_expression(function: Any, wrt: Sequence[str], problem: Any) -> SymbolicFunction:
    from ..errors import ParseError

    expression = function.expression
    unknown = [name for name in wrt if name not in function.params]
    if unknown:
        raise UsageError(
            f"--wrt names {', '.join(unknown)}, which the expression does not use",
            hint="inputs: " + ", ".join(function.params),
        )
    try:
        body = expression.sympy
    except ParseError as exc:
        raise SymbolicUnavailable(f"not available: {exc.message}") from None
    given = dict(zip(problem.names, problem.values, strict=True)) if problem else {}
    inputs = []
    point: dict[Any, float] = {}
    for item in expression.inputs:
        value = _point_value(given[item.name], item.name) if item.name in given else None
        # A point may hold more entries than the expression reads; the Jacobian still has a
        # column for each (JAX's layout), so the symbols follow the point's shape.
        shape = tuple(value.shape) if value is not None else item.shape
        inp = _make_input(item.name, (), shape)
        inputs.append(inp)
        if value is not None:
            point.update(zip(inp.symbols, (float(v) for v in value.ravel()), strict=True))
    if expression.output_shape:
        outputs = tuple(body[idx] for idx in np.ndindex(*expression.output_shape))
    else:
        outputs = (body,)
    _TreeSizes().check(outputs, "the expression")
    return SymbolicFunction(
        outputs=outputs,
        output_shape=tuple(expression.output_shape),
        inputs=tuple(inputs),
        wrt=tuple(wrt),
        point=point,
        source=function.source,
    )


def _from_program(problem: Any) -> SymbolicFunction:
    import jax

    from .._problem import guard_user_code

    inputs = []
    point: dict[Any, float] = {}
    args = []
    for name, primal in zip(problem.wrt, problem.primals, strict=True):
        for path, leaf in jax.tree_util.tree_flatten_with_path(primal)[0]:
            keys = tuple(_key(k) for k in path)
            value = _point_value(leaf, name)
            inp = _make_input(name, keys, tuple(value.shape))
            inputs.append(inp)
            point.update(zip(inp.symbols, (float(v) for v in value.ravel()), strict=True))
            args.append(_objects(inp.symbols, inp.shape))
    n = sum(inp.size for inp in inputs)
    _check_entries(n * problem.m, "Jacobian", "outputs × inputs")
    with guard_user_code(problem.function), jax.default_device(problem.device):
        try:
            closed = jax.make_jaxpr(problem.call)(*problem.primals)
        except (jax.errors.ConcretizationTypeError, jax.errors.TracerIntegerConversionError):
            raise SymbolicUnavailable(
                "not available: the function cannot be traced (Python control flow or "
                "conversion on traced values)"
            ) from None
    (out,) = _Interpreter().call(closed, args)
    outputs = tuple(out.ravel())
    return SymbolicFunction(
        outputs=outputs,
        output_shape=tuple(out.shape),
        inputs=tuple(inputs),
        wrt=tuple(problem.wrt),
        point=point,
        source=problem.function.source,
    )


def _key(entry: Any) -> Any:
    for attr in ("key", "idx", "name"):
        if hasattr(entry, attr):
            return getattr(entry, attr)
    return str(entry)


# ---------------------------------------------------------------------------------------------
# Size limits
# ---------------------------------------------------------------------------------------------


def _check_entries(entries: int, what: str, how: str) -> None:
    if entries > MAX_ENTRIES:
        raise SymbolicTooLarge(
            f"not available: the symbolic {what} would have {entries:,} entries ({how}), over "
            f"the limit of {MAX_ENTRIES:,}",
            hint="differentiate fewer inputs (--wrt) or " + _HINT,
        )


class _TreeSizes:
    """Nodes and depth of expressions counted as trees, remembered per shared subexpression.

    SymPy shares equal subexpressions, so a program can build an expression whose tree is
    exponentially larger than its memory. SymPy's constructors, printers and `simplify` walk
    the tree; this walks the shared form once.
    """

    def __init__(self) -> None:
        self.known: dict[Any, tuple[int, int]] = {}

    def __call__(self, root: Any) -> tuple[int, int]:
        known = self.known
        found = known.get(root)
        if found is not None:
            return found
        stack = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if node in known:
                continue
            if ready or not node.args:
                size = 1 + sum(known[a][0] for a in node.args)
                depth = 1 + max((known[a][1] for a in node.args), default=0)
                known[node] = (size, depth)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in known)
        return known[root]

    def check(self, exprs: Iterable[Any], what: str, limit: float | None = None) -> None:
        """Refuse an expression beyond ``limit`` (`MAX_EXPRESSION_SIZE`) nodes or `MAX_DEPTH`."""
        limit = MAX_EXPRESSION_SIZE if limit is None else limit
        for expr in exprs:
            size, depth = self(expr)
            if size > limit:
                raise SymbolicTooLarge(
                    f"not available: {what} builds an expression of more than {limit:,} nodes"
                )
            if depth > MAX_DEPTH:
                raise SymbolicTooLarge(
                    f"not available: {what} builds an expression nested more than {MAX_DEPTH} deep"
                )


def tree_size(exprs: Iterable[Any]) -> tuple[int, int]:
    """Total nodes and largest depth of expressions counted as trees, in linear time.

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> tree_size([sympy.sin(x) * sympy.sin(x) + x])
    (6, 4)
    """
    sizes = _TreeSizes()
    total = deepest = 0
    for expr in exprs:
        size, depth = sizes(expr)
        total += size
        deepest = max(deepest, depth)
    return total, deepest


def _distinct(exprs: Iterable[Any]) -> Iterable[Any]:
    """Every distinct subexpression once (a tree walk could take exponential time)."""
    seen: set[Any] = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            yield node
            stack.extend(node.args)


# ---------------------------------------------------------------------------------------------
# The interpreter of traced programs
# ---------------------------------------------------------------------------------------------


def _number(value: Any, kind: str) -> Any:
    """A SymPy number for one entry of a constant, exactly (floats as rationals)."""
    sp = _sp()
    if kind == "b":
        return sp.true if bool(value) else sp.false
    if kind in "iu":
        return sp.Integer(int(value))
    if kind == "c":
        z = complex(value)
        return _real_number(z.real) + sp.I * _real_number(z.imag)
    if kind == "f":
        return _real_number(float(value))
    raise SymbolicUnavailable(f"not available: constants of type {kind!r}")


def _real_number(v: float) -> Any:
    sp = _sp()
    if math.isnan(v):
        return sp.nan
    if math.isinf(v):
        return sp.oo if v > 0 else -sp.oo
    # The exact value of the double: SymPy combines Floats at 53 bits, rounding where the
    # program does not. `to_text` shows it as 0.7 again.
    return sp.Rational(*v.as_integer_ratio())


def _constant(array: Any) -> np.ndarray:
    array = np.asarray(array)
    if array.size > MAX_ARRAY:
        raise SymbolicTooLarge(
            f"not available: a constant of {array.size:,} entries, over the limit of {MAX_ARRAY:,}"
        )
    try:
        kind = array.dtype.kind
    except TypeError:
        raise SymbolicUnavailable(f"not available: constants of type {array.dtype}") from None
    return _objects((_number(v, kind) for v in array.ravel()), array.shape)


def _is_constant(entry: Any) -> bool:
    return not entry.free_symbols


def _integers(array: np.ndarray, what: str) -> np.ndarray:
    """The integer values of an index array, which must not depend on the inputs."""
    if not all(_is_constant(e) and e.is_Integer for e in array.ravel()):
        raise SymbolicUnavailable(f"not available: {what} with an index that depends on the input")
    out = np.zeros(array.shape, dtype=np.int64)
    for idx in np.ndindex(*array.shape):
        out[idx] = int(array[idx])
    return out


def _elementwise(fn: Callable[..., Any], *arrays: np.ndarray) -> np.ndarray:
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    flat = [np.broadcast_to(a, shape).ravel() for a in arrays]
    return _objects((fn(*entries) for entries in zip(*flat, strict=True)), shape)


def _kind(var: Any) -> str:
    try:
        return np.dtype(var.aval.dtype).kind
    except TypeError:
        raise SymbolicUnavailable(f"not available: values of type {var.aval.dtype}") from None


_CALLS = (
    "jit",
    "pjit",
    "closed_call",
    "core_call",
    "remat",
    "remat2",
    "checkpoint",
    "custom_jvp_call",
    "custom_vjp_call",
    "custom_vjp_call_jaxpr",
)
_IDENTITY = (
    "stop_gradient",
    "copy",
    "copy_p",
    "reduce_precision",
    "optimization_barrier",
    "sharding_constraint",
    "pvary",
)

_INTEGER_SEMANTICS = frozenset(
    ("div", "rem", "pow", "integer_pow", "convert_element_type", "not", "and", "or", "xor")
)

_Rule = Callable[["_Interpreter", Any, list[np.ndarray]], list[np.ndarray]]
_RULES: dict[str, _Rule] = {}


def _rule(*names: str) -> Callable[[_Rule], _Rule]:
    def register(fn: _Rule) -> _Rule:
        for name in names:
            _RULES[name] = fn
        return fn

    return register


class _Interpreter:
    """Runs a jaxpr over object arrays of SymPy expressions, counting its work."""

    def __init__(self) -> None:
        self.equations = 0
        self.work = 0
        self.sizes = _TreeSizes()
        self._consts: dict[int, tuple[Any, np.ndarray]] = {}

    def call(self, program: Any, args: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run a `ClosedJaxpr` (or an open `Jaxpr`) on ``args``."""
        if hasattr(program, "consts"):
            consts = [self._constant(c) for c in program.consts]
            program = program.jaxpr
        else:
            consts = []
        return self.run(program, consts, args)

    def _constant(self, value: Any) -> np.ndarray:
        cached = self._consts.get(id(value))
        if cached is None or cached[0] is not value:
            cached = (value, _constant(value))
            self._consts[id(value)] = cached
        return cached[1]

    def run(
        self, jaxpr: Any, consts: Sequence[np.ndarray], args: Sequence[np.ndarray]
    ) -> list[np.ndarray]:
        from jax.extend import core

        env: dict[Any, np.ndarray] = {}

        def read(atom: Any) -> np.ndarray:
            if isinstance(atom, core.Literal):
                return _constant(np.asarray(atom.val, dtype=atom.aval.dtype))
            return env[atom]

        env.update(zip(jaxpr.constvars, consts, strict=True))
        env.update(zip(jaxpr.invars, args, strict=True))
        for eqn in jaxpr.eqns:
            self._count(eqn)
            outs = self.apply(eqn, [read(v) for v in eqn.invars])
            for var, value in zip(eqn.outvars, outs, strict=True):
                if not isinstance(var, core.DropVar):
                    # Checked as they are built: SymPy's constructors walk expressions as
                    # trees, so a nested program slows down long before it ends.
                    self.sizes.check(value.ravel(), f"the traced program ({eqn.primitive.name})")
                    env[var] = value
        return [read(v) for v in jaxpr.outvars]

    def _count(self, eqn: Any) -> None:
        self.equations += 1
        if self.equations > MAX_EQUATIONS:
            raise SymbolicTooLarge(
                f"not available: the traced program runs more than {MAX_EQUATIONS:,} equations "
                "(loops unrolled)"
            )
        for var in eqn.outvars:
            size = math.prod(getattr(var.aval, "shape", ()))
            if size > MAX_ARRAY:
                raise SymbolicTooLarge(
                    f"not available: {eqn.primitive.name} makes an array of {size:,} entries, "
                    f"over the limit of {MAX_ARRAY:,}"
                )
            self.add_work(size)

    def add_work(self, amount: int) -> None:
        self.work += amount
        if self.work > MAX_WORK:
            raise SymbolicTooLarge(
                f"not available: the traced program needs more than {MAX_WORK:,} scalar "
                "operations in SymPy"
            )

    def apply(self, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
        name = eqn.primitive.name
        rule = _RULES.get(name)
        # A primitive without a rule, or integer arithmetic whose meaning differs from SymPy's
        # (truncating division, bitwise logic, casts), is left to JAX itself when its operands
        # are constants: index arithmetic, masks, sorting a constant table.
        by_jax = rule is None or (name in _INTEGER_SEMANTICS and not _inexact(eqn))
        if (
            by_jax
            and not _has_program(eqn)
            and all(_is_constant(e) for a in args for e in a.ravel())
        ):
            return _bind_constants(eqn, args)
        if rule is None:
            raise SymbolicUnavailable(f"not available: {name}")
        try:
            return rule(self, eqn, args)
        except (TypeError, ValueError, AttributeError) as exc:
            raise SymbolicUnavailable(f"not available: {name} ({exc})") from None


def _inexact(eqn: Any) -> bool:
    return all(_kind(var) in "fc" for var in eqn.outvars)


def _has_program(eqn: Any) -> bool:
    return eqn.primitive.name in _CALLS or any(
        hasattr(v, "eqns")
        or hasattr(v, "jaxpr")
        or (isinstance(v, tuple) and v and hasattr(v[0], "jaxpr"))
        for v in eqn.params.values()
    )


def _to_numpy(array: np.ndarray, var: Any) -> np.ndarray:
    dtype = np.dtype(var.aval.dtype)
    convert: Callable[[Any], Any] = {"b": bool, "i": int, "u": int, "c": complex}.get(
        dtype.kind, float
    )
    out = np.empty(array.shape, dtype=dtype)
    for idx in np.ndindex(*array.shape):
        out[idx] = convert(array[idx])
    return out


def _bind_constants(eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    values = [_to_numpy(a, v) for a, v in zip(args, eqn.invars, strict=True)]
    try:
        outs = eqn.primitive.bind(*values, **eqn.params)
    except Exception as exc:
        raise SymbolicUnavailable(f"not available: {eqn.primitive.name} ({exc})") from None
    if not eqn.primitive.multiple_results:
        outs = [outs]
    return [_constant(np.asarray(o)) for o in outs]


# --- elementwise ------------------------------------------------------------------------------


@functools.cache
def _step_functions() -> tuple[Any, Any]:
    """floor and ceiling with the derivative JAX gives them, zero (SymPy leaves it unevaluated).

    ``trunc``, ``round`` and casts to integers are built from them.
    """
    sp = _sp()

    class floor(sp.floor):
        def fdiff(self, argindex: int = 1) -> Any:
            return sp.S.Zero

    class ceiling(sp.ceiling):
        def fdiff(self, argindex: int = 1) -> Any:
            return sp.S.Zero

    return floor, ceiling


def _trunc(u: Any) -> Any:
    sp = _sp()
    floor, _ = _step_functions()
    return sp.sign(u) * floor(sp.Abs(u))


@functools.cache
def _unary() -> dict[str, Callable[[Any], Any]]:
    sp = _sp()
    floor, ceiling = _step_functions()
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
def _binary() -> dict[str, Callable[[Any, Any], Any]]:
    sp = _sp()
    return {
        "add": lambda a, b: a + b,
        "add_any": lambda a, b: a + b,
        "sub": lambda a, b: a - b,
        "mul": lambda a, b: a * b,
        "div": lambda a, b: a / b,
        "pow": lambda a, b: a**b,
        "max": sp.Max,
        "min": sp.Min,
        "atan2": sp.atan2,
        "rem": lambda a, b: a - b * _trunc(a / b),
        "complex": lambda a, b: a + sp.I * b,
        "and": sp.And,
        "or": sp.Or,
        "xor": sp.Xor,
        "eq": _comparison(sp.Eq, sp.false),
        "ne": _comparison(sp.Ne, sp.true),
        "lt": _comparison(sp.Lt, sp.false),
        "le": _comparison(sp.Le, sp.false),
        "gt": _comparison(sp.Gt, sp.false),
        "ge": _comparison(sp.Ge, sp.false),
    }


def _comparison(relation: Any, with_nan: Any) -> Callable[[Any, Any], Any]:
    """A SymPy relation that, like IEEE comparisons, is decided when a NaN constant is in it."""
    sp = _sp()

    def compare(a: Any, b: Any) -> Any:
        return with_nan if a is sp.nan or b is sp.nan else relation(a, b)

    return compare


def _elementwise_rule(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    name = eqn.primitive.name
    if name in _INTEGER_SEMANTICS and _kind(eqn.outvars[0]) in "iu":
        # Constant operands went to JAX (see `_Interpreter.apply`); these depend on the input.
        raise SymbolicUnavailable(
            f"not available: integer {name} of values that depend on the input"
        )
    if len(args) == 1:
        return [_elementwise(_unary()[name], args[0])]
    return [_elementwise(_binary()[name], *args)]


# fmt: off
_UNARY_NAMES = [
    "exp", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh",
    "atanh", "sqrt", "sign", "erf", "erfc", "neg", "abs", "log", "log1p", "expm1", "exp2",
    "rsqrt", "cbrt", "logistic", "square", "erf_inv", "lgamma", "digamma", "floor", "ceil",
    "real", "imag", "conj", "not",
]
# fmt: on
# fmt: off
_BINARY_NAMES = [
    "add", "add_any", "sub", "mul", "div", "pow", "max", "min", "atan2", "rem", "complex", "and",
    "or", "xor", "eq", "ne", "lt", "le", "gt", "ge",
]
# fmt: on
_rule(*_UNARY_NAMES, *_BINARY_NAMES)(_elementwise_rule)


@_rule("integer_pow")
def _integer_pow(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    y = int(eqn.params["y"])
    return [_elementwise(lambda a: a**y, args[0])]


@_rule("is_finite")
def _is_finite(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    # Values that depend on the inputs are taken to be finite: where they are not, there is
    # no derivative to check.
    sp = _sp()

    def finite(a: Any) -> Any:
        return sp.true if not _is_constant(a) or a.is_finite else sp.false

    return [_elementwise(finite, args[0])]


@_rule("debug_callback", "debug_print")
def _no_output(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    # jax.debug.print and friends: a side effect, no value.
    if eqn.outvars:
        raise SymbolicUnavailable(f"not available: {eqn.primitive.name} with results")
    return []


@_rule("clamp")
def _clamp(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    sp = _sp()
    return [_elementwise(lambda lo, x, hi: sp.Min(sp.Max(x, lo), hi), *args)]


@_rule("convert_element_type")
def _convert(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    sp = _sp()
    source, target = _kind(eqn.invars[0]), _kind(eqn.outvars[0])
    if source == "b" and target != "b":
        return [_elementwise(lambda b: sp.Piecewise((1, b), (0, True)), args[0])]
    if target == "b":
        return [_elementwise(lambda a: sp.Ne(a, 0), args[0])]
    if source == "c" and target != "c":
        return [_elementwise(sp.re, args[0])]
    if source in "fc" and target in "iu":
        return [_elementwise(_trunc, args[0])]  # C's cast: toward zero
    return [args[0]]


@_rule("round")
def _round(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    sp = _sp()
    floor, _ = _step_functions()
    half = sp.Rational(1, 2)

    def away_from_zero(a: Any) -> Any:
        return sp.sign(a) * floor(sp.Abs(a) + half)

    def to_nearest_even(a: Any) -> Any:
        up = floor(a + half)
        tie = sp.And(sp.Eq(a + half, up), sp.Eq(sp.Mod(up, 2), 1))
        return sp.Piecewise((up - 1, tie), (up, True))

    even = int(eqn.params.get("rounding_method", 0)) == 1
    return [_elementwise(to_nearest_even if even else away_from_zero, args[0])]


def _pairs(index: Any, count: int) -> list[tuple[int, Any]]:
    """(case, condition) pairs in order for a boolean or integer selector; the last is True."""
    sp = _sp()
    if index is sp.true or index is sp.false:
        return [(int(bool(index)), sp.true)]
    if getattr(index, "is_Integer", False):
        return [(min(max(int(index), 0), count - 1), sp.true)]
    if isinstance(index, sp.logic.boolalg.Boolean):
        return [(1, index), (0, sp.true)]
    if isinstance(index, sp.Piecewise) and all(v.is_Integer for v, _ in index.args):
        return [(min(max(int(v), 0), count - 1), c) for v, c in index.args]
    return [(k, sp.Eq(index, k)) for k in range(count - 1)] + [(count - 1, sp.true)]


def _choose(pairs: list[tuple[Any, Any]], boolean: bool) -> Any:
    sp = _sp()
    if pairs[0][1] is sp.true:
        return pairs[0][0]
    if boolean:
        result = pairs[-1][0]
        for value, cond in reversed(pairs[:-1]):
            result = sp.ITE(cond, value, result)
        return result
    return sp.Piecewise(*pairs)


@_rule("select_n")
def _select_n(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    boolean = _kind(eqn.outvars[0]) == "b"
    count = len(args) - 1

    def select(index: Any, *cases: Any) -> Any:
        return _choose([(cases[k], c) for k, c in _pairs(index, count)], boolean)

    return [_elementwise(select, *args)]


@_rule(*_IDENTITY)
def _identity(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return list(args)


@_rule("platform_index")
def _platform_index(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    # Platform-dependent branches compute the same function; the first stands for all.
    return [_constant(np.zeros((), dtype=eqn.outvars[0].aval.dtype))]


# --- shapes -----------------------------------------------------------------------------------


@_rule("broadcast_in_dim")
def _broadcast_in_dim(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    shape = tuple(eqn.params["shape"])
    expanded = [1] * len(shape)
    for axis, dim in zip(eqn.params["broadcast_dimensions"], args[0].shape, strict=True):
        expanded[axis] = dim
    return [np.broadcast_to(args[0].reshape(expanded), shape).copy()]


@_rule("reshape")
def _reshape(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    x = args[0]
    if eqn.params.get("dimensions") is not None:
        x = x.transpose(eqn.params["dimensions"])
    return [x.reshape(tuple(eqn.params["new_sizes"]))]


@_rule("squeeze")
def _squeeze(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [args[0].reshape(eqn.outvars[0].aval.shape)]


@_rule("expand_dims")
def _expand_dims(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [args[0].reshape(eqn.outvars[0].aval.shape)]


@_rule("transpose")
def _transpose(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [args[0].transpose(eqn.params["permutation"])]


@_rule("rev")
def _rev(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [np.flip(args[0], axis=tuple(eqn.params["dimensions"])).copy()]


@_rule("slice")
def _slice(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    p = eqn.params
    strides = p["strides"] or (1,) * len(p["start_indices"])
    index = tuple(
        slice(a, b, s)
        for a, b, s in zip(p["start_indices"], p["limit_indices"], strides, strict=True)
    )
    return [args[0][index].copy()]


@_rule("concatenate")
def _concatenate(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [np.concatenate(args, axis=eqn.params["dimension"])]


@_rule("stack")
def _stack(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [np.stack(args, axis=eqn.params["axis"])]


@_rule("tile")
def _tile(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    return [np.tile(args[0], tuple(eqn.params["reps"]))]


@_rule("split")
def _split(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    cuts = np.cumsum([int(s) for s in eqn.params["sizes"]])[:-1]
    return [part.copy() for part in np.split(args[0], cuts, axis=eqn.params["axis"])]


@_rule("pad")
def _pad(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    x, fill = args[0], args[1][()]
    for axis, (low, high, interior) in enumerate(eqn.params["padding_config"]):
        moved = np.moveaxis(x, axis, 0)
        n = moved.shape[0]
        length = n + max(n - 1, 0) * interior
        grown = np.full((length, *moved.shape[1:]), fill, dtype=object)
        grown[:: interior + 1] = moved
        rest = moved.shape[1:]
        if low > 0:
            grown = np.concatenate([np.full((low, *rest), fill, dtype=object), grown])
        elif low < 0:
            grown = grown[-low:]
        if high > 0:
            grown = np.concatenate([grown, np.full((high, *rest), fill, dtype=object)])
        elif high < 0:
            grown = grown[: grown.shape[0] + high]
        x = np.moveaxis(grown, 0, axis)
    return [x.copy()]


@_rule("iota")
def _iota(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    p = eqn.params
    shape = tuple(p["shape"])
    values = np.indices(shape)[p["dimension"]] if shape else np.zeros(())
    return [_constant(values.astype(p["dtype"]))]


def _starts(args: Sequence[np.ndarray], shape: Sequence[int], sizes: Sequence[int], what: str):
    starts = [int(_integers(a, what)[()]) for a in args]
    # Like XLA: start indices are clamped so that the whole window lies inside the operand.
    return [min(max(s, 0), d - n) for s, d, n in zip(starts, shape, sizes, strict=True)]


@_rule("dynamic_slice")
def _dynamic_slice(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    x = args[0]
    sizes = eqn.params["slice_sizes"]
    starts = _starts(args[1:], x.shape, sizes, "dynamic_slice")
    index = tuple(slice(s, s + n) for s, n in zip(starts, sizes, strict=True))
    return [x[index].copy()]


@_rule("dynamic_update_slice")
def _dynamic_update_slice(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    x, update = args[0].copy(), args[1]
    starts = _starts(args[2:], x.shape, update.shape, "dynamic_update_slice")
    x[tuple(slice(s, s + n) for s, n in zip(starts, update.shape, strict=True))] = update
    return [x]


def _fill(eqn: Any) -> Any:
    sp = _sp()
    value = eqn.params.get("fill_value")
    kind = _kind(eqn.outvars[0])
    if value is not None:
        return _number(value, kind)
    if kind in "fc":
        return sp.nan
    dtype = np.dtype(eqn.outvars[0].aval.dtype)
    if kind == "b":
        return sp.true
    return sp.Integer(np.iinfo(dtype).min if kind == "i" else np.iinfo(dtype).max)


@_rule("gather")
def _gather(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    operand, indices = args[0], _integers(args[1], "gather")
    dn = eqn.params["dimension_numbers"]
    if dn.operand_batching_dims or dn.start_indices_batching_dims:
        raise SymbolicUnavailable("not available: gather with batching dimensions")
    sizes = eqn.params["slice_sizes"]
    drop = "FILL_OR_DROP" in str(eqn.params["mode"])
    out_shape = tuple(eqn.outvars[0].aval.shape)
    batch_dims = [d for d in range(len(out_shape)) if d not in dn.offset_dims]
    window = [d for d in range(operand.ndim) if d not in dn.collapsed_slice_dims]
    fill = _fill(eqn) if drop else None
    out = np.empty(out_shape, dtype=object)
    self.add_work(out.size)
    for out_idx in np.ndindex(*out_shape):
        vector = indices[tuple(out_idx[d] for d in batch_dims)]
        start = [0] * operand.ndim
        for k, d in enumerate(dn.start_index_map):
            start[d] = int(vector[k])
        inside = all(
            0 <= s <= dim - n for s, dim, n in zip(start, operand.shape, sizes, strict=True)
        )
        if drop and not inside:
            out[out_idx] = fill
            continue
        start = [
            min(max(s, 0), dim - n) for s, dim, n in zip(start, operand.shape, sizes, strict=True)
        ]
        for d, offset in zip(window, (out_idx[d] for d in dn.offset_dims), strict=True):
            start[d] += offset
        out[out_idx] = operand[tuple(start)]
    return [out]


@_rule(
    "scatter",
    "scatter-add",
    "scatter_add",
    "scatter-mul",
    "scatter_mul",
    "scatter-min",
    "scatter_min",
    "scatter-max",
    "scatter_max",
)
def _scatter(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    sp = _sp()
    operand, indices, updates = args[0].copy(), _integers(args[1], "scatter"), args[2]
    dn = eqn.params["dimension_numbers"]
    if dn.operand_batching_dims or dn.scatter_indices_batching_dims:
        raise SymbolicUnavailable("not available: scatter with batching dimensions")
    combine = {
        "scatter": lambda old, new: new,
        "add": lambda old, new: old + new,
        "mul": lambda old, new: old * new,
        "min": sp.Min,
        "max": sp.Max,
    }[eqn.primitive.name.replace("_", "-").split("-")[-1]]
    clip = "CLIP" in str(eqn.params["mode"])
    scatter_dims = [d for d in range(updates.ndim) if d not in dn.update_window_dims]
    window = [d for d in range(operand.ndim) if d not in dn.inserted_window_dims]
    sizes = [1] * operand.ndim
    for d, u in zip(window, dn.update_window_dims, strict=True):
        sizes[d] = updates.shape[u]
    self.add_work(updates.size)
    for upd_idx in np.ndindex(*updates.shape):
        vector = indices[tuple(upd_idx[d] for d in scatter_dims)]
        start = [0] * operand.ndim
        for k, d in enumerate(dn.scatter_dims_to_operand_dims):
            start[d] = int(vector[k])
        if clip:
            start = [
                min(max(s, 0), dim - n)
                for s, dim, n in zip(start, operand.shape, sizes, strict=True)
            ]
        elif not all(
            0 <= s <= dim - n for s, dim, n in zip(start, operand.shape, sizes, strict=True)
        ):
            continue  # XLA drops an update whose window does not fit
        for d, u in zip(window, dn.update_window_dims, strict=True):
            start[d] += upd_idx[u]
        target = tuple(start)
        operand[target] = combine(operand[target], updates[upd_idx])
    return [operand]


# --- contractions and reductions -------------------------------------------------------------


@_rule("dot_general")
def _dot_general(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    sp = _sp()
    lhs, rhs = args
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lc, rc, lb, rb = (list(map(int, d)) for d in (lc, rc, lb, rb))
    lf = [d for d in range(lhs.ndim) if d not in lc and d not in lb]
    rf = [d for d in range(rhs.ndim) if d not in rc and d not in rb]
    batch = [lhs.shape[d] for d in lb]
    k = math.prod(lhs.shape[d] for d in lc)
    left = lhs.transpose(lb + lf + lc).reshape(math.prod(batch), -1, k)
    right = rhs.transpose(rb + rc + rf).reshape(math.prod(batch), k, -1)
    self.add_work(left.shape[0] * left.shape[1] * right.shape[2] * max(k, 1))
    out = np.empty((left.shape[0], left.shape[1], right.shape[2]), dtype=object)
    for b, i, j in np.ndindex(*out.shape):
        out[b, i, j] = sp.Add(*(left[b, i, t] * right[b, t, j] for t in range(k)))
    shape = tuple(batch) + tuple(lhs.shape[d] for d in lf) + tuple(rhs.shape[d] for d in rf)
    return [out.reshape(shape)]


def _reduce(x: np.ndarray, axes: Sequence[int], combine: Callable[..., Any]) -> np.ndarray:
    axes = [int(a) for a in axes]
    keep = [d for d in range(x.ndim) if d not in axes]
    rows = math.prod(x.shape[d] for d in keep)
    flat = x.transpose(keep + axes).reshape(rows, math.prod(x.shape[d] for d in axes))
    return _objects((combine(*row) for row in flat), [x.shape[d] for d in keep])


@_rule("reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_and", "reduce_or")
def _reduce_rule(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    sp = _sp()
    combine = {
        "reduce_sum": sp.Add,
        "reduce_prod": sp.Mul,
        "reduce_max": sp.Max,
        "reduce_min": sp.Min,
        "reduce_and": sp.And,
        "reduce_or": sp.Or,
    }[eqn.primitive.name]
    self.add_work(args[0].size)
    return [_reduce(args[0], eqn.params["axes"], combine)]


@_rule("cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp")
def _cumulative(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    sp = _sp()
    name = eqn.primitive.name
    axis, reverse = eqn.params["axis"], eqn.params["reverse"]
    x = np.moveaxis(args[0], axis, -1)
    if reverse:
        x = x[..., ::-1]
    out = np.empty(x.shape, dtype=object)
    self.add_work(x.size * max(x.shape[-1], 1))
    for idx in np.ndindex(*x.shape[:-1]):
        row = list(x[idx])
        for k in range(len(row)):
            part = row[: k + 1]
            if name == "cumsum":
                value = sp.Add(*part)
            elif name == "cumprod":
                value = sp.Mul(*part)
            elif name == "cummax":
                value = sp.Max(*part)
            elif name == "cummin":
                value = sp.Min(*part)
            else:
                value = sp.log(sp.Add(*(sp.exp(p) for p in part)))
            out[(*idx, k)] = value
    if reverse:
        out = out[..., ::-1]
    return [np.moveaxis(out, -1, axis).copy()]


# --- inner programs ---------------------------------------------------------------------------


def _program(eqn: Any) -> Any:
    for key in ("call_jaxpr", "fun_jaxpr", "jaxpr"):
        if key in eqn.params:
            return eqn.params[key]
    raise SymbolicUnavailable(f"not available: {eqn.primitive.name} (no inner program found)")


@_rule(*_CALLS)
def _call(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    # For custom_jvp_call and custom_vjp_call this is the primal program: the custom rule is
    # what a check examines, so the reference must not use it.
    return self.call(_program(eqn), args)


@_rule("scan")
def _scan(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    p = eqn.params
    consts, rest = list(args[: p["num_consts"]]), args[p["num_consts"] :]
    carry, xs = list(rest[: p["num_carry"]]), rest[p["num_carry"] :]
    length = int(p["length"])
    steps: list[list[np.ndarray]] = [[] for _ in range(length)]
    for t in reversed(range(length)) if p["reverse"] else range(length):
        outs = self.call(p["jaxpr"], consts + carry + [x[t, ...] for x in xs])
        carry, steps[t] = outs[: p["num_carry"]], outs[p["num_carry"] :]
    ys_vars = eqn.outvars[p["num_carry"] :]
    ys = [
        np.stack([steps[t][k] for t in range(length)])
        if length
        else np.empty(tuple(var.aval.shape), dtype=object)
        for k, var in enumerate(ys_vars)
    ]
    return carry + ys


@_rule("while")
def _while(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    sp = _sp()
    p = eqn.params
    cond_consts = list(args[: p["cond_nconsts"]])
    body_consts = list(args[p["cond_nconsts"] : p["cond_nconsts"] + p["body_nconsts"]])
    carry = list(args[p["cond_nconsts"] + p["body_nconsts"] :])
    while True:
        (flag,) = self.call(p["cond_jaxpr"], cond_consts + carry)
        value = flag[()]
        if value is not sp.true and value is not sp.false:
            raise SymbolicUnavailable(
                "not available: while (the loop condition depends on the input)"
            )
        if value is sp.false:
            return carry
        carry = self.call(p["body_jaxpr"], body_consts + carry)


@_rule("cond")
def _cond(self: _Interpreter, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    branches = eqn.params["branches"]
    index, operands = args[0][()], list(args[1:])
    pairs = _pairs(index, len(branches))
    results = {k: self.call(branches[k], operands) for k, _ in pairs}
    outs = []
    for position, var in enumerate(eqn.outvars):
        boolean = _kind(var) == "b"
        arrays = [results[k][position] for k, _ in pairs]

        def pick(*entries: Any, boolean: bool = boolean) -> Any:
            return _choose([(e, c) for e, (_, c) in zip(entries, pairs, strict=True)], boolean)

        outs.append(_elementwise(pick, *arrays))
    return outs


def covered_primitives() -> tuple[str, ...]:
    """The JAX primitives the interpreter translates (others work only on constants).

    >>> {"dot_general", "select_n", "custom_jvp_call"} <= set(covered_primitives())
    True
    """
    return tuple(sorted(_RULES))


# ---------------------------------------------------------------------------------------------
# Derivatives
# ---------------------------------------------------------------------------------------------


class _Differentiator:
    """SymPy's differentiation rules, with each shared subexpression differentiated once.

    `Expr.diff` walks an expression as a tree, so a subexpression shared by many outputs (a sum
    in a softmax, a hidden layer) is differentiated again for every entry of the Jacobian. Here
    sums, products, powers, `Piecewise`, `Abs`, `sign` and functions defined by their `fdiff`
    (exp, sin, Max, ...) follow SymPy's own formulas, remembered per (subexpression, symbol);
    anything else is left to `Expr.diff`.
    """

    def __init__(self, what: str) -> None:
        from sympy.functions.elementary.miscellaneous import MinMaxBase

        self.sp = _sp()
        self.chain_rule = {self.sp.Function._eval_derivative, MinMaxBase._eval_derivative}
        self.free: dict[Any, frozenset[Any]] = {}
        self.memo: dict[tuple[Any, Any], Any] = {}
        self.what = what
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
                f"not available: {self.what} needs more than {MAX_DIFFERENTIATION:,} SymPy "
                "operations to differentiate",
                hint="differentiate fewer inputs (--wrt) or " + _HINT,
            )

    def symbols_of(self, expr: Any) -> frozenset[Any]:
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
        if isinstance(expr, sp.Function) and type(expr)._eval_derivative in self.chain_rule:
            from sympy.core.function import ArgumentIndexError

            terms = []
            for i, arg in enumerate(expr.args, 1):
                da = self(arg, s)
                if da is zero:
                    continue
                try:
                    outer = expr.fdiff(i)
                except ArgumentIndexError:
                    outer = sp.Function.fdiff(expr, i)
                terms.append(outer * da)
            return sp.Add(*terms)
        return expr.diff(s)


def _inputs_for(
    sym: SymbolicFunction, wrt: Sequence[str] | str | None
) -> tuple[SymbolicInput, ...]:
    names = (wrt,) if isinstance(wrt, str) else tuple(wrt) if wrt else sym.wrt
    known = list(dict.fromkeys(inp.arg for inp in sym.inputs))
    unknown = [name for name in names if name not in known]
    if unknown:
        raise UsageError(
            f"--wrt names {', '.join(unknown)}, which is not a symbolic input of {sym.source}",
            hint="inputs: " + ", ".join(known),
        )
    return tuple(_select(sym.inputs, names))


def _check_derivative(entries: list[Any], what: str) -> None:
    sp = _sp()
    _TreeSizes().check(entries, what, limit=math.inf)
    for node in _distinct(entries):
        if isinstance(node, sp.Derivative):
            name = getattr(node.expr.func, "__name__", str(node.expr.func))
            raise SymbolicUnavailable(f"not available: SymPy cannot differentiate {name}")


def jacobian(sym: SymbolicFunction, wrt: Sequence[str] | str | None = None) -> SymbolicDerivative:
    """The symbolic Jacobian: one row per output entry, one column per input entry.

    Args:
        sym: the function, from `to_sympy`.
        wrt: the arguments to differentiate; default ``sym.wrt``.

    Raises:
        SymbolicTooLarge: more than `MAX_ENTRIES` entries, or expressions beyond the limits.
        SymbolicUnavailable: SymPy leaves a derivative unevaluated.

    >>> from jaccli._load.loader import from_expression
    >>> jacobian(to_sympy(from_expression("[x*y, sin(x)]"))).matrix
    Matrix([
    [     y, x],
    [cos(x), 0]])
    """
    with _nesting_guard("the Jacobian"):
        sp = _sp()
        inputs = _inputs_for(sym, wrt)
        symbols = [s for inp in inputs for s in inp.symbols]
        _check_entries(len(sym.outputs) * len(symbols), "Jacobian", "outputs × inputs")
        d = _Differentiator("the Jacobian")
        entries = [d(out, s) for out in sym.outputs for s in symbols]
        _check_derivative(entries, "the Jacobian")
        matrix = sp.ImmutableMatrix(len(sym.outputs), len(symbols), entries)
        return SymbolicDerivative(matrix, "jacobian", sym.output_shape, inputs, sym.point)


def hessian(sym: SymbolicFunction, wrt: Sequence[str] | str | None = None) -> SymbolicDerivative:
    """The symbolic Hessian of a scalar-valued function: inputs × inputs.

    >>> from jaccli._load.loader import from_expression
    >>> hessian(to_sympy(from_expression("x**3*y"))).matrix.tolist()
    [[6*x*y, 3*x**2], [3*x**2, 0]]
    """
    sp = _sp()
    if sym.output_shape != ():
        raise ShapeError(
            f"a Hessian needs a scalar-valued function, but {sym.source} returns shape "
            f"{sym.output_shape}",
            hint="use the Jacobian for vector outputs",
        )
    with _nesting_guard("the Hessian"):
        inputs = _inputs_for(sym, wrt)
        symbols = [s for inp in inputs for s in inp.symbols]
        n = len(symbols)
        _check_entries(n * n, "Hessian", "inputs × inputs")
        d = _Differentiator("the Hessian")
        gradient = [d(sym.outputs[0], s) for s in symbols]
        rows = [[sp.S.Zero] * n for _ in range(n)]
        for i, g in enumerate(gradient):
            for j in range(i, n):
                rows[i][j] = rows[j][i] = d(g, symbols[j])
        entries = [e for row in rows for e in row]
        _check_derivative(entries, "the Hessian")
        matrix = sp.ImmutableMatrix(n, n, entries)
        return SymbolicDerivative(matrix, "hessian", (), inputs, sym.point)


def reference_jacobian(problem: Any, digits: int = DIGITS) -> Any:
    """The SymPy Jacobian of a bound problem at its point, float64, laid out like JAX's."""
    return jacobian(to_sympy(problem)).evaluate(digits=digits)


def reference_hessian(problem: Any, digits: int = DIGITS) -> Any:
    """The SymPy Hessian of a bound scalar problem at its point, float64, laid out like JAX's."""
    return hessian(to_sympy(problem)).evaluate(digits=digits)


# ---------------------------------------------------------------------------------------------
# Evaluation at a point
# ---------------------------------------------------------------------------------------------


def evaluate(exprs: Any, values: Mapping[Any, Any], digits: int = DIGITS) -> np.ndarray:
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

    >>> import sympy
    >>> x = sympy.Symbol("x", real=True)
    >>> float(evaluate(sympy.exp(x) - 1, {x: 1e-10}))
    1.00000000005e-10
    >>> evaluate([sympy.log(x), 1 / x], {x: 0.0}).tolist()
    [nan, nan]
    """
    sp = _sp()
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
    with _nesting_guard("evaluating the SymPy reference"):
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
        evaluator = _Evaluator({s: _exact(v, s) for s, v in point.items()}, dps)
        return np.array([evaluator.to_float(evaluator(e)) for e in flat], dtype=np.float64)


def _exact(value: Any, symbol: Any) -> Any:
    import mpmath

    number = np.asarray(value).item()
    if isinstance(number, complex):
        raise SymbolicUnavailable(f"not available: complex value for {symbol}")
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


class _Evaluator:
    """Values of SymPy expressions in mpmath, each shared subexpression computed once."""

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
        value = self(cond)
        return value if isinstance(value, bool) else None

    def to_float(self, value: Any) -> float:
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
        sp, mp = _sp(), self.mp
        if expr is sp.true or expr is sp.false:
            return bool(expr)
        if expr.is_Number:
            if expr.is_Rational:
                return mp.mpf(expr.p) / expr.q
            if expr.is_Float:
                return mp.mpf(expr._mpf_)
            if expr is sp.oo:
                return mp.inf
            if expr is sp.S.NegativeInfinity:
                return -mp.inf
            return self.nan
        if expr is sp.I:
            return mp.mpc(0, 1)
        if expr.is_NumberSymbol:
            return mp.mpf(expr.evalf(self.dps + 10)._mpf_)
        name = type(expr).__name__
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
        if name in ("And", "Or", "Not", "Xor"):
            truths = [self.truth(a) for a in expr.args]
            if None in truths:
                return self.nan
            if name == "And":
                return all(truths)
            if name == "Or":
                return any(truths)
            return (not truths[0]) if name == "Not" else sum(truths) % 2 == 1
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
        if name in _REAL_FUNCTIONS or name in _RENAMED:
            return self._real(args, getattr(mp, _RENAMED.get(name, name))(*args))
        if name == "log":
            return self._real(args, mp.log(*args))
        if name in ("re", "im", "arg"):
            return getattr(mp, name)(args[0])
        if name == "Abs":
            return abs(args[0])
        if name == "atan2":
            return mp.atan2(*args)
        if name == "polygamma":
            return self._real(args, mp.polygamma(*args))
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
        sp, mp = _sp(), self.mp
        numeric = [sp.Float(a, self.dps) if isinstance(a, mp.mpf) else sp.sympify(a) for a in args]
        value = expr.func(*numeric).evalf(self.dps)
        if value.is_real and value.is_Number:
            return mp.mpf(value._mpf_) if value.is_Float else mp.mpf(value.p) / value.q
        if value.is_number:
            z = complex(value)
            return mp.mpc(z.real, z.imag)
        return self.nan


# ---------------------------------------------------------------------------------------------
# Text for `jaccli symbolic`
# ---------------------------------------------------------------------------------------------


def simplify_entries(
    derivative: SymbolicDerivative, ops: int = SIMPLIFY_OPS, seconds: float = SIMPLIFY_SECONDS
) -> tuple[SymbolicDerivative, int]:
    """Simplify the entries that are small enough, within a time budget.

    `sympy.simplify` has no bound on its running time, so only entries of at most ``ops``
    operations are tried, none once ``seconds`` have passed, and none at all when there are more
    than `SIMPLIFY_ENTRIES` distinct entries; the rest stay as derived. A simplified form is kept
    only when it is no larger.

    Returns:
        the derivative with simplified entries, and how many changed.

    >>> from jaccli._load.loader import from_expression
    >>> f = from_expression("(sin(x)**2 + cos(x)**2) * cos(y)")
    >>> d, changed = simplify_entries(jacobian(to_sympy(f)))
    >>> d.matrix, changed
    (Matrix([[0, -sin(y)]]), 1)
    """
    sp = _sp()
    entries = derivative.entries()
    if len(set(entries)) > SIMPLIFY_ENTRIES:
        return derivative, 0
    deadline = time.monotonic() + seconds
    done: dict[Any, Any] = {}
    changed = 0
    simplified = []
    for entry in entries:
        if entry not in done:
            result = entry
            size = sp.count_ops(entry)
            if 0 < size <= ops and time.monotonic() < deadline:
                simpler = sp.simplify(entry)
                if sp.count_ops(simpler) <= size and simpler != entry:
                    result = simpler
                    changed += 1
            done[entry] = result
        simplified.append(done[entry])
    rows, cols = derivative.shape
    return replace(derivative, matrix=sp.ImmutableMatrix(rows, cols, simplified)), changed


def common_subexpressions(
    derivative: SymbolicDerivative,
) -> tuple[tuple[tuple[Any, Any], ...], SymbolicDerivative]:
    """Pull out repeated subexpressions (`sympy.cse`), named ``c0, c1, ...`` (unused names).

    Returns:
        the replacements ``(symbol, expression)`` in the order to compute them, and the
        derivative in terms of them.

    >>> from jaccli._load.loader import from_expression
    >>> pairs, d = common_subexpressions(jacobian(to_sympy(from_expression("exp(x*y)"))))
    >>> pairs, d.matrix
    (((c0, exp(x*y)),), Matrix([[c0*y, c0*x]]))
    """
    sp = _sp()
    taken = {str(s) for s in derivative.matrix.free_symbols}
    taken.update(inp.arg for inp in derivative.inputs)
    prefix = "c"
    while any(name.startswith(prefix) and name[len(prefix) :].isdigit() for name in taken):
        prefix += "c"
    pairs, reduced = sp.cse(derivative.entries(), symbols=sp.numbered_symbols(prefix))
    rows, cols = derivative.shape
    matrix = sp.ImmutableMatrix(rows, cols, reduced)
    return tuple(pairs), replace(derivative, matrix=matrix)


def to_text(
    derivative: SymbolicDerivative,
    format: str = "text",
    simplify: bool = True,
    cse: bool | None = None,
) -> SymbolicText:
    """The derivative as strings laid out like JAX's result, for `jaccli symbolic`.

    Args:
        derivative: from `jacobian` or `hessian`.
        format: ``"text"`` (SymPy syntax, which `sympy.sympify` reads back with the function's
            `SymbolicFunction.namespace`) or ``"latex"``. A program's constants, exact
            rationals inside, are shown as decimals to 15 significant digits.
        simplify: simplify small entries first (see `simplify_entries`).
        cse: pull out common subexpressions; default: when the derivative has more than
            `CSE_ENTRIES` entries or `CSE_OPS` operations.

    >>> from jaccli._load.loader import from_expression
    >>> to_text(jacobian(to_sympy(from_expression("[x**2, x*y[1]]")))).result
    {'x': ['2*x', 'y[1]'], 'y': [['0', '0'], ['0', 'x']]}
    """
    sp = _sp()
    if format not in ("text", "latex"):
        raise UsageError(f"symbolic output format must be text or latex, got {format!r}")
    size, _ = tree_size(derivative.entries())
    if size > MAX_TEXT_SIZE:
        raise SymbolicTooLarge(
            f"not available: the {derivative.kind}'s expressions have {size:,} nodes, too many to "
            f"show (limit {MAX_TEXT_SIZE:,})",
            hint="differentiate fewer inputs (--wrt), or evaluate it at a point with check",
        )
    with _nesting_guard("the text of the derivative"):
        changed = 0
        if simplify:
            derivative, changed = simplify_entries(derivative)
        entries = derivative.entries()
        if cse is None:
            cse = len(entries) > CSE_ENTRIES or sum(sp.count_ops(e) for e in entries) > CSE_OPS
        pairs: tuple[tuple[Any, Any], ...] = ()
        if cse:
            pairs, derivative = common_subexpressions(derivative)
            entries = derivative.entries()
        decimals = _decimals([*entries, *(value for _, value in pairs)])
        if format == "latex":
            names = _latex_names(derivative.inputs)

            def show(e: Any) -> str:
                return sp.latex(e.xreplace(decimals), symbol_names=names)

        else:

            def show(e: Any) -> str:
                return sp.sstr(e.xreplace(decimals), full_prec=False)

        flat = _objects((show(e) for e in entries), derivative.shape)
        result = _map_leaves(derivative.layout(flat), lambda a: a.tolist())
        replacements = tuple((show(name), show(value)) for name, value in pairs)
        return SymbolicText(result, replacements, format, changed)


def _decimals(exprs: Sequence[Any]) -> dict[Any, Any]:
    """Floats for the exact values of a program's constants: 0.7, not 3152519739159347/2**52.

    A fraction with a denominator beyond 1024, or an integer beyond 2**53, came from doubles;
    it is shown to 15 digits, which `sympify` reads back to the nearest double.
    """
    sp = _sp()
    found = {}
    for node in _distinct(exprs):
        if node.is_Rational and (node.q > 1024 or abs(node.p) > 2**53):
            found[node] = sp.Float(node, 15)
    return found


def _map_leaves(tree: Any, fn: Callable[[Any], Any]) -> Any:
    if isinstance(tree, dict):
        return {key: _map_leaves(value, fn) for key, value in tree.items()}
    return fn(tree)


def _latex_names(inputs: Sequence[SymbolicInput]) -> dict[Any, str]:
    sp = _sp()
    names = {}
    for inp in inputs:
        base = sp.latex(sp.Symbol(inp.arg))
        keys = [r"\mathrm{" + _latex_escape(str(key)) + "}" for key in inp.path]
        for idx, symbol in zip(np.ndindex(*inp.shape), inp.symbols, strict=True):
            subscript = ",".join(keys + [str(i) for i in idx])
            if subscript:
                # A base that carries its own sub- or superscript (x_1) is grouped first.
                group = "{" + base + "}" if "_" in base or "^" in base else base
                names[symbol] = group + "_{" + subscript + "}"
    return names


def _latex_escape(text: str) -> str:
    special = {ch: "\\" + ch for ch in "&%$#_{}"}
    special.update({"~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\backslash{}"})
    return "".join(special.get(ch, ch) for ch in text)
