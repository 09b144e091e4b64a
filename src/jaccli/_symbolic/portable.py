"""A traced program as plain Python data, which the interpreter reads as it reads a jaxpr.

`check` computes its SymPy reference in a process of its own (`remote`), which imports SymPy
while this one imports JAX, and never imports JAX itself; so the program it interprets must cross
as data. `portable` copies a ``ClosedJaxpr`` into the few classes below, with the attributes the
interpreter and its rules read (``eqn.primitive.name``, ``eqn.params``, ``var.aval.shape``,
``atom.val``...): equations, variables, literals, abstract values, and the parameters turned
into tuples, NumPy values and `Fields` (a named tuple's or a dataclass's fields). The same form
serves the interpreter in this process too, so every symbolic test runs the copy.

Two things stay with the original equations, which only this process has: binding a primitive
on constant operands (JAX computes what SymPy has no rule for, as ``jnp.arange`` arithmetic) and
the line of the user's file that made an equation. Each copied equation carries its ``index``
into `Copied.equations`, and a `Host` answers for it (`LocalHost` here; the other process asks
this one). A value of a type this module does not know (a sharding, a PRNG key, a callable) is
kept as it is here and pickled as `Unportable`, which refuses any use: the other process then
gives the work back (`NotPortable`), so nothing is guessed.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from .._derivatives import jaxpr as inner
from .limits import SymbolicUnavailable, operation


class NotPortable(Exception):
    """The program uses something that cannot be interpreted outside the process that traced it."""


class Host(Protocol):
    """What only the process holding the original equations can do."""

    def bind(self, index: int, values: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Equation ``index`` computed by JAX on constant operands; `SymbolicUnavailable` if
        JAX refuses them."""
        ...

    def source_line(self, index: int) -> tuple[str, str]:
        """Where the user wrote equation ``index``: ``("f.py, line N", text)`` or two empty
        strings."""
        ...


@dataclasses.dataclass(eq=False)
class Aval:
    """An abstract value: what the interpreter reads of ``var.aval``."""

    shape: tuple[int, ...]
    dtype: Any

    def __getstate__(self) -> dict[str, Any]:
        return {"shape": self.shape, "dtype": sendable(self.dtype)}


@dataclasses.dataclass(eq=False)
class Var:
    """A variable; compared by identity, as a jaxpr's are."""

    aval: Aval


class DropVar(Var):
    """An output nothing reads (``_``); `jaxpr.is_dropped` tells it by this class's name."""


@dataclasses.dataclass(eq=False)
class Literal:
    """A constant written into an equation."""

    val: Any
    aval: Aval

    def __getstate__(self) -> dict[str, Any]:
        return {"val": sendable(self.val), "aval": self.aval}


@dataclasses.dataclass(frozen=True)
class Primitive:
    name: str
    multiple_results: bool


@dataclasses.dataclass(eq=False)
class Equation:
    """One equation; ``index`` names the original in `Copied.equations`."""

    primitive: Primitive
    params: dict[str, Any]
    invars: list[Any]
    outvars: list[Any]
    index: int

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "params": {k: sendable(v) for k, v in self.params.items()}}


@dataclasses.dataclass(eq=False)
class Jaxpr:
    constvars: list[Var]
    invars: list[Var]
    outvars: list[Any]
    eqns: list[Equation]


@dataclasses.dataclass(eq=False)
class Closed:
    """A ``ClosedJaxpr``: a program with its constants' values."""

    jaxpr: Jaxpr
    consts: list[Any]

    def __getstate__(self) -> dict[str, Any]:
        return {"jaxpr": self.jaxpr, "consts": [sendable(c) for c in self.consts]}


@dataclasses.dataclass(frozen=True)
class Enumerated:
    """An enum parameter (a gather's mode, a rounding method) by its text and its number."""

    text: str
    number: int | None

    def __str__(self) -> str:
        return self.text

    def __int__(self) -> int:
        if self.number is None:
            raise TypeError(f"{self.text} has no number")
        return self.number


class Fields(tuple):
    """The fields of a named tuple or a dataclass (a gather's dimension numbers), readable by
    name and by position."""

    names: tuple[str, ...]

    def __new__(cls, names: Sequence[str], values: Sequence[Any]) -> Fields:
        self = super().__new__(cls, values)
        self.names = tuple(names)
        return self

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self.names.index(name)]
        except ValueError:
            raise AttributeError(name) from None

    def __reduce__(self) -> tuple[Any, ...]:
        return (Fields, (self.names, tuple(self)))


# What `jaxpr`'s helpers ask of any value with ``hasattr`` (is it a program, a literal?), and
# pickle and copy of any object: a plain "no" to them, as an object of another type would give.
_PROBES = frozenset({"eqns", "jaxpr", "consts", "val"})


class Unportable:
    """A parameter of a type this module does not copy; any use of it gives the work back."""

    def __init__(self, what: str) -> None:
        self.what = what

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise NotPortable(f"a parameter of type {self.what}")

    def __getattr__(self, name: str) -> Any:
        if name in _PROBES or (name.startswith("__") and name.endswith("__")):
            raise AttributeError(name)
        self._refuse()

    __str__ = __int__ = __index__ = __float__ = __bool__ = __len__ = __iter__ = _refuse
    __getitem__ = __eq__ = __lt__ = __hash__ = __call__ = __contains__ = __array__ = _refuse

    def __reduce__(self) -> tuple[Any, ...]:
        return (Unportable, (self.what,))


