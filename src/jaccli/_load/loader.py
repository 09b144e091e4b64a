"""Load the user's function: from a Python file, from an expression, or from a callable.

Everything here returns plain data (`Function`: a callable, its parameter names, where it came
from; `frames` says where in the user's file a failure happened). Nothing here imports JAX or
SymPy: a file that imports them does so itself. A file written with plain NumPy has its NumPy
names mapped to jax.numpy on traced values (`jaccli.numpy_dispatch`), which imports nothing
either until a JAX value turns up.
"""

from __future__ import annotations

import contextlib
import difflib
import functools
import inspect
import os
import re
import stat
import sys
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import _runtime as runtime
from .._load.numpy_dispatch import map_numpy
from ..errors import FunctionError, UsageError, exception_text
from .frames import user_location

_MAX_SOURCE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Function:
    """A differentiable function with named positional parameters.

    Attributes:
        fn: the callable, called as ``fn(*args)`` in parameter order.
        params: names of the positional parameters that take a point.
        source: where it came from: ``"file.py:f"``, the expression text, or a qualified name.
        kind: ``"file"``, ``"expr"`` or ``"python"``.
        path: the file the function lives in (for pointing at lines in errors), if any.
        expression: the parsed `Expression` when ``kind == "expr"``.
        numpy_names: the file's global names that referred to NumPy and now call jax.numpy on
            JAX values (``("np",)`` for ``import numpy as np``); empty when none did.
    """

    fn: Callable[..., Any]
    params: tuple[str, ...]
    source: str
    kind: str = "python"
    path: str | None = None
    expression: Any = field(default=None, compare=False)
    numpy_names: tuple[str, ...] = ()

    def __call__(self, *args: Any) -> Any:
        return self.fn(*args)


def user_output_to_stderr() -> contextlib.AbstractContextManager[Any]:
    """Send whatever the user's code prints to stderr, so stdout stays clean for results."""
    return contextlib.redirect_stdout(sys.stderr)


def from_callable(fn: Callable[..., Any], source: str | None = None) -> Function:
    """Wrap a Python callable, reading its positional parameter names from its signature."""
    if isinstance(fn, Function):
        return fn
    if not callable(fn):
        raise UsageError(f"expected a callable function, got {type(fn).__name__}")
    name = source or getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "f")
    path = None
    with contextlib.suppress(TypeError, OSError):
        path = inspect.getsourcefile(fn)
    return Function(fn=fn, params=_positional_params(fn, name), source=name, path=path)


def from_expression(
    text: str, variables: Sequence[str] | None = None, label: str = "vars"
) -> Function:
    """Parse a math expression (never evaluated as Python) into a `Function`; ``label`` names
    the option that gave ``variables`` in messages (``--vars`` on the command line)."""
    from .expr import parse_expr

    expression = parse_expr(text, vars=variables, label=label)
    return Function(
        fn=expression,
        params=tuple(inp.name for inp in expression.inputs),
        source=text,
        kind="expr",
        expression=expression,
    )


def load(spec: str, *, expression: str = "parse_expr") -> Function:
    """Load ``path/to/file.py`` (the function ``f``, else the only public one) or ``file.py:name``.

    The file is trusted code and runs as the user; what it prints goes to stderr. Once it has
    run, its NumPy names are mapped so that NumPy calls on traced values go to jax.numpy.
    ``expression`` names, in messages, the way to give an expression instead of a file
    (``-e/--expr`` on the command line).
    """
    path, name = _split_spec(spec, expression)
    module = _import_file(path, expression)
    fn, name = _pick_function(module, path, name)
    params = _positional_params(fn, f"{path}:{name}")
    numpy_names = map_numpy(vars(module))
    return Function(
        # The function itself may be a NumPy name (`f = np.sin`), now rebound.
        fn=_exit_is_failure(vars(module).get(name, fn), f"{path}:{name}", path),
        params=params,
        source=f"{path}:{name}",
        kind="file",
        path=os.path.abspath(path),
        numpy_names=numpy_names,
    )


def _exit_is_failure(fn: Callable[..., Any], source: str, path: str) -> Callable[..., Any]:
    """``fn``, with ``sys.exit()`` and other exceptions that are not an `Exception` (such as
    ``GeneratorExit``) turned into a `FunctionError` (exit 3): they would pass every handler and
    end the process with a traceback, or with the user's exit status (0: success, no output)."""

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (Exception, KeyboardInterrupt, runtime.Interrupted, runtime.Terminated):
            raise
        except SystemExit as exc:
            raise FunctionError(
                f"{source} called sys.exit({exc.code!r}){user_location(exc, path)}",
                hint="raise an exception to report a failure; jaccli sets the exit status",
            ) from None
        except BaseException as exc:
            raise FunctionError(
                f"{source} raised {type(exc).__name__}{user_location(exc, path)}: "
                f"{exception_text(exc)}",
                hint="raise an Exception (not a BaseException) to report a failure",
            ) from None

    return call


def _split_spec(spec: str, expression: str) -> tuple[str, str | None]:
    if not spec:
        raise UsageError(
            "no function given",
            hint=f"pass FILE.py or FILE.py:NAME, or an expression with {expression}",
        )
    # Split on the last colon only when the rest is an identifier: keeps Windows drive letters
    # and paths containing colons intact.
    m = re.fullmatch(r"(.+):([A-Za-z_][A-Za-z_0-9]*)", spec)
    if m and not os.path.exists(spec):
        return m.group(1), m.group(2)
    return spec, None


