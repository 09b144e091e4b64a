"""The records of the symbolic layer: a function in SymPy form, its inputs, a derivative as a
flat matrix laid out like JAX's result, and a derivative as text."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._problem import PYTHON, Labels
from .evaluation import DIGITS, evaluate
from .values import objects


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
        labels: how messages name the caller's options (the problem's labels).
    """

    outputs: tuple[Any, ...]
    output_shape: tuple[int, ...]
    inputs: tuple[SymbolicInput, ...]
    wrt: tuple[str, ...]
    point: Mapping[Any, float] = field(default_factory=dict, compare=False)
    source: str = ""
    labels: Labels = field(default=PYTHON, compare=False)

    @property
    def symbols(self) -> tuple[Any, ...]:
        """The symbols of the differentiated inputs, flat, in argument order."""
        return tuple(s for inp in select_inputs(self.inputs, self.wrt) for s in inp.symbols)

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
            value = inp.symbols[0] if not inp.shape else objects(inp.symbols, inp.shape)
            keys = (inp.arg, *inp.path)
            target = table
            for key in keys[:-1]:
                target = target.setdefault(key, {})
            target[keys[-1]] = value
        return table

    def evaluate(self, values: Mapping[Any, Any] | None = None, digits: int = DIGITS) -> Any:
        """The outputs at ``values`` (default: the bound point), float64, shaped like the output."""
        values = self.point if values is None else values
        return evaluate(self.outputs, values, digits, self.labels).reshape(self.output_shape)


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
    labels: Labels = field(default=PYTHON, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.matrix.shape)

    def entries(self) -> list[Any]:
        """The entries, row-major."""
        return list(self.matrix)

    def evaluate(self, values: Mapping[Any, Any] | None = None, digits: int = DIGITS) -> Any:
        """The derivative at ``values`` (default: the bound point), float64, laid out like JAX."""
        values = self.point if values is None else values
        return self.layout(evaluate(self.matrix, values, digits, self.labels))

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


def select_inputs(inputs: Sequence[SymbolicInput], wrt: Sequence[str]) -> list[SymbolicInput]:
    """The inputs of the arguments ``wrt``, in the order of ``wrt``.

    >>> a, b = (SymbolicInput(name, (), (), ()) for name in "ab")
    >>> [inp.arg for inp in select_inputs([a, b], ["b", "a"])]
    ['b', 'a']
    """
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
