"""A parsed expression and its inputs: what `parse_expr` returns, callable with ``jax.numpy`` and
convertible to SymPy."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from ...errors import ParseError, ShapeError, UnsafeExpressionError
from .functions import jax_numpy, sympy_module
from .lowering import to_jax, to_sympy
from .nodes import Node


def show(text: str, limit: int = 80) -> str:
    """Quote user text for a message: escaped, so no terminal control sequence gets through.

    >>> print(show("a\\tb"))
    'a\\tb'
    """
    shown = text if len(text) <= limit else text[:limit] + "..."
    return "'" + shown.encode("unicode_escape").decode("ascii").replace("'", "\\'") + "'"


@dataclass(frozen=True)
class ExprInput:
    """One input of an expression: a scalar (shape ``()``) or an array indexed in the text."""

    name: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its inputs, its output shape, and its JAX and SymPy meanings.

    ``body`` holds the outputs in row-major order as intermediate-representation nodes.
    SymPy symbols are real: a scalar input ``y`` is ``Symbol('y')``; an entry of an array input is
    named like its source text, ``x[0]`` or ``W[1, 2]`` (names no scalar input can collide with).
    """

    text: str
    inputs: tuple[ExprInput, ...]
    output_shape: tuple[int, ...]
    body: tuple[Node, ...] = field(repr=False)

    def __call__(self, *args: Any) -> Any:
        """Evaluate with ``jax.numpy``; traceable by ``jit``, ``jacfwd``, ``jacrev`` and ``vmap``.

        Args:
            *args: one array per input, in ``inputs`` order. An array may be longer than the
                expression needs along any axis; the extra entries are ignored.

        Returns:
            A floating (or complex) JAX array of shape ``output_shape``.
        """
        jnp = jax_numpy()
        if len(args) != len(self.inputs):
            names = ", ".join(inp.name for inp in self.inputs)
            raise ShapeError(
                f"expression {show(self.text)} takes {len(self.inputs)} input(s) ({names}), "
                f"got {len(args)}"
            )
        env: dict[str, Any] = {}
        for inp, arg in zip(self.inputs, args, strict=True):
            shape = tuple(jnp.shape(arg))
            if len(shape) != len(inp.shape) or any(
                s < r for s, r in zip(shape, inp.shape, strict=True)
            ):
                need = "a scalar" if not inp.shape else f"shape {inp.shape} (or longer)"
                raise ShapeError(f"input '{inp.name}' needs {need}, got shape {shape}")
            value = jnp.asarray(arg)
            if not jnp.issubdtype(value.dtype, jnp.inexact):
                value = value.astype(jnp.result_type(float))
            env[inp.name] = value
        outs = [to_jax(node, env) for node in self.body]
        # The outputs' own types decide real or complex, as in the same function written with
        # jax.numpy: abs(z)**2 of a complex z is real. The inputs' precision still counts, so
        # that a constant output of float32 inputs is float32.
        precision = [jnp.finfo(value.dtype).dtype for value in env.values()]
        dtype = jnp.result_type(*precision, *outs)
        outs = [jnp.asarray(out, dtype=dtype) for out in outs]
        if not self.output_shape:
            return outs[0]
        return jnp.stack(outs).reshape(self.output_shape)

    @cached_property
    def _symbol_table(self) -> dict[str, Any]:
        sp = sympy_module()
        table: dict[str, Any] = {}
        for inp in self.inputs:
            if not inp.shape:
                table[inp.name] = sp.Symbol(inp.name, real=True)
                continue
            entries = [
                sp.Symbol(f"{inp.name}[{', '.join(map(str, idx))}]", real=True)
                for idx in itertools.product(*(range(n) for n in inp.shape))
            ]
            table[inp.name] = sp.ImmutableDenseNDimArray(entries, inp.shape)
        return table

    @property
    def symbols(self) -> dict[str, Any]:
        """SymPy symbols per input: a real Symbol, or an Array of them for an array input."""
        return dict(self._symbol_table)

    @cached_property
    def sympy(self) -> Any:
        """The SymPy form: an expression, or an ``ImmutableDenseNDimArray`` for list outputs."""
        sp = sympy_module()
        table = self._symbol_table
        try:
            outs = [to_sympy(node, table) for node in self.body]
        except UnsafeExpressionError as exc:
            raise UnsafeExpressionError(
                f"{exc.message} in {show(self.text)}", source=self.text, hint=exc.hint
            ) from None
        except (TypeError, ValueError) as exc:
            raise ParseError(
                f"SymPy cannot represent {show(self.text)}: {exc}", source=self.text
            ) from None
        if not self.output_shape:
            return outs[0]
        return sp.ImmutableDenseNDimArray(outs, self.output_shape)
