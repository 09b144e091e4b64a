"""The operations of jaccli — jacobian, jvp, vjp, grad, hessian, hvp, info — for Python and the CLI.

This layer binds a point to a function, casts it to the chosen dtype and device, guards the call
of the user's code (turning its failures into `FunctionError`), refuses results larger than the
size limit before computing them, and packs what `compute` returns into result records.
JAX is imported only when an operation runs, so ``import jaccli`` stays light.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._load.loader import Function, from_callable, user_location, user_output_to_stderr
from .errors import FunctionError, JaccliError, ResourceError, ShapeError, UsageError
from .results import DerivativeResult, FunctionInfo, InfoResult, InputInfo, count_nonfinite

DEFAULT_MAX_BYTES = 1 << 30
DTYPES = {"float64": ("float64", "complex128"), "float32": ("float32", "complex64")}


@dataclass
class Problem:
    """A function bound to a point: what to differentiate, where, in which dtype, on which device."""

    function: Function
    names: tuple[str, ...]
    values: tuple[Any, ...]
    wrt: tuple[str, ...]
    dtype: str
    device: Any
    out_shape: tuple[int, ...] = ()
    out_dtype: Any = None
    warnings: list[str] = field(default_factory=list)

    @property
    def wrt_index(self) -> tuple[int, ...]:
        return tuple(self.names.index(name) for name in self.wrt)

    @property
    def primals(self) -> tuple[Any, ...]:
        return tuple(self.values[i] for i in self.wrt_index)

    @property
    def n(self) -> int:
        import jax

        return sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(self.primals))

    @property
    def m(self) -> int:
        return int(np.prod(self.out_shape, dtype=np.int64))

    def call(self, *wrt_values: Any) -> Any:
        """Call the user's function with the differentiated arguments replaced by ``wrt_values``."""
        import jax.numpy as jnp

        args = list(self.values)
        for i, value in zip(self.wrt_index, wrt_values, strict=True):
            args[i] = value
        with user_output_to_stderr():
            out = self.function.fn(*args)
        return _as_output_array(out, self.function.source, jnp)

    def info(self) -> FunctionInfo:
        inputs = tuple(
            InputInfo(name, _tree_shape(value), _tree_dtype(value))
            for name, value in zip(self.names, self.values, strict=True)
        )
        return FunctionInfo(
            source=self.function.source,
            kind=self.function.kind,
            inputs=inputs,
            output_shape=tuple(self.out_shape),
            output_dtype=str(np.dtype(self.out_dtype)),
        )

    def at(self) -> dict[str, Any]:
        import jax

        return {
            name: jax.tree_util.tree_map(np.asarray, value)
            for name, value in zip(self.names, self.values, strict=True)
        }

    @property
    def device_name(self) -> str:
        return str(self.device.platform)


def _as_output_array(out: Any, source: str, jnp: Any) -> Any:
    if out is None:
        raise FunctionError(f"{source} returned None", hint="return the output array")
    if isinstance(out, (str, bytes)):
        raise FunctionError(f"{source} returned a string, not a number or array")
    if isinstance(out, dict):
        raise FunctionError(
            f"{source} returned a dict; jaccli differentiates array outputs",
            hint="return jnp.stack([...]) or one array",
        )
    if isinstance(out, (list, tuple)):
        try:
            return jnp.stack([jnp.asarray(item) for item in out])
        except (TypeError, ValueError) as exc:
            raise FunctionError(
                f"{source} returned a {type(out).__name__} that is not a rectangular array: {exc}"
            ) from None
    try:
        return jnp.asarray(out)
    except TypeError:
        raise FunctionError(
            f"{source} returned a {type(out).__name__}, not a number or array"
        ) from None


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
    except MemoryError:
        raise ResourceError("out of memory while computing", hint="use jvp/vjp/hvp") from None
    except jax.errors.TracerArrayConversionError as exc:
        raise _in_place_error(function, exc) or _conversion_error(function, exc) from exc
    except jax.errors.ConcretizationTypeError as exc:
        raise _concretization_error(function, exc) from exc
    except Exception as exc:
        raise _in_place_error(function, exc) or _raised_error(function, exc) from exc


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
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
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

    from ._load.loader import user_frame

    into_jax = isinstance(exc, TypeError) and "JAX arrays are immutable" in str(exc)
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
    import ast

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
    from ._load.loader import user_frame

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
    import ast

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
    import importlib

    module, _, name = path.rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None
    return path if callable(found) else None


def _concretization_error(function: Function, exc: BaseException) -> FunctionError:
    """A traced value where Python needs a concrete one: float(), int(), if, math.*."""
    import jax

    from ._load.loader import user_frame

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


def select_device(name: str = "auto") -> Any:
    """The JAX device for ``auto``, ``cpu`` or ``gpu`` (this process's own, in a distributed run)."""
    import jax

    if name == "auto":
        return jax.local_devices()[0]
    if name not in ("cpu", "gpu"):
        raise UsageError(f"--device must be auto, cpu or gpu, got {name!r}")
    try:
        return jax.local_devices(backend=name)[0]
    except RuntimeError:
        found = ", ".join(sorted({d.platform for d in jax.devices()}))
        raise UsageError(
            f"--device {name}: no {name.upper()} is visible to JAX (found: {found})",
            hint="install a CUDA-enabled JAX (pip install 'jax[cuda12]') or use --device cpu",
        ) from None


