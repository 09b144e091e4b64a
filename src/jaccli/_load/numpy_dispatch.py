"""Plain-NumPy function files, differentiated through jax.numpy.

NumPy cannot see JAX's traced values: ``np.sin(x)`` on a traced ``x`` fails, and
``np.array([x[0], x[1]])`` would lose the derivative. After a function file has run, `map_numpy`
rebinds the file's own globals that refer to NumPy — the module under any alias, its ``linalg``
and ``fft`` submodules, and functions imported by name (``from numpy import sin``) — to `Twin`
callables. A twin calls its ``jax.numpy`` namesake when an argument holds a JAX array (traced or
not) and NumPy itself otherwise, so constants, shapes and scratch arrays keep NumPy's meaning and
everything that depends on the inputs is traced. Names without a ``jax.numpy`` namesake
(``np.random``, ``np.vectorize``, dtypes such as ``np.float64``) stay NumPy; when they meet a
traced value they fail, and `jaccli._problem.guard_user_code` says which line and what to write.

Nothing here imports NumPy or JAX: a JAX value can only exist once JAX is imported, so a twin
looks ``jax.numpy`` up the first time it sees one, and ``jaccli --help`` stays fast.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable, MutableMapping
from typing import Any

# Submodules with a jax.numpy namesake; other submodules (random, polynomial, ...) stay NumPy.
_SUBMODULES = ("linalg", "fft")
# NumPy names whose jax.numpy equivalent has another name.
_ALIASES = {
    "asanyarray": "asarray",
    "ascontiguousarray": "asarray",
    "asfortranarray": "asarray",
    "fix": "trunc",
    "row_stack": "vstack",
}
# jax.numpy refuses Python lists where NumPy takes any array-like (``np.sum([a, b])``).
_LIST_REFUSED = "requires ndarray or scalar arguments"


class Twin:
    """A NumPy function that runs as its ``jax.numpy`` namesake when given JAX values.

    Attribute access reaches the NumPy function (``np.add.reduce`` is a twin too), so a twin
    reads like the function it stands for.
    """

    __slots__ = ("_jax", "_numpy", "_path")

    def __init__(self, numpy_fn: Any, path: tuple[str, ...]) -> None:
        self._numpy = numpy_fn
        self._path = path
        self._jax: Any = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        jax_array = _jax_array_type()
        if jax_array is None or not _holds(jax_array, (*args, *kwargs.values())):
            return self._numpy(*args, **kwargs)
        jax_fn = self._jax_fn()
        if jax_fn is None:
            return self._numpy(*args, **kwargs)
        try:
            return jax_fn(*args, **kwargs)
        except TypeError as exc:
            if _LIST_REFUSED not in str(exc):
                raise
        args = tuple(_array_like(arg, jax_array) for arg in args)
        kwargs = {key: _array_like(value, jax_array) for key, value in kwargs.items()}
        return jax_fn(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name in Twin.__slots__:
            # Only reached before __init__ has run (copy, pickle): no recursion into _numpy.
            raise AttributeError(name)
        value = getattr(self._numpy, name)
        if _is_function(value):
            return Twin(value, (*self._path, name))
        return value

    def __repr__(self) -> str:
        return f"<numpy.{'.'.join(self._path)}, as jax.numpy on JAX values>"

    def _jax_fn(self) -> Any:
        if self._jax is None:
            import jax.numpy as jnp

            target: Any = jnp
            path = (_ALIASES.get(self._path[0], self._path[0]), *self._path[1:])
            for name in path:
                target = getattr(target, name, None)
            self._jax = target if callable(target) else False
        return self._jax or None


class NumpyProxy(types.ModuleType):
    """A NumPy module whose functions are `Twin`s; every other attribute is NumPy's own."""

    def __init__(self, module: types.ModuleType, path: tuple[str, ...] = ()) -> None:
        super().__init__(module.__name__, module.__doc__)
        self.__dict__["_jaccli_numpy"] = module
        self.__dict__["_jaccli_path"] = path

    def __getattr__(self, name: str) -> Any:
        module = self.__dict__["_jaccli_numpy"]
        path = self.__dict__["_jaccli_path"]
        value = getattr(module, name)
        if isinstance(value, types.ModuleType) and not path and name in _SUBMODULES:
            value = NumpyProxy(value, (name,))
        elif _is_function(value):
            value = Twin(value, (*path, name))
        # Cache, so a name is looked up once and `np.sin is np.sin` holds.
        self.__dict__[name] = value
        return value

    def __dir__(self) -> list[str]:
        return dir(self.__dict__["_jaccli_numpy"])

    def __repr__(self) -> str:
        return f"<module {self.__name__!r}, as jax.numpy on JAX values>"


