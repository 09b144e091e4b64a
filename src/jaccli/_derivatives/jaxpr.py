"""The programs inside a traced program: which primitives call an inner program, and where.

Every walker of a jaxpr (the sparsity pattern, the SymPy interpreter, the checks' equation-by-
equation evaluation) asks the same two questions of an equation: does it run an inner program on
its own inputs, as they are (a jitted call, a remat, a custom-derivative function's primal), and
which programs does it carry at all (a loop's body and condition, a cond's branches too)? This
module answers both, so that one list of call primitives serves them all.

A loop or a cond is *not* a call: a scan runs its body on one slice of ``xs`` at a time, a while
loop on its carry, a cond on one branch. A walker that steps into them must treat them itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Primitives whose inner program takes the equation's inputs and gives its outputs, unchanged.
CALLS = frozenset(
    {
        "jit",
        "pjit",
        "closed_call",
        "core_call",
        "remat",
        "remat2",
        "checkpoint",
        "custom_jvp_call",
        "custom_vjp_call",
        "custom_vjp_call_jaxpr",
    }
)
# Of those, the ones that carry a derivative rule of their own (their primal is the inner program).
CUSTOM_RULES = frozenset({"custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr"})
# Where a call keeps its program, in the order JAX's primitives use them.
_CALL_KEYS = ("jaxpr", "call_jaxpr", "fun_jaxpr")


@dataclass(frozen=True)
class Program:
    """A jaxpr with the constants its ``constvars`` take (none for an open jaxpr)."""

    jaxpr: Any
    consts: tuple[Any, ...]


def closed(program: Any) -> Program:
    """A `Program` from a ``ClosedJaxpr`` (its constants) or a ``Jaxpr`` (no constants)."""
    if hasattr(program, "consts"):
        return Program(program.jaxpr, tuple(program.consts))
    return Program(program, ())


def is_literal(atom: Any) -> bool:
    """Whether an operand of an equation is a literal (a constant written into the equation)
    rather than a variable."""
    # Told by the value only a literal carries: importing `jax.extend.core` for its `Literal`
    # type would load all of `jax.extend`, Pallas included (a twentieth of a second).
    return hasattr(atom, "val")


def is_dropped(var: Any) -> bool:
    """Whether an output of an equation is dropped (``_``: nothing reads it)."""
    # By its type's name, for the same reason as `is_literal`: `jax.extend.core.DropVar` would
    # load all of `jax.extend`.
    return type(var).__name__ == "DropVar"


def is_program(value: Any) -> bool:
    """Whether ``value`` is a jaxpr, open or closed."""
    return hasattr(value, "eqns") or hasattr(getattr(value, "jaxpr", None), "eqns")


def programs(eqn: Any) -> list[Program]:
    """Every program ``eqn`` carries in its parameters, in parameter order: a call's, a loop's
    body and condition, a cond's branches."""
    found = []
    for value in eqn.params.values():
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if is_program(item):
                found.append(closed(item))
    return found


def called_program(eqn: Any) -> Program | None:
    """The program a call-like equation runs on its own inputs (see `CALLS`), or None.

    None also when the program does not take exactly the equation's inputs, or is an open
    jaxpr whose constants are not given, which a walker must then treat as an operation it does
    not see into.
    """
    if eqn.primitive.name not in CALLS:
        return None
    for key in _CALL_KEYS:
        if key in eqn.params and is_program(eqn.params[key]):
            program = closed(eqn.params[key])
            takes_inputs = len(program.jaxpr.invars) == len(eqn.invars)
            has_consts = len(program.jaxpr.constvars) == len(program.consts)
            return program if takes_inputs and has_consts else None
    return None


def equations(jaxpr: Any) -> Iterator[Any]:
    """Every equation of ``jaxpr`` and of the programs it carries, depth first."""
    for eqn in jaxpr.eqns:
        yield eqn
        for program in programs(eqn):
            yield from equations(program.jaxpr)


def primitive_names(jaxpr: Any) -> Iterator[str]:
    """The names of every primitive in ``jaxpr`` and in the programs it carries, depth first.

    >>> import jax, jax.numpy as jnp
    >>> sorted(set(primitive_names(jax.make_jaxpr(lambda x: jax.jit(jnp.sin)(x) * 2)(1.0).jaxpr)))
    ['jit', 'mul', 'sin']
    """
    for eqn in equations(jaxpr):
        yield eqn.primitive.name


def source_line(eqn: Any, path: str | None) -> tuple[str, str]:
    """Where the user wrote ``eqn`` in the file ``path``: ``("f.py, line N", the line's text)``,
    or two empty strings (an expression, no file, or an equation made by JAX alone)."""
    import linecache
    import os

    from jax.extend import source_info_util

    from .._runtime import shown_path

    if not path:
        return "", ""
    target = os.path.abspath(path)
    frames = source_info_util.summarize(eqn.source_info, num_frames=40).splitlines()
    for frame in reversed(frames):
        file, _, rest = frame.partition(":")
        number = rest.split(":")[0].split(" ")[0]
        if os.path.abspath(file) == target and number.isdigit():
            text = linecache.getline(target, int(number)).strip()
            return f"{shown_path(target)}, line {number}", text
    return "", ""
