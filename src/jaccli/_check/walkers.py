"""Where a value or derivative goes wrong: the traced program evaluated equation by equation,
stopping at the first operation that turns finite inputs into NaN or inf, or that is evaluated
where its derivative is infinite.

The walk steps into the program of a call (a jitted function, a remat, a custom rule's primal),
which runs on the equation's own inputs; a loop or a cond is evaluated as one operation, since
its body runs on slices, carries or one branch (`jaccli._derivatives.jaxpr`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._derivatives import jaxpr

# How to keep a derivative finite where each of these operations is singular.
SINGULAR_HINTS = {
    "sqrt": "the double-where trick keeps the derivative finite: "
    "jnp.where(r > 0, jnp.sqrt(jnp.where(r > 0, r, 1.0)), 0.0)",
    "rsqrt": "guard the argument with jnp.where before the call (the double-where trick)",
    "log": "guard the argument with jnp.where before the call (the double-where trick)",
    "pow": "guard the base with jnp.where before the power (the double-where trick)",
    "div": "guard the denominator with jnp.where before dividing (the double-where trick)",
    "atan2": "guard the arguments with jnp.where away from the origin",
}

# Whether an equation, given its input and output values, is the one looked for.
Found = Callable[[Any, Sequence[Any], Sequence[Any]], bool]


@dataclass(frozen=True)
class Culprit:
    """An operation of the traced program: its primitive, where the user wrote it, its inputs."""

    primitive: str
    location: str
    inputs: tuple[str, ...]


def first_nonfinite(fn: Callable[..., Any], *args: Any, path: str | None = None) -> Culprit | None:
    """Evaluate ``fn``'s program equation by equation and name the first one that turns finite
    inputs into NaN or inf (looking inside calls), or None when all stay finite.

    >>> import jax.numpy as jnp
    >>> first_nonfinite(lambda x: jnp.log(x - 1.0) * 2.0, 1.0).primitive
    'log'
    """

    def nonfinite(eqn: Any, invals: Sequence[Any], outvals: Sequence[Any]) -> bool:
        return _all_finite(invals) and not _all_finite(outvals)

    return _search(fn, args, nonfinite, path)


def first_singular(fn: Callable[..., Any], *args: Any, path: str | None = None) -> Culprit | None:
    """The first operation evaluated where its derivative is infinite (sqrt, log, a division,
    a fractional power at 0), or None.

    >>> import jax.numpy as jnp
    >>> first_singular(lambda x: jnp.sqrt(x * x), 0.0).inputs
    ('0',)
    """

    def singular(eqn: Any, invals: Sequence[Any], outvals: Sequence[Any]) -> bool:
        name = eqn.primitive.name
        if name not in SINGULAR_HINTS or not invals:
            return False
        watched = invals[1:2] if name == "div" else invals[:1]
        if name == "atan2":
            watched = invals
        if name == "pow" and len(invals) > 1 and np.all(np.asarray(invals[1]) >= 1):
            return False
        return all(np.any(np.asarray(v) == 0) for v in watched)

    return _search(fn, args, singular, path, among=frozenset(SINGULAR_HINTS))


def _search(
    fn: Callable[..., Any],
    args: Sequence[Any],
    found: Found,
    path: str | None,
    among: frozenset[str] | None = None,
) -> Any:
    """The first equation ``found`` holds for; ``among`` names the only primitives it can hold
    for, if so few: a program without any of them is not evaluated at all (each operation of
    the walk is a compilation of its own)."""
    import jax

    program = jaxpr.closed(jax.make_jaxpr(fn)(*args))
    if among is not None and among.isdisjoint(jaxpr.primitive_names(program.jaxpr)):
        return None
    culprit, _ = _walk(program, jax.tree_util.tree_leaves(args), found, path)
    return culprit


def _walk(
    program: jaxpr.Program, args: Sequence[Any], found: Found, path: str | None
) -> tuple[Culprit | None, list[Any]]:
    """Evaluate a program equation by equation until ``found`` holds for one; return it (or
    None) and the program's outputs."""
    body = program.jaxpr
    env: dict[Any, Any] = dict(zip(body.constvars, program.consts, strict=True))
    env.update(zip(body.invars, args, strict=True))

    def read(var: Any) -> Any:
        return var.val if jaxpr.is_literal(var) else env[var]

    for eqn in body.eqns:
        invals = [read(v) for v in eqn.invars]
        called = jaxpr.called_program(eqn)
        if called is not None:
            culprit, outvals = _walk(called, invals, found, path)
            if culprit is not None:
                return culprit, []
        else:
            outvals = eqn.primitive.bind(*invals, **eqn.params)
            if not eqn.primitive.multiple_results:
                outvals = [outvals]
        env.update(zip(eqn.outvars, outvals, strict=True))
        if found(eqn, invals, outvals):
            inputs = tuple(_describe(v) for v in invals)
            return Culprit(eqn.primitive.name, _location(eqn, path), inputs), []
    return None, [read(v) for v in body.outvars]


def _all_finite(values: Sequence[Any]) -> bool:
    for value in values:
        array = np.asarray(value)
        if array.dtype.kind in "fc" and not np.all(np.isfinite(array)):
            return False
    return True


def _describe(value: Any) -> str:
    array = np.asarray(value)
    if array.size == 1:
        return f"{array.reshape(()).item():.6g}"
    return f"array of shape {tuple(array.shape)}"


def _location(eqn: Any, path: str | None) -> str:
    """``file, line N`` of the user's line that made ``eqn``, when it is in ``path``."""
    return jaxpr.source_line(eqn, path)[0]