def map_numpy(namespace: MutableMapping[str, Any]) -> tuple[str, ...]:
    """Rebind a module's NumPy names to twins that trace JAX values; return the names rebound.

    ``namespace`` is the ``__dict__`` of a module that jaccli itself created by running a
    function file; code that already ran keeps the NumPy values it computed.

    >>> import numpy
    >>> namespace = {"np": numpy, "sin": numpy.sin, "norm": numpy.linalg.norm, "pi": 3.14}
    >>> map_numpy(namespace)
    ('np', 'sin', 'norm')
    >>> float(namespace["np"].sin(0.0)), float(namespace["norm"]([3.0, 4.0]))
    (0.0, 5.0)
    """
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return ()
    modules = {id(numpy): ()} | {id(sub): (name,) for name, sub in _loaded_submodules().items()}
    rebound = []
    for name, value in list(namespace.items()):
        if isinstance(value, (NumpyProxy, Twin)):
            continue
        if isinstance(value, types.ModuleType) and id(value) in modules:
            path = modules[id(value)]
            namespace[name] = NumpyProxy(value, path)
            rebound.append(name)
        elif _is_function(value):
            path = _numpy_path(value, numpy)
            if path is not None:
                namespace[name] = Twin(value, path)
                rebound.append(name)
    return tuple(rebound)


def _numpy_path(value: Any, numpy: types.ModuleType) -> tuple[str, ...] | None:
    """Where ``value`` lives in NumPy's public namespace (``("linalg", "norm")``), if it does."""
    name = getattr(value, "__name__", None)
    if not isinstance(name, str):
        return None
    if getattr(numpy, name, None) is value:
        return (name,)
    for sub, module in _loaded_submodules().items():
        if getattr(module, name, None) is value:
            return (sub, name)
    return None


def _loaded_submodules() -> dict[str, types.ModuleType]:
    """NumPy's submodules that someone imported. One nobody imported holds nothing the user's
    code can have, and asking NumPy for it would import it (``numpy.fft``: a cost on every run)."""
    loaded = {name: sys.modules.get(f"numpy.{name}") for name in _SUBMODULES}
    return {name: module for name, module in loaded.items() if module is not None}


def _is_function(value: Any) -> bool:
    # Types (np.float64, np.ndarray, np.vectorize) stay NumPy's: they are also used as dtypes
    # and in isinstance checks, which a twin would break.
    return callable(value) and not isinstance(value, type)


def _jax_array_type() -> Any:
    jax = sys.modules.get("jax")
    return getattr(jax, "Array", None)


def _holds(jax_array: Any, values: Iterable[Any]) -> bool:
    """Whether any value, or any item of a (nested) list or tuple, is a JAX array or tracer."""
    for value in values:
        if isinstance(value, jax_array):
            return True
        if isinstance(value, (list, tuple)) and _holds(jax_array, value):
            return True
    return False


def _array_like(value: Any, jax_array: Any) -> Any:
    """A list as the array it stands for; a tuple too when it holds JAX values.

    Tuples without JAX values are left alone: they are shapes and axes (``np.reshape(a, (2, 3))``).
    A ragged list (``np.concatenate([x, [1.0]])``) becomes a list of arrays.
    """
    if isinstance(value, list) or (isinstance(value, tuple) and _holds(jax_array, value)):
        import jax.numpy as jnp

        try:
            return jnp.asarray(value)
        except (TypeError, ValueError):
            return [_array_like(item, jax_array) for item in value]
    return value