def prepare(
    function: Function,
    point: dict[str, Any],
    wrt: Sequence[str] | None = None,
    dtype: str = "float64",
    device: str = "auto",
) -> Problem:
    """Bind a point (``{param: value}``) to a function and find its output shape.

    The output shape comes from `jax.eval_shape`, so nothing is computed; a function with
    Python control flow on values is called once instead.
    """
    import jax
    import jax.numpy as jnp

    from ._derivatives import compute  # noqa: F401  (enables float64 before any array exists)

    if dtype not in DTYPES:
        raise UsageError(f"--dtype must be float64 or float32, got {dtype!r}")
    missing = [name for name in function.params if name not in point]
    if missing:
        raise ShapeError(f"no value for {', '.join(missing)} of {function.source}")
    names = tuple(point)
    wrt_names = tuple(wrt) if wrt else tuple(function.params)
    unknown = [name for name in wrt_names if name not in names]
    if unknown:
        raise UsageError(
            f"--wrt names {', '.join(unknown)}, which {function.source} does not take",
            hint="arguments: " + ", ".join(function.params),
        )
    if len(set(wrt_names)) != len(wrt_names):
        raise UsageError("--wrt names an argument twice")
    dev = select_device(device)
    real, cplx = DTYPES[dtype]

    def cast(leaf: Any) -> Any:
        array = np.asarray(leaf)
        target = cplx if array.dtype.kind == "c" else real
        return jax.device_put(jnp.asarray(array, dtype=target), dev)

    values = tuple(jax.tree_util.tree_map(cast, point[name]) for name in names)
    problem = Problem(function, names, values, wrt_names, dtype, dev)
    with guard_user_code(function), jax.default_device(dev):
        try:
            struct = jax.eval_shape(problem.call, *problem.primals)
        except Exception as exc:
            # A function that cannot be traced is called once with values instead; its
            # derivatives then fall back to eager AD or to finite differences.
            if not tracing_failure(exc):
                raise
            struct = problem.call(*problem.primals)
    if not hasattr(struct, "shape") or not hasattr(struct, "dtype"):
        raise FunctionError(f"{function.source} returned {type(struct).__name__}, not an array")
    if not jnp.issubdtype(struct.dtype, jnp.inexact):
        raise FunctionError(
            f"{function.source} returned {struct.dtype} values; derivatives need floating point",
            hint="make the output floating, e.g. x * 1.0 or jnp.asarray(y, float)",
        )
    problem.out_shape = tuple(struct.shape)
    problem.out_dtype = struct.dtype
    return problem


def _tree_shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _tree_shape(item) for key, item in value.items()}
    return tuple(np.shape(value))


