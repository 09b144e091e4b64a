"""One plan per command, for one point and for a batch alike: the preconditions, the mode and
why, the per-point derivative, how its result is laid out, and the vector that goes with it.

The point runner (`point`) calls a plan's derivative once at the problem's point; the batch
evaluator (`evaluator`) vmaps the same derivative over stacked points. So a command's rules —
what it refuses and with which hint, the mode it picks and the reason it gives — exist once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._derivatives.modes import passes
from .._problem import (
    Problem,
    bind_cotangent,
    bind_tangent,
    on_one_vector,
    one_vector,
    tangent_parts,
    to_numpy,
    unravel_axis,
    unravel_hessian,
)
from ..errors import ResourceError, ShapeError, UsageError
from .modes import check_mode, forward_instead, gradient_mode, jacobian_mode, reverse_or_forward
from .vectors import cast_per_point, per_point_count

COMMANDS = ("jacobian", "grad", "hessian", "jvp", "vjp", "hvp", "value")
# How a vector given one per point is laid out, for the hint of a vector that does not fit.
_PER_POINT_HINT = (
    "give one vector for every point, or one per point with a leading batch axis "
    "(e.g. {label} @v.npy of shape (N, ...))"
)


@dataclass(frozen=True)
class Plan:
    """How a command runs at each point of a prepared problem, and how its result is labelled."""

    command: str
    derivative: Callable[..., Any]
    """``derivative(values, vector, with_value)`` → a `compute.Derivative` at one point."""
    shape: Callable[[Any], Any]
    """The derivative's raw result → the result's layout (keyed by argument, nested pairs)."""
    vector: Any
    """The tangents or cotangent the derivative takes (one per point when ``per_point``)."""
    mode: str
    reason: str
    v: Any
    """The vector as the result reports it."""
    holomorphic: bool
    entries: int
    """The result's entries at one point (for the size guard and chunking)."""
    per_point: int | None = None
    """The number of vectors when one is given per point; None when one serves all."""
    finite_differences: bool = False
    """Whether a function JAX cannot trace falls back to finite differences at one point."""

    def point_fn(self, values: tuple[Any, ...], vector: Any, with_value: bool = True) -> Any:
        """``(value, raw result)`` at one point, as arrays: the function that batches vmap."""
        import jax.numpy as jnp

        d = self.derivative(values, vector, with_value)
        return (d.value if with_value else jnp.zeros(())), d.result


def plan(
    problem: Problem,
    command: str,
    mode: str = "auto",
    max_bytes: int = 1 << 30,
    vector: Any = None,
    batch: bool = False,
) -> Plan:
    """The plan of ``command`` on ``problem``; ``vector`` is ``v`` (jvp, vjp, hvp). In a
    ``batch`` the vector may also be given one per point, on a leading axis."""
    if command not in _PLANNERS:
        raise UsageError(f"{command} has no plan")
    return _PLANNERS[command](problem, mode=mode, max_bytes=max_bytes, vector=vector, batch=batch)


def at_each_point(problem: Problem, transform: Callable[..., Any]) -> Callable[..., Any]:
    """A plan's derivative: ``transform(fn, primals, vector, with_value)`` at a point's values."""
    import dataclasses

    def derivative(values: tuple[Any, ...], vector: Any, with_value: bool = True) -> Any:
        p = dataclasses.replace(problem, values=values)
        return transform(p.call, p.primals, vector, with_value)

    return derivative


def _by_argument(problem: Problem, transform: Callable[..., Any]) -> tuple[Any, bool]:
    """A transform whose result has one block per differentiated argument, run on the
    arguments as one flat vector where `one_vector` says so; and whether it was."""
    flat = one_vector(problem.primals)
    return (on_one_vector(transform) if flat else transform), flat


def _per_argument_plan(
    problem: Problem, command: str, transform: Callable[..., Any], **fields: Any
) -> Plan:
    """The plan of a Jacobian or gradient: one block per argument, from a flat derivative (see
    `_by_argument`) by splitting its last axis, over all inputs, back into the blocks."""
    transform, flat = _by_argument(problem, transform)

    def shape(raw: Any) -> Any:
        return problem.keyed(unravel_axis(raw[0], problem.primals, -1) if flat else raw)

    return _plan(problem, command, transform, shape=shape, **fields)


def _plan(problem: Problem, command: str, transform: Callable[..., Any], **fields: Any) -> Plan:
    """A plan whose derivative is ``transform`` at each point; by default its result is keyed by
    argument, it takes no vector, and it is holomorphic where the problem is."""
    fields.setdefault("shape", problem.keyed)
    fields.setdefault("vector", None)
    fields.setdefault("v", None)
    fields.setdefault("holomorphic", problem.kind == "holomorphic")
    return Plan(command=command, derivative=at_each_point(problem, transform), **fields)


# The mode of each product of a vector with a derivative that is never formed.
_PRODUCT_MODES = {"jvp": "forward", "vjp": "reverse", "hvp": "forward-over-reverse"}


