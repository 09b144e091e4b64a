"""The walker: patterns flow forward through a jaxpr's equations, into the programs they call.

Every variable holds a slot ``(pattern, value)``: its dependence pattern (see `dependence`) and
its value when it is a known constant (see `constants`). Under *pruning*, operations whose
derivative JAX defines as zero, and results that are not floating point, carry no dependence;
inside a custom derivative rule pruning stops, since the rule may give them one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..jaxpr import CALLS, CUSTOM_RULES, Program, called_program, is_literal, programs
from .constants import Folded, known, unknown
from .dependence import Dependence, PatternTooLarge, size
from .rules import ZERO_DERIVATIVE, control_operands, follow

Slot = tuple[Any, Any]


class Propagation:
    """Walks a jaxpr, computing each variable's dependence pattern (and constants' values)."""

    def __init__(self, n: int, max_entries: int) -> None:
        self.ops = Dependence(n, max_entries)
        self.dense: set[str] = set()

    def run_program(self, program: Program, inputs: Sequence[Slot], prune: bool) -> list[Slot]:
        """The output slots of ``program`` given its input slots."""
        consts = [(None, known(c)) for c in program.consts]
        return self.run(program.jaxpr, consts, inputs, prune)

    def run(
        self, jaxpr: Any, consts: Sequence[Slot], inputs: Sequence[Slot], prune: bool
    ) -> list[Slot]:
        """The output slots of an open ``jaxpr`` given the slots of its constants and inputs."""
        env: dict[Any, Slot] = {}

        def read(var: Any) -> Slot:
            if is_literal(var):
                return None, known(np.asarray(var.val, dtype=var.aval.dtype))
            return env[var]

        for var, slot in zip(jaxpr.constvars, consts, strict=True):
            env[var] = slot
        for var, slot in zip(jaxpr.invars, inputs, strict=True):
            env[var] = slot
        # A pattern is dropped after its last use: a large input's patterns are big.
        last = {v: k for k, eqn in enumerate(jaxpr.eqns) for v in eqn.invars if not is_literal(v)}
        kept = {v for v in jaxpr.outvars if not is_literal(v)}
        for k, eqn in enumerate(jaxpr.eqns):
            outs = self.equation(eqn, [read(v) for v in eqn.invars], prune)
            for var, slot in zip(eqn.outvars, outs, strict=True):
                env[var] = slot
            for var in eqn.invars:
                if not is_literal(var) and last[var] == k and var not in kept:
                    env.pop(var, None)
        return [read(v) for v in jaxpr.outvars]

    def equation(self, eqn: Any, ins: list[Slot], prune: bool) -> list[Slot]:
        """The output slots of one equation."""
        name = eqn.primitive.name
        deps = [d for d, _ in ins]
        if name == "cond":
            return self.cond(eqn, ins, prune)
        if name in CALLS:
            return self.call(eqn, ins, prune)
        if all(d is None for d in deps):
            folded = Folded(eqn, [v for _, v in ins]) if not eqn.effects else None
            return [
                (None, folded.output(k) if folded else unknown) for k in range(len(eqn.outvars))
            ]
        if prune and (
            name in ZERO_DERIVATIVE or not any(_inexact(v.aval.dtype) for v in eqn.outvars)
        ):
            return [(None, unknown) for _ in eqn.outvars]
        try:
            out_deps = follow(self.ops, eqn, ins)
        except PatternTooLarge:
            raise
        except Exception:
            # A rule that cannot follow this equation (an unusual layout or parameter) falls back
            # to dense, which is always correct.
            out_deps = None
        control = control_operands(name, len(ins))
        if out_deps is None:
            out_deps = self.dense_outputs(eqn, deps)
        elif not prune and any(deps[i] is not None for i in control):
            row = self.ops.everything([deps[i] for i in control])
            out_deps = [
                self.ops.union(d, self.ops.broadcast(row, size(v.aval.shape)))
                for d, v in zip(out_deps, eqn.outvars, strict=True)
            ]
        if prune:
            out_deps = [
                d if _inexact(v.aval.dtype) else None
                for d, v in zip(out_deps, eqn.outvars, strict=True)
            ]
        return [(d, unknown) for d in out_deps]

    def dense_outputs(self, eqn: Any, deps: Sequence[Any]) -> list[Any]:
        """Every output element on everything the inputs depend on: the fallback, never
        optimistic, for an operation whose structure is unknown."""
        self.dense.add(eqn.primitive.name)
        row = self.ops.everything(deps)
        return [self.ops.broadcast(row, size(v.aval.shape)) for v in eqn.outvars]

    def call(self, eqn: Any, ins: list[Slot], prune: bool) -> list[Slot]:
        """Follow the program a call runs on its own inputs."""
        program = called_program(eqn)
        if program is None:
            return [(d, unknown) for d in self.dense_outputs(eqn, [d for d, _ in ins])]
        # Inside a custom rule, operations JAX would differentiate to zero may not be zero.
        return self.run_program(program, ins, prune and eqn.primitive.name not in CUSTOM_RULES)

    def cond(self, eqn: Any, ins: list[Slot], prune: bool) -> list[Slot]:
        """Follow the branch a constant index picks, or join all branches."""
        index = ins[0][1]()
        branches = programs(eqn)
        if index is not None:
            branches = [branches[int(np.clip(index, 0, len(branches) - 1))]]
        results = [self.run_program(b, ins[1:], prune) for b in branches]
        outs = [self.ops.join([r[k][0] for r in results]) for k in range(len(eqn.outvars))]
        if not prune and ins[0][0] is not None:
            row = self.ops.everything([ins[0][0]])
            outs = [
                self.ops.union(d, self.ops.broadcast(row, size(v.aval.shape)))
                for d, v in zip(outs, eqn.outvars, strict=True)
            ]
        return [(d, unknown) for d in outs]


def _inexact(dtype: Any) -> bool:
    return np.issubdtype(np.dtype(dtype), np.inexact)
