"""The interpreter: a traced program (copied by `portable`) run equation by equation over
object arrays of SymPy expressions, within a work budget.

Each primitive has a rule (`RULES`, gathered from the rule modules). A primitive outside them
raises `SymbolicUnavailable` naming the operation in the user's words and the line of the
user's file that made it; nothing is guessed. Where every operand is a constant of the program,
JAX itself computes a primitive that has no rule, so index arithmetic, masks and sorting a
constant table work. Both go through the program's `Host`, the process that traced it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._derivatives import jaxpr as inner
from . import control_flow, elementwise, indexing, reductions
from .limits import SymbolicTooLarge, SymbolicUnavailable, TreeSizes, operation
from .portable import Host
from .values import MAX_ARRAY, Rule, constant, dtype_kind, is_constant

MAX_EQUATIONS = 5_000
"""Most equations interpreted, counting inner programs and every step of an unrolled loop."""
MAX_WORK = 500_000
"""Most scalar SymPy operations while interpreting the program."""

RULES: dict[str, Rule] = {
    **elementwise.RULES,
    **indexing.RULES,
    **reductions.RULES,
    **control_flow.RULES,
}


class Interpreter:
    """Runs a copied program over object arrays of SymPy expressions, counting its work.

    >>> import jax
    >>> from jaccli._symbolic.portable import LocalHost, portable
    >>> copied = portable(jax.make_jaxpr(lambda x: x * 2.0)(1.0))
    >>> interpreter = Interpreter(LocalHost(copied.equations, None))
    >>> interpreter.call(copied.program, [constant(np.array(0.5))])[0].tolist()
    1
    """

    def __init__(self, host: Host) -> None:
        self.host = host  # binds constant operations and names the line a refusal comes from
        self.equations = 0
        self.work = 0
        self.sizes = TreeSizes()
        self._consts: dict[int, tuple[Any, np.ndarray]] = {}

    def call(self, program: Any, args: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Run a copied program (a `portable.Closed`, or an open `portable.Jaxpr`) on ``args``."""
        program = inner.closed(program)
        consts = [self._constant(c) for c in program.consts]
        return self.run(program.jaxpr, consts, args)

    def _constant(self, value: Any) -> np.ndarray:
        cached = self._consts.get(id(value))
        if cached is None or cached[0] is not value:
            cached = (value, constant(value))
            self._consts[id(value)] = cached
        return cached[1]

    def run(
        self, jaxpr: Any, consts: Sequence[np.ndarray], args: Sequence[np.ndarray]
    ) -> list[np.ndarray]:
        """Run an open ``Jaxpr`` on its constants' and inputs' values."""
        env: dict[Any, np.ndarray] = {}

        def read(atom: Any) -> np.ndarray:
            if inner.is_literal(atom):
                return constant(np.asarray(atom.val, dtype=atom.aval.dtype))
            return env[atom]

        env.update(zip(jaxpr.constvars, consts, strict=True))
        env.update(zip(jaxpr.invars, args, strict=True))
        for eqn in jaxpr.eqns:
            self._count(eqn)
            try:
                outs = self.apply(eqn, [read(v) for v in eqn.invars])
            except SymbolicUnavailable as exc:
                raise _located(exc, eqn, self.host) from None
            for var, value in zip(eqn.outvars, outs, strict=True):
                if not inner.is_dropped(var):
                    # Checked as they are built: SymPy's constructors walk expressions as
                    # trees, so a nested program slows down long before it ends.
                    self.sizes.check(value.ravel(), f"the traced program ({eqn.primitive.name})")
                    env[var] = value
        return [read(v) for v in jaxpr.outvars]

    def _count(self, eqn: Any) -> None:
        self.equations += 1
        if self.equations > MAX_EQUATIONS:
            raise SymbolicTooLarge(
                f"the traced program runs more than {MAX_EQUATIONS:,} equations (loops unrolled)"
            )
        for var in eqn.outvars:
            size = math.prod(getattr(var.aval, "shape", ()))
            if size > MAX_ARRAY:
                raise SymbolicTooLarge(
                    f"{eqn.primitive.name} makes an array of {size:,} entries, "
                    f"over the limit of {MAX_ARRAY:,}"
                )
            self.add_work(size)

    def add_work(self, amount: int) -> None:
        """Count ``amount`` scalar SymPy operations; refuse past `MAX_WORK`."""
        self.work += amount
        if self.work > MAX_WORK:
            raise SymbolicTooLarge(
                f"the traced program needs more than {MAX_WORK:,} scalar operations in SymPy"
            )

    def apply(self, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
        """The outputs of one equation from its operands' values."""
        name = eqn.primitive.name
        rule = RULES.get(name)
        # A primitive without a rule, or integer arithmetic whose meaning differs from SymPy's,
        # is left to JAX itself when its operands are constants.
        by_jax = rule is None or (name in elementwise.INTEGER_SEMANTICS and not _inexact(eqn))
        if (
            by_jax
            and not inner.programs(eqn)
            and all(is_constant(e) for a in args for e in a.ravel())
        ):
            return self._bind_constants(eqn, args)
        if rule is None:
            raise SymbolicUnavailable(f"SymPy has no rule for {operation(name)}")
        try:
            return rule(self, eqn, args)
        except (TypeError, ValueError, AttributeError) as exc:
            raise SymbolicUnavailable(f"SymPy cannot follow {operation(name)} ({exc})") from None

    def _bind_constants(self, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
        values = [_to_numpy(a, v) for a, v in zip(args, eqn.invars, strict=True)]
        return [constant(o) for o in self.host.bind(eqn.index, values)]


def _located(exc: SymbolicUnavailable, eqn: Any, host: Host) -> SymbolicUnavailable:
    """The refusal with the user's line that made ``eqn`` (the innermost one that has a line)."""
    if type(exc) is not SymbolicUnavailable or getattr(exc, "located", False):
        return exc
    where, text = host.source_line(eqn.index)
    if not where:
        return exc
    quoted = f"`{text}` " if text else ""
    located = SymbolicUnavailable(f"{exc.reason}, in {quoted}({where})", hint=exc.hint)
    located.located = True
    return located


def _inexact(eqn: Any) -> bool:
    return all(dtype_kind(var) in "fc" for var in eqn.outvars)


def _to_numpy(array: np.ndarray, var: Any) -> np.ndarray:
    dtype = np.dtype(var.aval.dtype)
    convert: Callable[[Any], Any] = {"b": bool, "i": int, "u": int, "c": complex}.get(
        dtype.kind, float
    )
    out = np.empty(array.shape, dtype=dtype)
    for idx in np.ndindex(*array.shape):
        out[idx] = convert(array[idx])
    return out


def covered_primitives() -> tuple[str, ...]:
    """The JAX primitives the interpreter translates (others work only on constants).

    >>> {"dot_general", "select_n", "custom_jvp_call"} <= set(covered_primitives())
    True
    """
    return tuple(sorted(RULES))
