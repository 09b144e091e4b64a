"""Failures inside the user's function, turned into `FunctionError`s that name the line and say
what to write instead: assignment into an array, a NumPy or SciPy call JAX cannot trace,
``float()`` of a traced value, Python control flow on a derivative."""

from __future__ import annotations

import ast
import contextlib
import importlib
from collections.abc import Iterator

import numpy as np

from .._load.frames import user_frame, user_location
from .._load.loader import Function
from ..errors import FunctionError, JaccliError, ResourceError, exception_text


@contextlib.contextmanager
def guard_user_code(function: Function) -> Iterator[None]:
    """Turn any failure inside the user's function into a `FunctionError` that names the line.

    A failure of tracing — assignment into an array, a NumPy or SciPy call JAX cannot trace,
    ``float()`` of a traced value — is named by the operation and its line, with what to write.
    """
    import jax

    try:
        yield
    except JaccliError:
        raise
    except KeyboardInterrupt:
        raise
    except MemoryError as exc:
        raise out_of_memory(exc) from None
    except jax.errors.TracerArrayConversionError as exc:
        raise _in_place_error(function, exc) or _conversion_error(function, exc) from exc
    except jax.errors.ConcretizationTypeError as exc:
        raise _concretization_error(function, exc) from exc
    except Exception as exc:
        oom = out_of_memory(exc)
        if oom is not None:
            raise oom from None
        raise _in_place_error(function, exc) or _raised_error(function, exc) from exc


def out_of_memory(exc: BaseException) -> ResourceError | None:
    """The resource error (exit 4) for running out of memory — Python's MemoryError, or XLA's
    RESOURCE_EXHAUSTED when an allocation fails (under ``ulimit -v``, say) — or None."""
    if isinstance(exc, MemoryError) or (
        isinstance(exc, RuntimeError) and "RESOURCE_EXHAUSTED" in str(exc)
    ):
        return ResourceError(
            "out of memory while computing",
            hint="use jvp/vjp/hvp for products without forming the matrix, or a smaller point",
        )
    return None


