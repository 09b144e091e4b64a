"""Values of a traced program in SymPy: object arrays of expressions, exact constants, and the
form of a rule that interprets one primitive.

Floating-point constants become exact rationals (the double's value), so SymPy does not round
where the program does not. Values that are constants in the program (index arithmetic,
``jnp.arange``) stay SymPy numbers, so that rules can read them as Python integers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import numpy as np

from .limits import SymbolicTooLarge, SymbolicUnavailable

MAX_ARRAY = 100_000
"""Most entries of any one array in the traced program."""


class Interpreting(Protocol):
    """What a rule may ask of the interpreter running it."""

    def call(self, program: Any, args: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run an inner program on ``args``."""
        ...

    def add_work(self, amount: int) -> None:
        """Count scalar SymPy operations against the budget."""
        ...


Rule = Callable[[Interpreting, Any, list[np.ndarray]], list[np.ndarray]]
"""A primitive's meaning: ``rule(interpreter, eqn, args)`` gives the equation's outputs."""


def registrar(table: dict[str, Rule]) -> Callable[..., Callable[[Rule], Rule]]:
    """A decorator that files a rule in ``table`` under each primitive name it is given.

    >>> table = {}
    >>> @registrar(table)("neg", "negative")
    ... def neg(interpreter, eqn, args):
    ...     return [-args[0]]
    >>> sorted(table)
    ['neg', 'negative']
    """

    def rule(*names: str) -> Callable[[Rule], Rule]:
        def register(fn: Rule) -> Rule:
            for name in names:
                table[name] = fn
            return fn

        return register

    return rule


def objects(items: Iterable[Any], shape: Sequence[int]) -> np.ndarray:
    """An object array of ``items``, built entry by entry (NumPy must not look inside them).

    >>> objects([(1, 2), (3, 4)], [2]).tolist()
    [(1, 2), (3, 4)]
    """
    items = list(items)
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out.reshape(tuple(shape))


def number(value: Any, kind: str) -> Any:
    """A SymPy number for one entry of a constant of dtype kind ``kind``, exactly.

    >>> number(0.5, "f"), number(3, "i"), number(1, "b")
    (1/2, 3, True)
    """
    import sympy as sp

    if kind == "b":
        return sp.true if bool(value) else sp.false
    if kind in "iu":
        return sp.Integer(int(value))
    if kind == "c":
        z = complex(value)
        return real_number(z.real) + sp.I * real_number(z.imag)
    if kind == "f":
        return real_number(float(value))
    raise SymbolicUnavailable(f"SymPy cannot hold constants of type {kind!r}")


def real_number(v: float) -> Any:
    """A double as SymPy: its exact value as a rational, or ±oo, or nan.

    >>> real_number(0.1)
    3602879701896397/36028797018963968
    """
    import sympy as sp

    if math.isnan(v):
        return sp.nan
    if math.isinf(v):
        return sp.oo if v > 0 else -sp.oo
    # SymPy combines Floats at 53 bits, rounding where the program does not. `to_text` shows
    # the rational as 0.1 again.
    return sp.Rational(*v.as_integer_ratio())


def constant(array: Any) -> np.ndarray:
    """A constant array of the program as an object array of exact SymPy numbers.

    >>> constant(np.array([1, 2])).tolist()
    [1, 2]
    """
    try:
        array = np.asarray(array)
    except TypeError:  # a PRNG key: no NumPy form, so no SymPy numbers either
        raise SymbolicUnavailable(
            f"SymPy cannot hold constants of type {getattr(array, 'dtype', type(array).__name__)}"
        ) from None
    if array.size > MAX_ARRAY:
        raise SymbolicTooLarge(
            f"a constant of {array.size:,} entries, over the limit of {MAX_ARRAY:,}"
        )
    try:
        kind = array.dtype.kind
    except TypeError:
        raise SymbolicUnavailable(f"SymPy cannot hold constants of type {array.dtype}") from None
    return objects((number(v, kind) for v in array.ravel()), array.shape)


def is_constant(entry: Any) -> bool:
    """Whether an entry does not depend on the inputs.

    >>> import sympy
    >>> is_constant(sympy.Integer(2)), is_constant(sympy.Symbol("x"))
    (True, False)
    """
    return not entry.free_symbols


def integers(array: np.ndarray, what: str) -> np.ndarray:
    """The integer values of an index array, which must not depend on the inputs.

    >>> integers(constant(np.array([0, 2])), "gather")
    array([0, 2])
    """
    if not all(is_constant(e) and e.is_Integer for e in array.ravel()):
        raise SymbolicUnavailable(
            f"SymPy cannot follow {what} with an index that depends on the input"
        )
    out = np.zeros(array.shape, dtype=np.int64)
    for idx in np.ndindex(*array.shape):
        out[idx] = int(array[idx])
    return out


def entrywise(fn: Callable[..., Any], *arrays: np.ndarray) -> np.ndarray:
    """``fn`` applied entry by entry to object arrays, broadcast like NumPy.

    >>> entrywise(lambda a, b: a + b, constant(np.array([1, 2])), constant(np.array(3))).tolist()
    [4, 5]
    """
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    flat = [np.broadcast_to(a, shape).ravel() for a in arrays]
    return objects((fn(*entries) for entries in zip(*flat, strict=True)), shape)


def dtype_kind(var: Any) -> str:
    """The NumPy dtype kind (``"f"``, ``"i"``, ``"b"``, ...) of a program variable.

    >>> from types import SimpleNamespace as Var
    >>> dtype_kind(Var(aval=Var(dtype=np.float32)))
    'f'
    """
    try:
        return np.dtype(var.aval.dtype).kind
    except TypeError:
        raise SymbolicUnavailable(f"SymPy cannot hold values of type {var.aval.dtype}") from None
