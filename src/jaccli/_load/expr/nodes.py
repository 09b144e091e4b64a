"""The intermediate representation of a parsed expression: small frozen dataclasses.

The parser builds these from Python's syntax tree; `jaccli._load.expr.lowering` turns them into
``jax.numpy`` calls or SymPy expressions. Nothing here runs user text.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Num:
    """A numeric literal or the constant ``pi`` or ``e``: its value and its source text.

    The text keeps what a double cannot: every typed digit, and which constant was meant.
    """

    value: int | float | complex
    text: str


@dataclass(frozen=True)
class Var:
    """An input, or one entry of an array input when ``index`` is not empty."""

    name: str
    index: tuple[int, ...] = ()


@dataclass(frozen=True)
class Neg:
    """Unary minus."""

    operand: Node


@dataclass(frozen=True)
class Chain:
    """A left-to-right run of ``+``/``-`` or of ``*``/``/``, kept flat so long sums stay shallow."""

    first: Node
    rest: tuple[tuple[str, Node], ...]


@dataclass(frozen=True)
class Pow:
    """``base ** exponent``.

    The exponent stays a node, not a value: a literal integer exponent lowers to JAX's exact
    ``integer_pow`` and to SymPy's exact power.
    """

    base: Node
    exponent: Node


@dataclass(frozen=True)
class Call:
    """A call of a known function: ``func`` names its entry in the function table."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    """A single comparison; only valid as the condition of ``where``."""

    op: str
    left: Node
    right: Node


Node = Num | Var | Neg | Chain | Pow | Call | Compare