def tracing_failure(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is JAX refusing to trace the function: a traced value
    converted to NumPy, to a Python number, or used in Python control flow."""
    import jax

    kinds = (
        jax.errors.TracerArrayConversionError,
        jax.errors.ConcretizationTypeError,
        jax.errors.TracerIntegerConversionError,
    )
    while exc is not None:
        if isinstance(exc, kinds):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


_QUOTE_LIMIT = 80
# ``x[i] op= v`` as ``x.at[i].<method>(v)``, by the name of the operator's AST node.
_AT_METHODS = {"Add": "add", "Sub": "subtract", "Mult": "multiply", "Div": "divide", "Pow": "power"}


def _quote(text: str) -> str:
    """Source text for a one-line message: shortened, in backticks."""
    text = " ".join(text.split())
    if len(text) > _QUOTE_LIMIT:
        text = text[: _QUOTE_LIMIT - 1] + "…"
    return f"`{text}`"


def _raised_error(function: Function, exc: BaseException) -> FunctionError:
    text = exception_text(exc).strip()
    message = text.splitlines()[0] if text else ""
    return FunctionError(
        f"{function.source} raised {type(exc).__name__}"
        f"{user_location(exc, function.path)}: {message}"
    )


def _in_place_error(function: Function, exc: BaseException) -> FunctionError | None:
    """Assignment into an array (``x[0] = ...``) that tracing cannot follow, if that is what failed.

    Into a JAX array it is refused (JAX arrays are immutable); into a NumPy array, NumPy cannot
    store a traced value (it raises a conversion error, or a ValueError caused by one).
    """
    import jax

    into_jax = isinstance(exc, TypeError) and "JAX arrays are immutable" in exception_text(exc)
    into_numpy = isinstance(exc, jax.errors.TracerArrayConversionError) or (
        isinstance(exc, ValueError)
        and isinstance(exc.__cause__, jax.errors.ConcretizationTypeError)
    )
    frame = user_frame(exc, function.path) if into_jax or into_numpy else None
    assignment = _item_assignment(frame.statement) if frame else None
    if frame is None or assignment is None:
        return None
    target, array, fix = assignment
    where = f"{_quote(frame.statement)} ({frame.location})"
    if into_jax:
        return FunctionError(
            f"{function.source} assigns into an array in place, which JAX cannot differentiate: "
            f"{where}",
            hint=f"JAX arrays are immutable; write {fix}",
        )
    if frame.segment != target:
        # The store did not fail; something on the right-hand side did.
        return None
    return FunctionError(
        f"{function.source} stores a traced value in a NumPy array, which cannot carry its "
        f"derivative: {where}",
        hint=f"build the array from its entries, e.g. {array} = np.array([...]), or make it a JAX "
        f"array (np.zeros_like of an input) and write {fix}",
    )


def _item_assignment(statement: str) -> tuple[str, str, str] | None:
    """The target ``x[i]``, the array ``x`` and the ``.at`` form of ``x[i] = v`` or ``x[i] += v``."""
    try:
        node = ast.parse(statement).body[0]
    except (SyntaxError, IndexError):
        return None
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target, method = node.targets[0], "set"
    elif isinstance(node, ast.AugAssign):
        target, method = node.target, _AT_METHODS.get(type(node.op).__name__, "")
    else:
        return None
    if not isinstance(target, ast.Subscript):
        return None
    text = ast.get_source_segment(statement, target) or ""
    array = ast.get_source_segment(statement, target.value) or "x"
    index = ast.get_source_segment(statement, target.slice) or "..."
    value = ast.get_source_segment(statement, node.value) or "..."
    if not method or not isinstance(target.value, (ast.Name, ast.Attribute)):
        return text, array, f"{array} = {array}.at[{index}].set(...) on the whole array"
    return text, array, f"{array} = {array}.at[{index}].{method}({value})"


def _conversion_error(function: Function, exc: BaseException) -> FunctionError:
    """A traced value handed to code that needs a NumPy array: which call, and what instead."""

    frame = user_frame(exc, function.path)
    if frame is None:
        return FunctionError(
            f"{function.source} converts a traced value to a NumPy array",
            hint="use jax.numpy (import jax.numpy as jnp) instead of numpy inside the function",
        )
    return FunctionError(
        f"{function.source} converts a traced value to a NumPy array in {_quote(frame.segment)} "
        f"({frame.location})",
        hint=_conversion_hint(function, frame.callee, frame.segment),
    )


def _conversion_hint(function: Function, callee: str | None, segment: str) -> str:
    module, _, name = (callee or "").rpartition(".")
    if module == "scipy" or module.startswith("scipy."):
        twin = _jax_twin("jax." + callee) if callee else None
        if twin:
            return f"JAX cannot differentiate through SciPy; use {twin}, which it can"
        return "JAX cannot differentiate through SciPy; write it with jax.numpy or jax.scipy"
    if module == "numpy.random" or module.startswith("numpy.random."):
        return (
            "NumPy's random numbers cannot depend on traced values; draw them outside the "
            "function and pass them in, or use jax.random"
        )
    if module == "numpy" and isinstance(getattr(np, name, None), type):
        value = _first_argument(segment) or "x"
        return f"convert with {value}.astype(np.{name}), or leave the value an array"
    if module.split(".")[0] == "numpy":
        twin = _jax_twin("jax." + callee) if callee else None
        if twin:
            return f"call {twin} (import jax.numpy as jnp) instead"
        return f"jax.numpy has no {name}; write it with operations jax.numpy has"
    if function.kind == "file":
        return (
            "write the code it runs with jax.numpy; NumPy calls are mapped to jax.numpy in the "
            "function file only, not in modules it imports"
        )
    return "use jax.numpy (import jax.numpy as jnp) instead of numpy inside the function"


def _first_argument(call: str) -> str | None:
    """The source text of a call's first argument, ready for a method: ``x[0]``, ``(a + b)``."""
    try:
        node = ast.parse(call, mode="eval").body
    except SyntaxError:
        return None
    if not isinstance(node, ast.Call) or not node.args:
        return None
    argument = node.args[0]
    text = ast.get_source_segment(call, argument)
    if not text:
        return None
    # An attribute, index or call binds tighter than `.astype`; anything else needs parentheses.
    atomic = isinstance(argument, (ast.Name, ast.Attribute, ast.Subscript, ast.Call))
    return text if atomic else f"({text})"


def _jax_twin(path: str) -> str | None:
    """``path`` (``jax.scipy.special.gamma``) if JAX has it, else None."""
    module, _, name = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return path if callable(found) else None


def _concretization_error(function: Function, exc: BaseException) -> FunctionError:
    """A traced value where Python needs a concrete one: float(), int(), if, math.*."""
    import jax

    frame = user_frame(exc, function.path)
    if frame is None:
        return FunctionError(
            f"{function.source} needs a concrete value where JAX has a traced one (float(), "
            "int() or Python control flow on a derivative)",
            hint="use jnp.where for branches and keep values as arrays",
        )
    callee = frame.callee or ""
    module, _, name = callee.rpartition(".")
    # Speak the file's language: np.* where NumPy names are mapped, jnp.* otherwise.
    np_ = "np" if function.numpy_names else "jnp"
    keep_array = f"leave the value an array; arithmetic and {np_}.* functions work on arrays"
    if callee in ("float", "int", "complex"):
        what = f"{_quote(frame.segment)} turns a traced value into a Python number"
        hint = f"remove {callee}() and {keep_array}"
    elif module == "math":
        what = f"{_quote(frame.segment)} needs a Python float"
        twin = _jax_twin(f"jax.numpy.{name}")
        hint = f"use {np_}.{name}, which works on arrays" if twin else keep_array
    elif name in ("tolist", "item"):
        what = f"{_quote(frame.segment)} turns a traced value into Python numbers"
        hint = keep_array
    elif isinstance(exc, jax.errors.TracerBoolConversionError) or callee == "bool":
        what = f"Python control flow on a traced value, {_quote(frame.segment)}"
        hint = f"choose between values with {np_}.where(condition, a, b)"
    else:
        what = _quote(frame.segment)
        hint = f"use {np_}.where for branches and keep values as arrays"
    return FunctionError(
        f"{function.source} needs a concrete value where JAX has a traced one: {what} "
        f"({frame.location})",
        hint=hint,
    )