def _product(
    problem: Problem,
    command: str,
    transform: Callable[..., Any],
    bound: tuple[Any, Any],
    reason: str,
    mode: str = "",
) -> Plan:
    """The plan of jvp, vjp or hvp: ``bound`` is the vector and, in a batch, its count per point."""
    vector, per_point = bound
    if command == "vjp":
        v, shape, entries = np.asarray(vector), problem.keyed, problem.n
    else:
        v = problem.keyed(vector)
        shape, entries = (to_numpy, problem.m) if command == "jvp" else (problem.keyed, problem.n)
    return _plan(
        problem,
        command,
        transform,
        shape=shape,
        vector=vector,
        v=v,
        mode=mode or _PRODUCT_MODES[command],
        reason=f"n={problem.n}, m={problem.m}: {reason}",
        entries=entries,
        per_point=per_point,
    )


def _value(problem: Problem, **_: Any) -> Plan:
    """The function alone (sampling-based sensitivity analysis): no derivative."""
    from .._derivatives import compute

    def value(fn: Any, primals: Any, _: Any, with_value: bool) -> Any:
        import jax.numpy as jnp

        return compute.Derivative(value=fn(*primals), result=jnp.zeros(()), compiled=True)

    return _plan(
        problem,
        "value",
        value,
        shape=to_numpy,
        mode="none",
        reason="no derivative",
        holomorphic=False,
        entries=0,
    )


def _jacobian(problem: Problem, mode: str, max_bytes: int, **_: Any) -> Plan:
    from .._derivatives import compute

    check_mode(mode, problem.labels)
    n, m, kind = problem.n, problem.m, problem.kind
    problem.guard_size(n * m, "Jacobian", max_bytes)
    choice = jacobian_mode(problem, mode)

    def jacobian(fn: Any, primals: Any, _: Any, with_value: bool) -> Any:
        return compute.jacobian(fn, primals, choice.mode, kind, with_value=with_value)

    return _per_argument_plan(
        problem,
        "jacobian",
        jacobian,
        mode=choice.mode,
        reason=choice.reason,
        entries=n * m,
        finite_differences=kind == "real",
    )


def _grad(problem: Problem, mode: str, **_: Any) -> Plan:
    from .._derivatives import compute

    check_mode(mode, problem.labels)
    problem.require_scalar("grad")
    kind = problem.kind
    if kind == "complex_output":
        raise UsageError(
            "grad of a complex-valued function of real inputs is not defined", hint="use jacobian"
        )
    inner, reason = gradient_mode(problem, mode)
    if inner == "reverse":
        reason = f"n={problem.n}, m=1: a gradient is one reverse-mode pass (one VJP)"
    else:
        reason = forward_instead(problem.n, 1, reason)

    def grad(fn: Any, primals: Any, _: Any, with_value: bool) -> Any:
        if inner == "forward":
            return compute.jacobian(fn, primals, "forward", kind, with_value=with_value)
        return compute.grad(fn, primals, kind, with_value=with_value)

    return _per_argument_plan(
        problem,
        "grad",
        grad,
        mode=inner,
        reason=reason,
        entries=problem.n,
        finite_differences=kind == "real",
    )


def _guard_hessian_size(problem: Problem, max_bytes: int, batch: bool) -> None:
    """Refuse a dense Hessian over ``max_bytes``; for one scalar function, pointing at sparse."""
    n, m = problem.n, problem.m
    try:
        problem.guard_size(m * n * n, "Hessian", max_bytes)
    except ResourceError as exc:
        if m != 1 or batch:
            raise
        sparse, limit = problem.labels("sparse"), problem.labels("max_bytes")
        raise ResourceError(
            exc.message,
            hint=f"a Hessian this large is usually sparse: {sparse} computes it from its "
            "pattern, one HVP per colour, in memory proportional to its nonzeros; or use hvp "
            f"for products, or raise {limit}",
        ) from None


def _hessian(problem: Problem, mode: str, max_bytes: int, batch: bool, **_: Any) -> Plan:
    from .._derivatives import compute

    check_mode(mode, problem.labels)
    problem.require_real("hessian")
    n, m = problem.n, problem.m
    _guard_hessian_size(problem, max_bytes, batch)
    inner, why = gradient_mode(problem, mode)

    def hessian(fn: Any, primals: Any, _: Any, with_value: bool) -> Any:
        return compute.hessian(fn, primals, inner)

    transform, flat = _by_argument(problem, hessian)

    def rows(raw: Any) -> Any:
        if flat:
            raw = unravel_hessian(raw[0][0], problem.primals)
        shaped = [problem.keyed(row) for row in raw]
        return shaped[0] if len(shaped) == 1 else dict(zip(problem.wrt, shaped, strict=True))

    reason = f"n={n}, m={m}: forward-over-reverse, {passes(n, 'JVP')} of the reverse-mode gradient"
    if inner == "forward":
        reason = (
            f"n={n}, m={m}: {why}, so forward-over-forward: {passes(n, 'JVP')} of the forward-mode "
            f"gradient, itself {passes(n, 'JVP')}"
        )
    return _plan(
        problem,
        "hessian",
        transform,
        shape=rows,
        mode=f"forward-over-{inner}",
        reason=reason,
        entries=m * n * n,
        # Second differences need a scalar function of arrays (a dict argument has no layout).
        finite_differences=m == 1 and all(hasattr(primal, "shape") for primal in problem.primals),
    )