def _tree_dtype(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(sorted({_tree_dtype(item) for item in value.values()}))
    return str(np.asarray(value).dtype) if not hasattr(value, "dtype") else str(value.dtype)


def _numpy(tree: Any) -> Any:
    import jax

    return jax.tree_util.tree_map(np.asarray, tree)


def _keyed(problem: Problem, per_arg: Sequence[Any]) -> Any:
    """One differentiated argument: its result as is; several: a dict keyed by argument name."""
    per_arg = [_numpy(item) for item in per_arg]
    if len(per_arg) == 1:
        return per_arg[0]
    return dict(zip(problem.wrt, per_arg, strict=True))


def _itemsize(problem: Problem) -> int:
    import jax

    complex_ = np.dtype(problem.out_dtype).kind == "c" or any(
        np.iscomplexobj(leaf) for leaf in jax.tree_util.tree_leaves(problem.primals)
    )
    return (16 if complex_ else 8) if problem.dtype == "float64" else (8 if complex_ else 4)


def guard_size(entries: int, itemsize: int, what: str, max_bytes: int) -> None:
    """Refuse a result of more than ``max_bytes`` before any memory is spent on it."""
    size = entries * itemsize
    if size > max_bytes:
        raise ResourceError(
            f"the {what} would take {size:,} bytes ({entries:,} entries), over the "
            f"--max-bytes limit of {max_bytes:,}",
            hint="use jvp/vjp (or hvp) for products without forming the matrix, "
            "or raise --max-bytes",
        )


def _finish(
    problem: Problem, command: str, mode: str, reason: str, derivative: Any, **kw: Any
) -> DerivativeResult:
    warnings = list(problem.warnings)
    if not derivative.compiled:
        warnings.append(
            "the function uses Python control flow on values and could not be compiled; "
            "computed eagerly at this point"
        )
    value = _numpy(derivative.value)
    result = kw.pop("result")
    bad = count_nonfinite(result) + count_nonfinite(value)
    if bad:
        warnings.append(
            f"{bad} non-finite entr{'y' if bad == 1 else 'ies'} (NaN or inf), written as null in JSON"
        )
    return DerivativeResult(
        command=command,
        function=problem.info(),
        at=problem.at(),
        value=value,
        mode=mode,
        mode_reason=reason,
        result=result,
        wrt=problem.wrt,
        dtype=problem.dtype,
        device=problem.device_name,
        warnings=tuple(warnings),
        nonfinite=bad,
        **kw,
    )


def _kind(problem: Problem) -> str:
    from ._derivatives import compute

    return compute.complex_kind(problem.primals, problem.out_dtype)


def _run(problem: Problem, transform: Callable[[], Any]) -> Any:
    import jax

    with guard_user_code(problem.function), jax.default_device(problem.device):
        return transform()


def jacobian_at(
    problem: Problem, mode: str = "auto", max_bytes: int = DEFAULT_MAX_BYTES
) -> DerivativeResult:
    """The Jacobian of a prepared problem, in the mode asked for or the cheaper one."""
    from ._derivatives import compute

    _check_mode(mode)
    guard_size(problem.n * problem.m, _itemsize(problem), "Jacobian", max_bytes)
    choice = compute.choose_mode(problem.n, problem.m, mode)
    kind = _kind(problem)
    try:
        derivative = _run(
            problem, lambda: compute.jacobian(problem.call, problem.primals, choice.mode, kind)
        )
    except FunctionError as exc:
        if not tracing_failure(exc.__cause__) or kind != "real":
            raise
        return finite_differences_at(problem, "jacobian", exc)
    return _finish(
        problem,
        "jacobian",
        choice.mode,
        choice.reason,
        derivative,
        result=_keyed(problem, derivative.result),
        holomorphic=kind == "holomorphic",
    )


def finite_differences_at(problem: Problem, command: str, cause: FunctionError) -> DerivativeResult:
    """The Jacobian or gradient of a function JAX cannot differentiate, from central differences
    with Richardson extrapolation: labelled ``"method": "finite_differences"``, with an error
    estimate for every entry, and a warning that says why AD was not used."""
    import jax

    from ._check import checks
    from ._derivatives import compute, fd

    flat = checks.flatten(problem)
    with guard_user_code(problem.function), jax.default_device(problem.device):
        value = problem.call(*problem.primals)
        again = problem.call(*problem.primals)
        if not np.array_equal(np.asarray(value), np.asarray(again), equal_nan=True):
            # Differences of a function that changes between calls are noise, not a derivative.
            raise FunctionError(
                cause.message,
                hint=f"{cause.hint}; finite differences cannot stand in: two calls at the same "
                "point gave different values",
            ) from cause

        # fd evaluates a function it cannot trace point by point, with values.
        estimate = fd.jacobian_central(flat.fn, flat.x)
    if not estimate.succeeded:
        raise cause
    worst = float(np.max(estimate.error_estimate)) if estimate.error_estimate.size else 0.0
    reason = (
        f"n={problem.n}, m={problem.m}: JAX cannot differentiate this function, so central "
        f"differences with Richardson extrapolation ({2 * 12 * problem.n} evaluations); "
        f"largest error estimate {worst:.3g}"
    )
    derivative = compute.Derivative(value=value, result=None, compiled=True)
    result = _finish(
        problem,
        command,
        "finite_differences",
        reason,
        derivative,
        result=checks.unflatten_jacobian(problem, estimate.estimate),
        extra={
            "method": "finite_differences",
            "method_reason": cause.message,
            "error_estimate": checks.unflatten_jacobian(problem, estimate.error_estimate),
        },
    )
    note = (
        f"computed by finite differences (see error_estimate), because JAX cannot "
        f"differentiate the function: {cause.message}"
    )
    return dataclasses.replace(result, warnings=(note, *result.warnings))


# A COO entry: an int64 row, an int64 column and a float64 value.
COO_ENTRY_BYTES = 24


def sparse_jacobian_at(
    problem: Problem, mode: str = "auto", max_bytes: int = DEFAULT_MAX_BYTES
) -> DerivativeResult:
    """The Jacobian as a sparse matrix: the structural pattern read from the traced program,
    its columns (forward) or rows (reverse) coloured, and one JVP or VJP per colour.

    The dense size limit does not apply; instead the pattern (as COO triplets) and the
    compressed products (colours × (n + m) numbers) must each fit in ``max_bytes``.
    The result is a `SparseJacobian` (COO over the flat ``(m, n)`` matrix); ``extra`` holds
    ``sparsity``: nnz, density, the colour count of both directions and the direction used.
    """
    from ._derivatives import coloring, compute
    from .results import SparseJacobian, input_leaves

    _check_mode(mode)
    pattern, plan, flat = _sparse_plan(problem, mode, max_bytes)
    chosen = plan.chosen
    work = chosen.count * (problem.n + problem.m)
    if work * _itemsize(problem) > max_bytes:
        raise ResourceError(
            f"the compressed Jacobian ({chosen.count:,} {chosen.products}s over n={problem.n:,}, "
            f"m={problem.m:,}) would take {work * _itemsize(problem):,} bytes, over the "
            f"--max-bytes limit of {max_bytes:,}",
            hint="the pattern needs too many colours for --sparse to pay off; use jvp/vjp "
            "for products, or raise --max-bytes",
        )
    value, compressed = _run(
        problem,
        lambda: coloring.compressed_jacobian(flat.fn, flat.x, chosen, problem.out_dtype),
    )
    rows, cols, values = coloring.decompress(pattern.matrix, chosen, compressed)
    at = problem.at()
    blocks, offset = [], 0
    for path, shape in input_leaves(problem.wrt, at):
        blocks.append((".".join(path), shape, offset))
        offset += int(np.prod(shape, dtype=np.int64))
    record = SparseJacobian(
        shape=(problem.m, problem.n),
        rows=rows,
        cols=cols,
        values=values,
        output_shape=tuple(problem.out_shape),
        blocks=tuple(blocks),
    )
    derivative = compute.Derivative(
        value=np.asarray(value).reshape(problem.out_shape), result=None, compiled=True
    )
    result = _finish(
        problem,
        "jacobian",
        chosen.direction,
        plan.reason,
        derivative,
        result=record,
        extra={"sparsity": _sparsity_fields(pattern, plan)},
    )
    return dataclasses.replace(result, warnings=(*result.warnings, *_dense_notes(pattern)))


def _check_mode(mode: str) -> None:
    if mode not in ("auto", "fwd", "rev", "forward", "reverse"):
        raise UsageError(f"--mode must be auto, fwd or rev, got {mode!r}")


def _sparse_plan(problem: Problem, mode: str, max_bytes: int) -> tuple[Any, Any, Any]:
    """The Jacobian's sparsity pattern, both colourings and the choice, and the flat view of the
    problem they refer to; refuses complex functions and patterns over ``max_bytes``."""
    from ._check import checks
    from ._derivatives import coloring, sparsity

    sparsity.require()
    if _kind(problem) != "real":
        raise UsageError(
            "--sparse supports real functions only; this one has complex values",
            hint="drop --sparse: the dense jacobian supports complex values",
        )
    flat = checks.flatten(problem)
    limit = max(max_bytes // COO_ENTRY_BYTES, 1)
    try:
        with guard_user_code(problem.function):
            try:
                pattern = sparsity.jacobian_pattern(flat.fn, flat.x, limit)
            except sparsity.PatternTooLarge as exc:
                raise ResourceError(
                    f"the sparsity pattern would hold {exc.entries:,} entries or more, over the "
                    f"{limit:,} ({COO_ENTRY_BYTES} bytes each) that --max-bytes {max_bytes:,} "
                    "allows",
                    hint="the Jacobian is not sparse enough for --sparse; use jvp/vjp for "
                    "products, or raise --max-bytes",
                ) from None
    except FunctionError as exc:
        if not tracing_failure(exc.__cause__):
            raise
        raise FunctionError(
            exc.message,
            hint="--sparse reads the pattern from the traced program; "
            + (exc.hint or "drop --sparse to compute the Jacobian another way"),
        ) from exc
    return pattern, coloring.plan(pattern.matrix, mode), flat


def _sparsity_fields(pattern: Any, plan: Any) -> dict[str, Any]:
    return {
        "nnz": pattern.nnz,
        "density": pattern.density,
        "colors": {"forward": plan.forward.count, "reverse": plan.reverse.count},
        "direction": plan.chosen.direction,
        "dense_operations": list(pattern.dense_operations),
    }


def _dense_notes(pattern: Any) -> tuple[str, ...]:
    if not pattern.dense_operations:
        return ()
    names = ", ".join(pattern.dense_operations)
    return (
        f"the sparsity pattern treats {names} as dense (every element it produces depends on "
        "all of its inputs), so it may hold more entries and need more colours than necessary",
    )


def _require_scalar(problem: Problem, command: str) -> None:
    if problem.out_shape != ():
        raise ShapeError(
            f"{command} needs a scalar-valued function, but {problem.function.source} returns "
            f"shape {problem.out_shape}",
            hint="use jacobian for vector outputs" if command == "grad" else "use hessian",
        )


def _require_real(problem: Problem, command: str) -> None:
    if _kind(problem) != "real":
        raise UsageError(
            f"{command} supports real functions only; this one has complex values",
            hint="jacobian, grad, jvp and vjp support complex values",
        )


def grad_at(problem: Problem, value: bool = True) -> DerivativeResult:
    """The gradient of a scalar-valued function: one reverse pass.

    ``value=False`` leaves the function's value out (``result.value`` is None): for outputs
    that do not show it (``.npy``, ``.npz``, CSV), where computing it beside a large gradient
    costs as much again as the gradient.
    """
    from ._derivatives import compute

    _require_scalar(problem, "grad")
    kind = _kind(problem)
    if kind == "complex_output":
        raise UsageError(
            "grad of a complex-valued function of real inputs is not defined", hint="use jacobian"
        )
    try:
        derivative = _run(
            problem,
            lambda: compute.grad(problem.call, problem.primals, kind, with_value=value),
        )
    except FunctionError as exc:
        if not tracing_failure(exc.__cause__) or kind != "real":
            raise
        return finite_differences_at(problem, "grad", exc)
    reason = f"n={problem.n}, m=1: a gradient is one reverse-mode pass (one VJP)"
    return _finish(
        problem,
        "grad",
        "reverse",
        reason,
        derivative,
        result=_keyed(problem, derivative.result),
        holomorphic=kind == "holomorphic",
    )


def hessian_at(problem: Problem, max_bytes: int = DEFAULT_MAX_BYTES) -> DerivativeResult:
    """The Hessian, forward-over-reverse; nested by argument pair when there are several."""
    from ._derivatives import compute

    _require_real(problem, "hessian")
    n = problem.n
    guard_size(problem.m * n * n, _itemsize(problem), "Hessian", max_bytes)
    derivative = _run(problem, lambda: compute.hessian(problem.call, problem.primals))
    rows = [_keyed(problem, row) for row in derivative.result]
    result = rows[0] if len(rows) == 1 else dict(zip(problem.wrt, rows, strict=True))
    reason = (
        f"n={n}, m={problem.m}: forward-over-reverse, {n} JVP{'s' if n != 1 else ''} "
        "of the reverse-mode gradient"
    )
    return _finish(problem, "hessian", "forward-over-reverse", reason, derivative, result=result)


def tangent_parts(problem: Problem, v: Any, option: str) -> tuple[Any, ...]:
    """Split a vector into one part per differentiated argument: one value, a tuple, or a dict."""
    if isinstance(v, dict) and len(problem.wrt) > 1:
        missing = [name for name in problem.wrt if name not in v]
        if missing or len(v) != len(problem.wrt):
            raise ShapeError(f"{option} must give {', '.join(problem.wrt)}; got {', '.join(v)}")
        parts = tuple(v[name] for name in problem.wrt)
    elif isinstance(v, (tuple, list)) and len(problem.wrt) > 1 and len(v) == len(problem.wrt):
        parts = tuple(v)
    elif len(problem.wrt) == 1:
        parts = (v,)
    else:
        raise ShapeError(
            f"{option} must give one vector per differentiated argument ({', '.join(problem.wrt)})",
            hint=f"name them: {option} " + ",".join(f"{n}=..." for n in problem.wrt),
        )
    return parts


def _bind_tangent(problem: Problem, v: Any, option: str) -> tuple[Any, ...]:
    """Match a vector to the differentiated arguments, checking shapes and casting to their dtype."""
    import jax
    import jax.numpy as jnp

    parts = tangent_parts(problem, v, option)
    tangents = []
    for name, primal, part in zip(problem.wrt, problem.primals, parts, strict=True):
        want = jax.tree_util.tree_structure(primal)
        got = jax.tree_util.tree_structure(part)
        if want != got:
            raise ShapeError(f"{option} for {name} must have the structure of {name}")

        def cast(p: Any, t: Any, name: str = name) -> Any:
            t = np.asarray(t)
            if t.shape != np.shape(p):
                raise ShapeError(
                    f"{option} has shape {_fmt(t.shape)} but the input {name} has shape "
                    f"{_fmt(np.shape(p))}"
                )
            if t.dtype.kind == "c" and not jnp.iscomplexobj(p):
                raise ShapeError(f"{option} is complex but the input {name} is real")
            return jax.device_put(jnp.asarray(t, dtype=p.dtype), problem.device)

        tangents.append(jax.tree_util.tree_map(cast, primal, part))
    return tuple(tangents)


def _fmt(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def jvp_at(problem: Problem, v: Any) -> DerivativeResult:
    """J·v in one forward pass; ``v`` is shaped like the differentiated input(s)."""
    from ._derivatives import compute

    kind = _kind(problem)
    if kind == "complex_input":
        raise UsageError(
            "jvp of a real-valued function of complex inputs is not defined here",
            hint="use jacobian or grad",
        )
    tangents = _bind_tangent(problem, v, "--v")
    derivative = _run(problem, lambda: compute.jvp(problem.call, problem.primals, tangents))
    reason = f"n={problem.n}, m={problem.m}: one forward-mode pass (one JVP); J is never formed"
    return _finish(
        problem,
        "jvp",
        "forward",
        reason,
        derivative,
        result=_numpy(derivative.result),
        v=_keyed(problem, tangents),
        holomorphic=kind == "holomorphic",
    )


def vjp_at(problem: Problem, v: Any) -> DerivativeResult:
    """vᵀ·J in one reverse pass; ``v`` is shaped like the output."""
    import jax
    import jax.numpy as jnp

    from ._derivatives import compute

    kind = _kind(problem)
    if kind in ("complex_input", "complex_output"):
        raise UsageError(
            "vjp of a function that is neither real nor holomorphic is not defined here",
            hint="use jacobian",
        )
    cotangent = np.asarray(v)
    if cotangent.shape != problem.out_shape:
        raise ShapeError(
            f"--v has shape {_fmt(cotangent.shape)} but the output has shape "
            f"{_fmt(problem.out_shape)}"
        )
    if cotangent.dtype.kind == "c" and kind != "holomorphic":
        raise ShapeError("--v is complex but the output is real")
    cot = jax.device_put(jnp.asarray(cotangent, dtype=problem.out_dtype), problem.device)
    primals = problem.primals
    if kind == "holomorphic":
        primals = jax.tree_util.tree_map(lambda a: a + 0j, primals)
    derivative = _run(problem, lambda: compute.vjp(problem.call, primals, cot))
    reason = f"n={problem.n}, m={problem.m}: one reverse-mode pass (one VJP); J is never formed"
    return _finish(
        problem,
        "vjp",
        "reverse",
        reason,
        derivative,
        result=_keyed(problem, derivative.result),
        v=np.asarray(cot),
        holomorphic=kind == "holomorphic",
    )


def hvp_at(problem: Problem, v: Any, value: bool = True) -> DerivativeResult:
    """H·v, forward-over-reverse, without forming H; ``v`` is shaped like the input(s).

    ``value=False`` leaves the function's value out, as for `grad_at`.
    """
    from ._derivatives import compute

    _require_scalar(problem, "hvp")
    _require_real(problem, "hvp")
    tangents = _bind_tangent(problem, v, "--v")
    derivative = _run(
        problem,
        lambda: compute.hvp(problem.call, problem.primals, tangents, with_value=value),
    )
    reason = f"n={problem.n}, m=1: forward-over-reverse, one JVP of the gradient; H is never formed"
    return _finish(
        problem,
        "hvp",
        "forward-over-reverse",
        reason,
        derivative,
        result=_keyed(problem, derivative.result),
        v=_keyed(problem, tangents),
    )


def info_at(
    problem: Problem, mode: str = "auto", sparse: bool = False, max_bytes: int = DEFAULT_MAX_BYTES
) -> InfoResult:
    """Shapes, sizes and the mode ``jacobian`` would use, computing no derivative.

    With ``sparse``, also the sparsity pattern's nnz and density and the colour counts of both
    directions (the program is traced, nothing is differentiated); the mode is then the sparse
    choice.
    """
    from ._derivatives import compute

    choice = compute.choose_mode(problem.n, problem.m, mode)
    mode_used, reason, sparsity, notes = choice.mode, choice.reason, None, ()
    if sparse:
        _check_mode(mode)
        pattern, plan, _ = _sparse_plan(problem, mode, max_bytes)
        mode_used, reason = plan.chosen.direction, plan.reason
        sparsity, notes = _sparsity_fields(pattern, plan), _dense_notes(pattern)
    itemsize = _itemsize(problem)
    jac_shape: Any
    if len(problem.wrt) == 1:
        jac_shape = _shape_tree(problem.out_shape, problem.primals[0])
    else:
        jac_shape = {
            name: _shape_tree(problem.out_shape, value)
            for name, value in zip(problem.wrt, problem.primals, strict=True)
        }
    return InfoResult(
        function=problem.info(),
        at=problem.at(),
        wrt=problem.wrt,
        n=problem.n,
        m=problem.m,
        mode=mode_used,
        mode_reason=reason,
        jacobian_shape=jac_shape,
        jacobian_bytes=problem.n * problem.m * itemsize,
        hessian_bytes=problem.n * problem.n * problem.m * itemsize,
        dtype=problem.dtype,
        device=problem.device_name,
        warnings=(*problem.warnings, *notes),
        sparsity=sparsity,
    )


def _shape_tree(out_shape: tuple[int, ...], value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _shape_tree(out_shape, item) for key, item in value.items()}
    return out_shape + tuple(np.shape(value))


# --- The Python API (SPEC §10) -------------------------------------------------------------


def _problem(f: Any, args: tuple[Any, ...], wrt: Any, dtype: str, device: str) -> Problem:
    function, point, wrt = _bind(f, args, wrt)
    return prepare(function, point, wrt, dtype=dtype, device=device)


def _bind(
    f: Any, args: tuple[Any, ...] | None, wrt: Any
) -> tuple[Function, dict[str, Any] | None, list[str] | None]:
    """The function, its point ``{param: value}`` from ``args`` (one per parameter; None gives
    no point), and ``wrt`` as parameter names (given as names or indices)."""
    function = f if isinstance(f, Function) else from_callable(f)
    if args is not None and len(args) != len(function.params):
        raise ShapeError(
            f"{function.source} takes {len(function.params)} argument"
            f"{'s' if len(function.params) != 1 else ''} ({', '.join(function.params)}); "
            f"got {len(args)}"
        )
    if isinstance(wrt, (str, int)):
        wrt = [wrt]
    if wrt is not None:
        count = len(function.params)
        bad = [w for w in wrt if isinstance(w, int) and not -count <= w < count]
        if bad:
            raise UsageError(
                f"wrt={bad[0]} is out of range: {function.source} takes {count} argument"
                f"{'s' if count != 1 else ''} ({', '.join(function.params)})"
            )
        wrt = [function.params[w] if isinstance(w, int) else w for w in wrt]
    if args is None:
        return function, None, wrt
    point = {name: _as_value(arg) for name, arg in zip(function.params, args, strict=True)}
    return function, point, wrt


def _as_value(arg: Any) -> Any:
    if isinstance(arg, dict):
        return {key: _as_value(item) for key, item in arg.items()}
    try:
        array = np.asarray(arg)
    except ValueError as exc:
        raise UsageError(f"arguments must be rectangular arrays: {exc}") from None
    if array.dtype.kind in "biu":
        array = array.astype(np.float64)
    if array.dtype.kind not in "fc":
        raise UsageError(f"arguments must be numbers or arrays, got {array.dtype}")
    return array


def jacobian(
    f: Any,
    *args: Any,
    wrt: Any = None,
    mode: str = "auto",
    dtype: str = "float64",
    device: str = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    sparse: bool = False,
) -> DerivativeResult:
    """The Jacobian of ``f`` at ``args`` (one per positional parameter).

    Args:
        f: a callable, or a `Function` from `load` / `parse_expr`.
        *args: the point: one array (or dict of arrays) per positional parameter.
        wrt: names (or indices) of the parameters to differentiate; default all.
        mode: ``"auto"`` (the cheaper of forward and reverse), ``"fwd"`` or ``"rev"``.
        sparse: detect the sparsity pattern and compute one JVP/VJP per colour (real
            functions; needs SciPy).

    Returns:
        a `DerivativeResult`; ``.result`` is ``output_shape + input_shape``, keyed by
        parameter name when several are differentiated — with ``sparse``, a `SparseJacobian`
        (COO triplets of the flat ``(m, n)`` matrix; ``.to_scipy()``); ``.to_dict()`` is the
        CLI's JSON.

    >>> import jax.numpy as jnp
    >>> jacobian(lambda x: jnp.sin(x), [0.0, 1.0]).result.round(3).tolist()
    [[1.0, 0.0], [0.0, 0.54]]
    >>> jacobian(lambda x: x[1:] - x[:-1], [0.0, 1.0, 3.0], sparse=True).result.values.tolist()
    [-1.0, 1.0, -1.0, 1.0]
    """
    problem = _problem(f, args, wrt, dtype, device)
    if sparse:
        return sparse_jacobian_at(problem, mode, max_bytes)
    return jacobian_at(problem, mode, max_bytes)


def grad(
    f: Any, *args: Any, wrt: Any = None, dtype: str = "float64", device: str = "auto"
) -> DerivativeResult:
    """The gradient of a scalar-valued ``f`` at ``args`` (reverse mode)."""
    return grad_at(_problem(f, args, wrt, dtype, device))


def hessian(
    f: Any,
    *args: Any,
    wrt: Any = None,
    dtype: str = "float64",
    device: str = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> DerivativeResult:
    """The Hessian of ``f`` at ``args`` (forward-over-reverse)."""
    return hessian_at(_problem(f, args, wrt, dtype, device), max_bytes)


def jvp(
    f: Any, *args: Any, v: Any, wrt: Any = None, dtype: str = "float64", device: str = "auto"
) -> DerivativeResult:
    """J·v: ``v`` shaped like the differentiated argument (a tuple or dict for several)."""
    problem = _problem(f, args, wrt, dtype, device)
    return jvp_at(problem, _tree_value(v, len(problem.wrt)))


def vjp(
    f: Any, *args: Any, v: Any, wrt: Any = None, dtype: str = "float64", device: str = "auto"
) -> DerivativeResult:
    """vᵀ·J: ``v`` shaped like the output."""
    return vjp_at(_problem(f, args, wrt, dtype, device), _as_value(v))


def hvp(
    f: Any, *args: Any, v: Any, wrt: Any = None, dtype: str = "float64", device: str = "auto"
) -> DerivativeResult:
    """H·v without forming H: ``v`` shaped like the differentiated argument."""
    problem = _problem(f, args, wrt, dtype, device)
    return hvp_at(problem, _tree_value(v, len(problem.wrt)))


def info(
    f: Any,
    *args: Any,
    wrt: Any = None,
    mode: str = "auto",
    dtype: str = "float64",
    device: str = "auto",
    sparse: bool = False,
) -> InfoResult:
    """Shapes, sizes and the mode a Jacobian would use at ``args``, computing no derivative;
    with ``sparse``, also its sparsity (nnz, density, colours of both directions)."""
    return info_at(_problem(f, args, wrt, dtype, device), mode, sparse=sparse)


def check(
    f: Any,
    *args: Any,
    wrt: Any = None,
    order: int = 1,
    rtol: float | None = None,
    atol: float | None = None,
    against: Sequence[str] | None = None,
    dtype: str = "float64",
    device: str = "auto",
) -> DerivativeResult:
    """Check the AD Jacobian (``order=2``: Hessian) of ``f`` at ``args`` against SymPy, central
    differences and the complex step; ``.extra`` holds ``passed``, ``references``, ``diagnoses``.

    >>> check(lambda x: x ** 3, 2.0, against=["fd"]).extra["passed"]
    True
    """
    from ._check import checks

    names = checks.parse_against(",".join(against)) if against else checks.REFERENCES
    problem = _problem(f, args, wrt, dtype, device)
    return checks.check_at(problem, order=order, rtol=rtol, atol=atol, against=names)


def sensitivity(
    f: Any,
    *args: Any,
    wrt: Any = None,
    dx: Any = None,
    rel_dx: float | None = None,
    sigma: Any = None,
    cov: Any = None,
    bounds: Any = None,
    method: str | None = None,
    samples: int | None = None,
    seed: int = 0,
    top: int | None = None,
    dtype: str = "float64",
    device: str = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Any:
    """Local sensitivity at ``args``, or global sensitivity over ``bounds``.

    Local (no ``bounds``): the Jacobian, elasticities and a ranking; ``dx``/``rel_dx`` add the
    linear prediction beside the actual change, ``sigma``/``cov`` the propagated uncertainty.
    Global: ``bounds`` as ``"x=-pi:pi,y=normal(0,1)"`` or ``{"x": (-3, 3)}``; ``method`` is
    ``"dgsm"`` (default), ``"sobol"`` or ``"morris"``; ``args``, if given, fix the shapes.
    ``.to_dict()`` is the CLI's JSON.

    >>> from jaccli import parse_expr
    >>> sensitivity(parse_expr("x**2 * y**3"), 2.0, 1.0).fields["ranking"]
    ['y', 'x']
    """
    from ._sensitivity import sensitivities

    if bounds is None:
        if method not in (None, "local"):
            raise UsageError(f"method={method!r} needs bounds: the range of every input")
        problem = _problem(f, args, wrt, dtype, device)
        parts = len(problem.wrt)
        return sensitivities.local_at(
            problem,
            dx=None if dx is None else _tree_value(dx, parts),
            rel_dx=rel_dx,
            sigma=None if sigma is None else _tree_value(sigma, parts),
            cov=None if cov is None else _as_value(cov),
            top=top,
            max_bytes=max_bytes,
        )
    if any(option is not None for option in (dx, rel_dx, sigma, cov)):
        raise UsageError("dx, rel_dx, sigma and cov are for a local analysis (without bounds)")
    # Without args there is no point: the shapes come from the expression or the bounds.
    function, point, wrt = _bind(f, args or None, wrt)
    problem, distributions = sensitivities.prepare_global(
        function, bounds, point, wrt, dtype=dtype, device=device
    )
    return sensitivities.global_at(
        problem, distributions, method or "dgsm", samples, seed, top=top, max_bytes=max_bytes
    )


def symbolic(f: Any, *args: Any, wrt: Any = None, order: int = 1, syntax: str = "text") -> Any:
    """The Jacobian (``order=2``: Hessian) of ``f`` as SymPy formulas, traced at ``args``.

    >>> from jaccli import parse_expr
    >>> symbolic(parse_expr("x**2 * y"), 1.0, 1.0).result
    {'x': '2*x*y', 'y': 'x**2'}
    """
    return symbolic_at(_problem(f, args, wrt, "float64", "auto"), order, syntax)


def _tree_value(v: Any, parts: int) -> Any:
    """A tangent: one value, or a tuple/list with one value per differentiated argument."""
    if isinstance(v, (tuple, list)) and parts > 1:
        return tuple(_as_value(item) for item in v)
    return _as_value(v)


def symbolic_at(problem: Problem, order: int = 1, syntax: str = "text") -> Any:
    """The symbolic Jacobian (``order=2``: Hessian) from SymPy, as strings in SymPy syntax
    (``syntax="text"``) or LaTeX, simplified where small and with common subexpressions
    pulled out where large."""
    from ._symbolic import symbolic
    from .results import SymbolicResult

    if order not in (1, 2):
        raise UsageError(f"--order must be 1 or 2, got {order}")
    sym = symbolic.to_sympy(problem)
    derivative = symbolic.jacobian(sym) if order == 1 else symbolic.hessian(sym)
    text = symbolic.to_text(derivative, format=syntax)
    inputs = derivative.inputs
    several = len({inp.arg for inp in inputs}) > 1
    columns = tuple(str(s) for inp in inputs for s in inp.symbols)

    def block(node: Any, inp: Any) -> Any:
        if several:
            node = node[inp.arg]
        for key in inp.path:
            node = node[key]
        return node

    if order == 1:
        m = problem.m
        flat = np.concatenate(
            [
                np.array(block(text.result, inp), dtype=object).reshape(m, inp.size)
                for inp in inputs
            ],
            axis=1,
        )
        rows = tuple(
            "f" + ("[" + ",".join(map(str, i)) + "]" if i else "")
            for i in (np.ndindex(problem.out_shape) if problem.out_shape else [()])
        )
    else:
        flat = np.concatenate(
            [
                np.concatenate(
                    [
                        np.array(block(block(text.result, row), col), dtype=object).reshape(
                            row.size, col.size
                        )
                        for col in inputs
                    ],
                    axis=1,
                )
                for row in inputs
            ],
            axis=0,
        )
        rows = columns
    warnings = ()
    if text.replacements:
        first = text.replacements[0][0]
        warnings = (
            f"{len(text.replacements)} common subexpressions are named first "
            f"({first}, ...) and used in the entries",
        )
    return SymbolicResult(
        function=problem.info(),
        kind="jacobian" if order == 1 else "hessian",
        wrt=problem.wrt,
        syntax="latex" if syntax == "latex" else "sympy",
        result=text.result,
        matrix=tuple(tuple(str(cell) for cell in row) for row in flat),
        rows=rows,
        columns=columns,
        replacements=text.replacements,
        warnings=warnings,
    )
