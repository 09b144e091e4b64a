"""Rules for primitives that carry inner programs: calls, run on the equation's own inputs, and
loops and branches, which treat their bodies themselves.

For a custom JVP or VJP the primal program is used, since catching a wrong custom rule is what a
check is for. Loops are unrolled, so their trip count must be a constant of the program; a
branch whose index depends on the input becomes a `Piecewise` of every branch it may take.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._derivatives import jaxpr
from .elementwise import cases, choose
from .limits import SymbolicUnavailable
from .values import Interpreting, Rule, dtype_kind, entrywise, registrar

RULES: dict[str, Rule] = {}
rule = registrar(RULES)


@rule(*jaxpr.CALLS)
def _call(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    # For custom_jvp_call and custom_vjp_call this is the primal program: the custom rule is
    # what a check examines, so the reference must not use it.
    program = jaxpr.called_program(eqn)
    if program is None:
        raise SymbolicUnavailable(f"no inner program found in {eqn.primitive.name}")
    return interpreter.call(program, args)


@rule("scan")
def _scan(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    p = eqn.params
    consts, rest = list(args[: p["num_consts"]]), args[p["num_consts"] :]
    carry, xs = list(rest[: p["num_carry"]]), rest[p["num_carry"] :]
    length = int(p["length"])
    steps: list[list[np.ndarray]] = [[] for _ in range(length)]
    for t in reversed(range(length)) if p["reverse"] else range(length):
        outs = interpreter.call(p["jaxpr"], consts + carry + [x[t, ...] for x in xs])
        carry, steps[t] = outs[: p["num_carry"]], outs[p["num_carry"] :]
    ys_vars = eqn.outvars[p["num_carry"] :]
    ys = [
        np.stack([steps[t][k] for t in range(length)])
        if length
        else np.empty(tuple(var.aval.shape), dtype=object)
        for k, var in enumerate(ys_vars)
    ]
    return carry + ys


@rule("while")
def _while(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    import sympy as sp

    p = eqn.params
    cond_consts = list(args[: p["cond_nconsts"]])
    body_consts = list(args[p["cond_nconsts"] : p["cond_nconsts"] + p["body_nconsts"]])
    carry = list(args[p["cond_nconsts"] + p["body_nconsts"] :])
    while True:
        (flag,) = interpreter.call(p["cond_jaxpr"], cond_consts + carry)
        value = flag[()]
        if value is not sp.true and value is not sp.false:
            raise SymbolicUnavailable(
                "SymPy cannot follow lax.while_loop when its condition depends on the input"
            )
        if value is sp.false:
            return carry
        carry = interpreter.call(p["body_jaxpr"], body_consts + carry)


@rule("cond")
def _cond(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    branches = eqn.params["branches"]
    index, operands = args[0][()], list(args[1:])
    pairs = cases(index, len(branches))
    results = {k: interpreter.call(branches[k], operands) for k, _ in pairs}
    outs = []
    for position, var in enumerate(eqn.outvars):
        boolean = dtype_kind(var) == "b"
        arrays = [results[k][position] for k, _ in pairs]

        def pick(*entries: Any, boolean: bool = boolean) -> Any:
            return choose([(e, c) for e, (_, c) in zip(entries, pairs, strict=True)], boolean)

        outs.append(entrywise(pick, *arrays))
    return outs
