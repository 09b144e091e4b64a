"""Values of constants: computed only when a rule asks for one (an index array, a constant matrix).

A variable's value is a function of no arguments returning the array, or None when it is not
known (it depends on the input, or it is too large to be worth computing).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .dependence import size

# Constants larger than this are not evaluated: their values only sharpen the pattern.
MAX_FOLDED_ELEMENTS = 1_000_000


def unknown() -> None:
    """The value of a variable that is not known."""
    return None


def known(value: Any) -> Callable[[], np.ndarray | None]:
    """A constant's value, copied to the host only if a rule asks for it (and it is small).

    >>> known(3.0)().tolist()
    3.0
    """
    if np.size(value) > MAX_FOLDED_ELEMENTS:
        return unknown
    return functools.cache(lambda: np.asarray(value))


class Folded:
    """The outputs of an equation on constants, computed (once) when a rule asks for one."""

    def __init__(self, eqn: Any, inputs: Sequence[Callable[[], Any]]) -> None:
        self._eqn = eqn
        self._inputs = inputs
        self._values: list[np.ndarray | None] | None = None

    def output(self, k: int) -> Callable[[], np.ndarray | None]:
        """The value of output ``k``, computed when it is first asked for."""
        return lambda: self._evaluate()[k]

    def _evaluate(self) -> list[np.ndarray | None]:
        if self._values is None:
            self._values = [None] * len(self._eqn.outvars)
            sizes = [size(v.aval.shape) for v in self._eqn.outvars]
            values = [value() for value in self._inputs]
            if max(sizes, default=0) <= MAX_FOLDED_ELEMENTS and all(v is not None for v in values):
                try:
                    out = self._eqn.primitive.bind(*values, **self._eqn.params)
                except Exception:
                    # An operation that cannot run on its own here only leaves its value unknown.
                    out = None
                if out is not None:
                    outs = out if self._eqn.primitive.multiple_results else [out]
                    self._values = [np.asarray(o) for o in outs]
        return self._values