def _import_file(path: str, expression: str) -> types.ModuleType:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        hint = None if path.endswith(".py") else f"to differentiate an expression, use {expression}"
        raise UsageError(f"function file not found: {path}", hint=hint) from None
    except OSError as exc:
        raise UsageError(f"cannot read function file {path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise UsageError(f"function file {path} is a directory", hint="pass a .py file")
    if not stat.S_ISREG(st.st_mode):
        raise UsageError(f"function file {path} is not a regular file")
    if st.st_size > _MAX_SOURCE_BYTES:
        raise UsageError(f"function file {path} is {st.st_size} bytes; that is not Python source")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read function file {path}: {exc.strerror}") from None
    if b"\x00" in raw:
        raise UsageError(f"function file {path} is binary, not Python source")
    try:
        source = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UsageError(
            f"function file {path} is not UTF-8 text (byte {exc.start})",
            hint="save the file as UTF-8",
        ) from None
    try:
        code = compile(source, path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        where = f"{path}:{exc.lineno}:{exc.offset}" if exc.lineno else path
        raise FunctionError(f"syntax error in {where}: {exc.msg}") from None

    module_name = "jaccli_user_" + re.sub(r"\W", "_", os.path.splitext(os.path.basename(path))[0])
    module = types.ModuleType(module_name)
    module.__file__ = os.path.abspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    sys.modules[module_name] = module
    # Like `python file.py`: the file's own directory is importable, so helpers beside it load.
    sys.path.insert(0, directory)
    if "jax" in source:
        # float64 is the default, so arrays the file builds when imported must be float64 too;
        # JAX decides an array's dtype when it is made.
        runtime.enable_float64()
    # The libraries are in; what the user's code makes is the collector's again.
    runtime.settle()
    try:
        _run_module(code, module, path)
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(directory)
    if "jax" in source and not runtime.float64_enabled():
        raise FunctionError(
            f"{path} turns float64 off (jax_enable_x64) when imported, and jaccli computes and "
            "reports in float64",
            hint="remove that line; jaccli chooses the precision (float64, or float32 when asked)",
        )
    return module


def _run_module(code: types.CodeType, module: types.ModuleType, path: str) -> None:
    """Run the function file's code, its failures (``sys.exit()`` included) a `FunctionError`."""
    try:
        with user_output_to_stderr():
            exec(code, module.__dict__)
    except SystemExit as exc:
        raise FunctionError(f"{path} called sys.exit({exc.code!r}) while being imported") from None
    except (KeyboardInterrupt, runtime.Interrupted, runtime.Terminated):
        raise
    except BaseException as exc:
        raise FunctionError(
            f"{path} raised {type(exc).__name__} on import: {exception_text(exc)}"
            f"{user_location(exc, path)}"
        ) from exc


def _pick_function(
    module: types.ModuleType, path: str, name: str | None
) -> tuple[Callable[..., Any], str]:
    candidates = [
        key
        for key, value in vars(module).items()
        if not key.startswith("_")
        and inspect.isfunction(value)
        and value.__module__ == module.__name__
    ]
    if name is not None:
        if name not in vars(module):
            close = difflib.get_close_matches(name, candidates, n=1)
            hint = (
                f"did you mean {path}:{close[0]}?" if close else _candidates_hint(path, candidates)
            )
            raise UsageError(f"{path} has no function named {name!r}", hint=hint)
        fn = vars(module)[name]
        if not callable(fn):
            raise UsageError(
                f"{path}:{name} is a {type(fn).__name__}, not a function",
                hint=_candidates_hint(path, candidates),
            )
        return fn, name
    if callable(vars(module).get("f")):
        return vars(module)["f"], "f"
    if len(candidates) == 1:
        return vars(module)[candidates[0]], candidates[0]
    if not candidates:
        raise UsageError(f"{path} defines no public function", hint="define f(x) in the file")
    raise UsageError(
        f"{path} defines {len(candidates)} functions and none is named f: {', '.join(candidates)}",
        hint=f"pick one, e.g. {path}:{candidates[0]}",
    )


def _candidates_hint(path: str, candidates: list[str]) -> str | None:
    if not candidates:
        return None
    return "functions in the file: " + ", ".join(f"{path}:{c}" for c in candidates)


def _positional_params(fn: Callable[..., Any], source: str) -> tuple[str, ...]:
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):
        raise UsageError(f"cannot read the parameters of {source}") from None
    names = []
    for param in signature.parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            if param.default is param.empty:
                names.append(param.name)
        elif param.kind is param.VAR_POSITIONAL:
            raise UsageError(
                f"{source} takes *{param.name}; jaccli needs named parameters",
                hint="write def f(x, y) or def f(x) with a vector x",
            )
        elif param.kind is param.KEYWORD_ONLY and param.default is param.empty:
            raise UsageError(f"{source} has a required keyword-only parameter {param.name!r}")
    if not names:
        raise UsageError(f"{source} takes no arguments; there is nothing to differentiate")
    return tuple(names)
