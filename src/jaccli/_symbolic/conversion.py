"""From a function to SymPy: an expression has a SymPy form already; a file is traced with
`jax.make_jaxpr` at its point and its program interpreted (see `interpreter`).

For a file, the arguments that are not differentiated are constants at the point's values; an
expression keeps all its inputs symbolic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._problem import PYTHON, Labels
from ..errors import UsageError
from .interpreter import Interpreter
from .limits import SymbolicUnavailable, TreeSizes, check_entries, refusals
from .portable import Closed, Host, LocalHost, portable
from .records import SymbolicFunction, SymbolicInput
from .values import objects


def to_sympy(target: Any, wrt: Sequence[str] | None = None) -> SymbolicFunction:
    """The SymPy form of a function: from its expression, or from its traced JAX program.

    Args:
        target: a `Problem` (a function bound to a point, see `jaccli._problem.prepare`), or an
            expression `Function` (no point is needed for an expression).
        wrt: the arguments to differentiate by default; a `Problem` brings its own.

    Returns:
        a `SymbolicFunction`.

    Raises:
        SymbolicUnavailable: a primitive SymPy does not cover, or complex values.
        SymbolicTooLarge: the program or its expressions are beyond the size limits.

    >>> from jaccli._load import from_expression
    >>> sym = to_sympy(from_expression("[x*y, sin(x)]"))
    >>> sym.outputs, sym.symbols
    ((x*y, sin(x)), (x, y))
    """
    from .._load import Function
    from .._problem import Problem

    if isinstance(target, Problem):
        return sympy_form(*at_point(target))
    with refusals("the function"):
        if isinstance(target, Function) and target.kind == "expr":
            return from_written(written(target, tuple(wrt) if wrt else target.params))
        what = target.source if isinstance(target, Function) else type(target).__name__
        raise UsageError(
            f"the SymPy form of {what} needs a point to trace the function at",
            hint="bind a point first (jaccli._problem.prepare)",
        )


def preload() -> None:
    """Import SymPy (and mpmath, which it brings) now rather than at its first use.

    For a caller that knows it will need them and wants them in with its other libraries: the
    console's process freezes what its libraries made, unwalked by the garbage collector, once
    they are in (`jaccli._runtime.collector`). SymPy's first sum imports its tensor module (and
    combinatorics with it), and its elementary functions their set expressions: those too.
    """
    import sympy.sets.setexpr
    import sympy.tensor.tensor  # noqa: F401


def symbolic_input(arg: str, path: tuple[Any, ...], shape: tuple[int, ...]) -> SymbolicInput:
    """An input with a real symbol for each entry, named like the expression syntax.

    >>> symbolic_input("W", (), (1, 2)).symbols
    (W[0, 0], W[0, 1])
    """
    import sympy as sp

    label = arg + "".join(f"[{key!r}]" for key in path)
    if not shape:
        symbols: tuple[Any, ...] = (sp.Symbol(label, real=True),)
    else:
        symbols = tuple(
            sp.Symbol(f"{label}[{', '.join(map(str, idx))}]", real=True)
            for idx in np.ndindex(*shape)
        )
    return SymbolicInput(arg, path, shape, symbols)


def _is_complex(dtype: Any) -> bool:
    try:
        return np.dtype(dtype).kind == "c"
    except TypeError:
        return False


def _point_value(value: Any, label: str) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind == "c":
        raise SymbolicUnavailable(f"SymPy takes real functions only, and {label} is complex")
    return array


@dataclass(frozen=True)
class Written:
    """An expression, at its point if it has one: what SymPy needs of it, as plain data (it
    crosses to the SymPy reference's own process, see `remote`)."""

    expression: Any  # the parsed `Expression`
    params: tuple[str, ...]
    source: str
    wrt: tuple[str, ...]
    given: tuple[tuple[str, np.ndarray], ...]  # the point's value of each input given one
    labels: Labels


def written(function: Any, wrt: Sequence[str], problem: Any = None) -> Written:
    """An expression `Function`, with its point when ``problem`` binds it to one."""
    given = () if problem is None else tuple(zip(problem.names, problem.values, strict=True))
    return Written(
        function.expression,
        tuple(function.params),
        function.source,
        tuple(wrt),
        tuple((name, np.asarray(value)) for name, value in given),
        problem.labels if problem is not None else PYTHON,
    )


def from_written(target: Written) -> SymbolicFunction:
    """The SymPy form of an expression: the symbols follow the point's shapes, if it has one."""
    from ..errors import ParseError

    labels, expression = target.labels, target.expression
    unknown = [name for name in target.wrt if name not in target.params]
    if unknown:
        raise UsageError(
            f"{labels('wrt')} names {', '.join(unknown)}, which the expression does not use",
            hint="inputs: " + ", ".join(target.params),
        )
    with refusals("the function", labels):
        try:
            body = expression.sympy
        except ParseError as exc:
            raise SymbolicUnavailable(f"{exc.message}") from None
        given = dict(target.given)
        inputs = []
        point: dict[Any, float] = {}
        for item in expression.inputs:
            value = _point_value(given[item.name], item.name) if item.name in given else None
            # A point may hold more entries than the expression reads; the Jacobian still has a
            # column for each (JAX's layout), so the symbols follow the point's shape.
            shape = tuple(value.shape) if value is not None else item.shape
            inp = symbolic_input(item.name, (), shape)
            inputs.append(inp)
            if value is not None:
                point.update(zip(inp.symbols, (float(v) for v in value.ravel()), strict=True))
        if expression.output_shape:
            outputs = tuple(body[idx] for idx in np.ndindex(*expression.output_shape))
        else:
            outputs = (body,)
        TreeSizes().check(outputs, "the expression")
    return SymbolicFunction(
        outputs=outputs,
        output_shape=tuple(expression.output_shape),
        inputs=tuple(inputs),
        wrt=target.wrt,
        point=point,
        source=target.source,
        labels=labels,
    )


def sympy_form(target: Written | Traced, host: Host | None) -> SymbolicFunction:
    """The SymPy form of an expression (`Written`) or of a traced function (`Traced`, whose
    ``host`` answers for its program's equations)."""
    if isinstance(target, Written):
        return from_written(target)
    assert host is not None, "a traced function needs the host of its equations"
    return from_traced(target, host)


@dataclass(frozen=True)
class Traced:
    """A file's function traced at its point: what SymPy needs of it, as plain data (it crosses
    to the SymPy reference's own process, see `remote`)."""

    program: Closed
    inputs: tuple[tuple[str, tuple[Any, ...], np.ndarray], ...]  # (argument, key path, value)
    wrt: tuple[str, ...]
    source: str
    labels: Labels


def at_point(problem: Any) -> tuple[Written | Traced, Host | None]:
    """What SymPy needs of a `Problem`'s function at its point, as plain data: an expression's
    parse (`Written`), or the traced program (`Traced`) with the `Host` that answers for its
    equations.

    Raises:
        SymbolicUnavailable: complex values, or JAX cannot trace the function.
        SymbolicTooLarge: the Jacobian would have too many entries.
    """
    with refusals("the function", problem.labels):
        if _is_complex(problem.out_dtype):
            raise SymbolicUnavailable(
                "SymPy takes real functions only, and this one has complex outputs"
            )
        if problem.function.kind == "expr":
            return written(problem.function, problem.wrt, problem), None
        return _trace(problem)


def _trace(problem: Any) -> tuple[Traced, LocalHost]:
    """Trace a file's function at its point for SymPy (inside `at_point`'s refusals)."""
    import jax

    from .._problem import guard_user_code, tracing_failure
    from ..errors import FunctionError

    inputs = []
    for name, primal in zip(problem.wrt, problem.primals, strict=True):
        for path, leaf in jax.tree_util.tree_flatten_with_path(primal)[0]:
            value = np.array(_point_value(leaf, name), dtype=np.float64)
            inputs.append((name, tuple(_key(k) for k in path), value))
    n = sum(value.size for _, _, value in inputs)
    check_entries(n * problem.m, "Jacobian", "outputs × inputs", problem.labels)
    try:
        with guard_user_code(problem.function), jax.default_device(problem.device):
            closed = jax.make_jaxpr(problem.call)(*problem.primals)
    except FunctionError as exc:
        if not tracing_failure(exc):
            raise
        # The words of the failure itself: Python control flow on a value, or a conversion
        # to a Python number or NumPy array (math.sin), each with its line.
        raise SymbolicUnavailable(
            f"JAX cannot trace the function for SymPy: {exc.message}"
        ) from None
    copied = portable(closed)
    traced = Traced(
        copied.program, tuple(inputs), tuple(problem.wrt), problem.function.source, problem.labels
    )
    return traced, LocalHost(copied.equations, problem.function.path)


def from_traced(traced: Traced, host: Host) -> SymbolicFunction:
    """The SymPy form of a traced function: its program interpreted over the inputs' symbols
    (``host`` answers for the program's equations, see `portable`)."""
    inputs = []
    point: dict[Any, float] = {}
    args = []
    with refusals("the function", traced.labels):
        for name, path, value in traced.inputs:
            inp = symbolic_input(name, path, tuple(value.shape))
            inputs.append(inp)
            point.update(zip(inp.symbols, (float(v) for v in value.ravel()), strict=True))
            args.append(objects(inp.symbols, inp.shape))
        (out,) = Interpreter(host).call(traced.program, args)
    return SymbolicFunction(
        outputs=tuple(out.ravel()),
        output_shape=tuple(out.shape),
        inputs=tuple(inputs),
        wrt=traced.wrt,
        point=point,
        source=traced.source,
        labels=traced.labels,
    )


def _key(entry: Any) -> Any:
    for attr in ("key", "idx", "name"):
        if hasattr(entry, attr):
            return getattr(entry, attr)
    return str(entry)