def _jvp(problem: Problem, vector: Any, batch: bool, **_: Any) -> Plan:
    from .._derivatives import compute

    kind = problem.kind
    if kind == "complex_input":
        raise UsageError(
            "jvp of a real-valued function of complex inputs is not defined here",
            hint="use jacobian or grad",
        )

    def jvp(fn: Any, primals: Any, t: Any, with_value: bool) -> Any:
        return compute.jvp(fn, primals, t)

    reason = "one forward-mode pass (one JVP); J is never formed"
    return _product(problem, "jvp", jvp, _tangents(problem, vector, batch), reason)


def _hvp(problem: Problem, mode: str, vector: Any, batch: bool, **_: Any) -> Plan:
    from .._derivatives import compute

    check_mode(mode, problem.labels)
    problem.require_scalar("hvp")
    problem.require_real("hvp")
    bound = _tangents(problem, vector, batch)
    inner, why = gradient_mode(problem, mode)

    def hvp(fn: Any, primals: Any, t: Any, with_value: bool) -> Any:
        return compute.hvp(fn, primals, t, with_value=with_value, inner=inner)

    reason = "forward-over-reverse, one JVP of the gradient; H is never formed"
    if inner == "forward":
        reason = (
            f"{why}, so forward-over-forward: one JVP of the forward-mode gradient "
            f"({passes(problem.n, 'JVP')}); H is never formed"
        )
    return _product(problem, "hvp", hvp, bound, reason, mode=f"forward-over-{inner}")


def _vjp(problem: Problem, vector: Any, batch: bool, **_: Any) -> Plan:
    import jax

    from .._derivatives import compute

    kind = problem.kind
    if kind in ("complex_input", "complex_output"):
        raise UsageError(
            "vjp of a function that is neither real nor holomorphic is not defined here",
            hint="use jacobian",
        )

    bound = _cotangent(problem, vector, batch)
    blocked = reverse_or_forward(problem, "auto")

    def vjp(fn: Any, primals: Any, c: Any, with_value: bool) -> Any:
        if kind == "holomorphic":
            primals = jax.tree_util.tree_map(lambda a: a + 0j, primals)
        if blocked:
            return compute.vjp_forward(fn, primals, c, kind)
        return compute.vjp(fn, primals, c)

    if blocked:
        reason = (
            f"{blocked}, so forward mode: the gradient of v·f, {passes(problem.n, 'JVP')} (one per "
            "input); J is never formed"
        )
        return _product(problem, "vjp", vjp, bound, reason, mode="forward")
    reason = "one reverse-mode pass (one VJP); J is never formed"
    return _product(problem, "vjp", vjp, bound, reason)


def _tangents(problem: Problem, vector: Any, batch: bool) -> tuple[Any, int | None]:
    """``v`` for jvp/hvp: one tangent for every point, or (in a batch) one per point."""
    label = problem.labels("v")
    try:
        return bind_tangent(problem, vector, label), None
    except ShapeError as exc:
        parts = tangent_parts(problem, vector, label)
        count = per_point_count(parts, problem.primals) if batch else None
        if count is None:
            raise ShapeError(exc.message, hint=_PER_POINT_HINT.format(label=label)) from None
        return cast_per_point(parts, problem.primals, label), count


def _cotangent(problem: Problem, vector: Any, batch: bool) -> tuple[Any, int | None]:
    """``v`` for vjp: one cotangent for every point, or (in a batch) one per point."""
    import jax

    label = problem.labels("v")
    cotangent = np.asarray(vector)
    like = jax.ShapeDtypeStruct(problem.out_shape, problem.out_dtype)
    count = None
    if batch and cotangent.shape != problem.out_shape:
        count = per_point_count(cotangent, like)
    if count is not None:
        return cast_per_point(cotangent, like, label), count
    try:
        return bind_cotangent(problem, cotangent, label), None
    except ShapeError as exc:
        if cotangent.shape == problem.out_shape:
            raise
        raise ShapeError(exc.message, hint=_PER_POINT_HINT.format(label=label)) from None


_PLANNERS: dict[str, Callable[..., Plan]] = {
    "value": _value,
    "jacobian": _jacobian,
    "grad": _grad,
    "hessian": _hessian,
    "jvp": _jvp,
    "vjp": _vjp,
    "hvp": _hvp,
}
