"""A function bound to a point: what to differentiate, where, in which dtype, on which device.

`prepare` binds the point, casts it, and finds the output's shape without computing anything;
every operation then runs on the `Problem`. JAX is imported only when a problem is prepared.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _runtime as runtime
from .._load.loader import Function, user_output_to_stderr
from ..errors import FunctionError, ResourceError, ShapeError, UsageError
from ..results import FunctionInfo, InputInfo
from .labels import PYTHON, Labels
from .user_errors import guard_user_code, out_of_memory, tracing_failure

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
    labels: Labels = PYTHON

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

    @property
    def kind(self) -> str:
        """``real``, ``holomorphic``, ``complex_input`` or ``complex_output`` (see compute)."""
        from .._derivatives import compute

        return compute.complex_kind(self.primals, self.out_dtype)

    @property
    def itemsize(self) -> int:
        """Bytes per entry of a derivative: complex where the input or the output is."""
        import jax

        complex_ = np.dtype(self.out_dtype).kind == "c" or any(
            np.iscomplexobj(leaf) for leaf in jax.tree_util.tree_leaves(self.primals)
        )
        return (16 if complex_ else 8) if self.dtype == "float64" else (8 if complex_ else 4)

    @property
    def device_name(self) -> str:
        return str(self.device.platform)

    def call(self, *wrt_values: Any) -> Any:
        """Call the user's function with the differentiated arguments replaced by ``wrt_values``."""
        import jax.numpy as jnp

        args = list(self.values)
        for i, value in zip(self.wrt_index, wrt_values, strict=True):
            args[i] = value
        with user_output_to_stderr():
            out = self.function.fn(*args)
        if not runtime.float64_enabled():
            raise FunctionError(
                f"{self.function.source} turned float64 off (jax_enable_x64) while it ran; "
                "jaccli needs it on to compute in the precision it reports",
                hint="remove that line; jaccli chooses the precision (float64, or float32 with "
                f"{self.labels('dtype')} float32)",
            )
        return _as_output_array(out, self.function.source, jnp)

    @contextlib.contextmanager
    def run_context(self) -> Iterator[None]:
        """On the problem's device, with failures inside blamed on the user's code."""
        import jax

        with guard_user_code(self.function), jax.default_device(self.device):
            yield

    def run(self, transform: Callable[[], Any]) -> Any:
        """Run ``transform`` on the problem's device, its failures blamed on the user's code."""
        with self.run_context():
            return transform()

    def keyed(self, per_arg: Sequence[Any]) -> Any:
        """One differentiated argument: its result as is; several: a dict keyed by argument."""
        per_arg = [to_numpy(item) for item in per_arg]
        if len(per_arg) == 1:
            return per_arg[0]
        return dict(zip(self.wrt, per_arg, strict=True))

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
        return {name: to_numpy(value) for name, value in zip(self.names, self.values, strict=True)}

    def require_scalar(self, command: str) -> None:
        """Refuse ``command`` unless the function is scalar-valued."""
        if self.out_shape != ():
            raise ShapeError(
                f"{command} needs a scalar-valued function, but {self.function.source} returns "
                f"shape {self.out_shape}",
                hint="use jacobian for vector outputs" if command == "grad" else "use hessian",
            )

    def require_real(self, command: str) -> None:
        """Refuse ``command`` unless inputs and output are real."""
        if self.kind != "real":
            raise UsageError(
                f"{command} supports real functions only; this one has complex values",
                hint="jacobian, grad, jvp and vjp support complex values",
            )

    def guard_size(self, entries: int, what: str, max_bytes: int, itemsize: int = 0) -> None:
        """Refuse a result of ``entries`` entries over ``max_bytes`` before memory is spent."""
        guard_size(entries, itemsize or self.itemsize, what, max_bytes, self.labels)


def to_numpy(tree: Any) -> Any:
    """A pytree of arrays as NumPy arrays; exit 4 when the computation ran out of memory."""
    import jax

    try:
        # A failed allocation surfaces here as an error; NumPy's view of the same failed
        # buffer would abort the process in XLA's native code instead.
        jax.block_until_ready(tree)
    except RuntimeError as exc:
        raise out_of_memory(exc) or exc from None
    return jax.tree_util.tree_map(np.asarray, tree)


def guard_size(
    entries: int, itemsize: int, what: str, max_bytes: int, labels: Labels = PYTHON
) -> None:
    """Refuse a result of more than ``max_bytes`` before any memory is spent on it."""
    size = entries * itemsize
    if size > max_bytes:
        limit = labels("max_bytes")
        raise ResourceError(
            f"the {what} would take {size:,} bytes ({entries:,} entries), over the "
            f"{limit} limit of {max_bytes:,}",
            hint=f"use jvp/vjp (or hvp) for products without forming the matrix, or raise {limit}",
        )