@dataclasses.dataclass(eq=False)
class Copied:
    """A program copied (`portable`), and the original equations its ``index`` fields name."""

    program: Closed
    equations: list[Any]


def portable(closed: Any) -> Copied:
    """Copy a ``ClosedJaxpr`` (with the programs its equations carry) into plain data.

    >>> import jax, jax.numpy as jnp
    >>> copied = portable(jax.make_jaxpr(lambda x: jnp.sin(x) * 2.0)(1.0))
    >>> [e.primitive.name for e in copied.program.jaxpr.eqns]
    ['sin', 'mul']
    """
    copier = _Copier()
    return Copied(copier.closed(closed), copier.equations)


class _Copier:
    def __init__(self) -> None:
        self.equations: list[Any] = []
        self.atoms: dict[int, Any] = {}
        self.programs: dict[int, tuple[Any, Closed]] = {}

    def closed(self, program: Any) -> Closed:
        known = self.programs.get(id(program))
        if known is not None and known[0] is program:
            return known[1]
        source = inner.closed(program)
        copy = Closed(self.jaxpr(source.jaxpr), [self.constant(c) for c in source.consts])
        self.programs[id(program)] = (program, copy)  # keeps ``program`` alive with its id
        return copy

    def jaxpr(self, jaxpr: Any) -> Jaxpr:
        return Jaxpr(
            [self.atom(v) for v in jaxpr.constvars],
            [self.atom(v) for v in jaxpr.invars],
            [self.atom(v) for v in jaxpr.outvars],
            [self.equation(e) for e in jaxpr.eqns],
        )

    def equation(self, eqn: Any) -> Equation:
        index = len(self.equations)
        self.equations.append(eqn)
        return Equation(
            Primitive(eqn.primitive.name, bool(eqn.primitive.multiple_results)),
            {key: self.value(value) for key, value in eqn.params.items()},
            [self.atom(v) for v in eqn.invars],
            [self.atom(v) for v in eqn.outvars],
            index,
        )

    def atom(self, atom: Any) -> Any:
        if inner.is_literal(atom):
            return Literal(self.constant(atom.val), self.aval(atom.aval))
        known = self.atoms.get(id(atom))
        if known is None:
            cls = DropVar if inner.is_dropped(atom) else Var
            known = self.atoms[id(atom)] = (atom, cls(self.aval(atom.aval)))
        return known[1]

    def aval(self, aval: Any) -> Aval:
        return Aval(tuple(getattr(aval, "shape", ())), aval.dtype)

    def constant(self, value: Any) -> Any:
        if isinstance(value, (bool, int, float, complex, np.generic, np.ndarray)):
            return value
        try:
            return np.asarray(value)  # a JAX array
        except Exception:  # a typed PRNG key has no NumPy form: kept (and not sendable)
            return value

    def value(self, value: Any) -> Any:
        if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
            return value
        if isinstance(value, (np.generic, np.ndarray, np.dtype)):
            return value
        if isinstance(value, enum.Enum):
            number = value.value if isinstance(value.value, int) else None
            return Enumerated(str(value), number)
        if inner.is_program(value):
            return self.closed(value)
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            return Fields(value._fields, [self.value(v) for v in value])
        if isinstance(value, (tuple, list)):
            return tuple(self.value(v) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            names = [f.name for f in dataclasses.fields(value)]
            return Fields(names, [self.value(getattr(value, n)) for n in names])
        return value  # kept as it is: `sendable` stands `Unportable` in for it


_PLAIN = (bool, int, float, complex, str, bytes, np.generic, np.dtype)


def sendable(value: Any) -> Any:
    """``value`` as another process may read it: plain data as it is, a copied program (which
    pickles its own parts so), and an `Unportable` for anything else.

    >>> sendable((1, "a")), type(sendable(object())).__name__
    ((1, 'a'), 'Unportable')
    """
    if value is None or isinstance(value, (*_PLAIN, Closed, Enumerated, Unportable)):
        return value
    if isinstance(value, np.ndarray):
        return value if value.dtype.kind != "O" else Unportable("object array")
    if isinstance(value, Fields):
        return Fields(value.names, [sendable(v) for v in value])
    if isinstance(value, tuple):
        return tuple(sendable(v) for v in value)
    return Unportable(type(value).__name__)


class LocalHost:
    """The `Host` of the process that traced the program: it has the original equations."""

    def __init__(self, equations: Sequence[Any], path: str | None) -> None:
        self.equations = equations
        self.path = path

    def bind(self, index: int, values: Sequence[np.ndarray]) -> list[np.ndarray]:
        eqn = self.equations[index]
        try:
            outs = eqn.primitive.bind(*values, **eqn.params)
            outs = outs if eqn.primitive.multiple_results else [outs]
            return [np.asarray(o) for o in outs]
        except Exception as exc:  # JAX refuses these operands, or makes a PRNG key of them
            raise SymbolicUnavailable(
                f"SymPy cannot follow {operation(eqn.primitive.name)} ({exc})"
            ) from None

    def source_line(self, index: int) -> tuple[str, str]:
        return inner.source_line(self.equations[index], self.path)