def select_device(name: str = "auto", labels: Labels = PYTHON) -> Any:
    """The JAX device for ``auto``, ``cpu`` or ``gpu`` (this process's own, in a distributed run)."""
    import jax

    if name == "auto":
        return jax.local_devices()[0]
    if name not in ("cpu", "gpu"):
        raise UsageError(f"{labels('device')} must be auto, cpu or gpu, got {name!r}")
    try:
        return jax.local_devices(backend=name)[0]
    except RuntimeError:
        found = ", ".join(sorted({d.platform for d in jax.devices()}))
        raise UsageError(
            f"{labels('device')} {name}: no {name.upper()} is visible to JAX (found: {found})",
            hint="install a CUDA-enabled JAX (pip install 'jax[cuda12]') or use "
            f"{labels('device')} cpu",
        ) from None


def prepare(
    function: Function,
    point: dict[str, Any],
    wrt: Sequence[str] | None = None,
    dtype: str = "float64",
    device: str = "auto",
    labels: Labels = PYTHON,
) -> Problem:
    """Bind a point (``{param: value}``) to a function and find its output shape.

    The output shape comes from `jax.eval_shape`, so nothing is computed; a function with
    Python control flow on values is called once instead.
    """
    runtime.enable_float64()
    import jax

    if dtype not in DTYPES:
        raise UsageError(f"{labels('dtype')} must be float64 or float32, got {dtype!r}")
    missing = [name for name in function.params if name not in point]
    if missing:
        raise ShapeError(f"no value for {', '.join(missing)} of {function.source}")
    wrt_names = _wrt_names(function, tuple(point), wrt, labels)
    dev = select_device(device, labels)
    values = tuple(_cast(point[name], dtype, dev) for name in point)
    problem = Problem(function, tuple(point), values, wrt_names, dtype, dev, labels=labels)
    if problem.n == 0:
        shapes = ", ".join(f"{name}: shape {_tree_shape(point[name])}" for name in wrt_names)
        raise ShapeError(
            f"there is nothing to differentiate: the point has no entries ({shapes})",
            hint="give each differentiated input at least one entry",
        )
    with guard_user_code(function), jax.default_device(dev):
        try:
            struct = jax.eval_shape(problem.call, *problem.primals)
        except Exception as exc:
            # A function that cannot be traced is called once with values instead; its
            # derivatives then fall back to eager AD or to finite differences.
            if not tracing_failure(exc):
                raise
            struct = problem.call(*problem.primals)
    problem.out_shape, problem.out_dtype = _output_struct(function, struct)
    if problem.m == 0:
        raise FunctionError(
            f"{function.source} returned an empty array (shape {problem.out_shape}); there is "
            "nothing to differentiate",
            hint="return at least one entry",
        )
    return problem


def _wrt_names(
    function: Function, names: tuple[str, ...], wrt: Sequence[str] | None, labels: Labels
) -> tuple[str, ...]:
    wrt_names = tuple(wrt) if wrt else tuple(function.params)
    unknown = [name for name in wrt_names if name not in names]
    if unknown:
        raise UsageError(
            f"{labels('wrt')} names {', '.join(unknown)}, which {function.source} does not take",
            hint="arguments: " + ", ".join(function.params),
        )
    if len(set(wrt_names)) != len(wrt_names):
        raise UsageError(f"{labels('wrt')} names an argument twice")
    return wrt_names


def _cast(value: Any, dtype: str, device: Any) -> Any:
    """A point's value as JAX arrays of the chosen precision (complex kept complex), on device."""
    import jax
    import jax.numpy as jnp

    real, cplx = DTYPES[dtype]

    def cast(leaf: Any) -> Any:
        array = np.asarray(leaf)
        target = cplx if array.dtype.kind == "c" else real
        return jax.device_put(jnp.asarray(array, dtype=target), device)

    return jax.tree_util.tree_map(cast, value)


def _output_struct(function: Function, struct: Any) -> tuple[tuple[int, ...], Any]:
    import jax.numpy as jnp

    if not hasattr(struct, "shape") or not hasattr(struct, "dtype"):
        raise FunctionError(f"{function.source} returned {type(struct).__name__}, not an array")
    if not jnp.issubdtype(struct.dtype, jnp.inexact):
        raise FunctionError(
            f"{function.source} returned {struct.dtype} values; derivatives need floating point",
            hint="make the output floating, e.g. x * 1.0 or jnp.asarray(y, float)",
        )
    return tuple(struct.shape), struct.dtype


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


def _tree_shape(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _tree_shape(item) for key, item in value.items()}
    return tuple(np.shape(value))


def _tree_dtype(value: Any) -> str:
    if isinstance(value, dict):
        return ",".join(sorted({_tree_dtype(item) for item in value.values()}))
    return str(np.asarray(value).dtype) if not hasattr(value, "dtype") else str(value.dtype)
