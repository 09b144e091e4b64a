"""The derivative under check: what AD produced, on the flat view of the differentiated
arguments, and the function whose Jacobian the references compute to compare with it.

Everything is on the flat view (``ravel_pytree``): an ``(m, n)`` Jacobian or ``(m, n, n)``
second derivative, with ``m`` outputs and ``n`` inputs. A product (jvp, vjp, hvp) is checked as
the Jacobian of a function of fewer variables, so that every reference is a Jacobian.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._problem import Flat, Problem, flat_hessian, flat_jacobian, flatten
from ..errors import FunctionError, UsageError


@dataclass(frozen=True)
class Derivatives:
    """The AD derivative on a flat view, and the function whose derivative it is.

    ``ad`` is the AD derivative of ``fn`` at ``point`` (reshaped: ``fn``'s Jacobian has
    ``ad.size`` entries). For a Jacobian, ``fn`` is the flat function and ``point`` the flat
    input; for a product, ``fn`` is restricted to the line ``x + t v`` (jvp, hvp) or contracted
    with the cotangent (vjp); for second derivatives ``fn`` is the flat AD Jacobian, so that
    "right to first order, wrong to second" rules show. ``exact`` turns the symbolic Jacobian
    (``(m, n)``) or second derivatives (``(m, n, n)``) into the same quantity as ``ad``.
    """

    command: str
    order: int
    ad: np.ndarray
    value: np.ndarray
    fn: Callable[[Any], Any]
    point: np.ndarray
    flat: Flat
    entry: Callable[..., tuple[Any, ...]]
    exact: Callable[[np.ndarray], np.ndarray]
    complex_fn: Callable[[Any], Any] | None = None

    def shaped(self, matrix: Any) -> np.ndarray:
        """A flat reference (the Jacobian of ``fn``) reshaped like the AD derivative."""
        return np.asarray(matrix).reshape(self.ad.shape)


def require_autodiff(result: Any, labels: Callable[[str], str]) -> None:
    """Refuse a result computed by finite differences: it has no AD derivative to check."""
    if result.extra.get("method") == "finite_differences":
        raise FunctionError(
            f"there is no AD derivative to check: {result.extra['method_reason']}",
            hint=f"without {labels('check')}, {result.command} gives finite differences with "
            "error estimates",
        )


def derivatives(
    problem: Problem,
    command: str,
    ad_result: Any,
    v: Any = None,
    mode: str = "",
    value: Any = None,
) -> Derivatives:
    """Flatten the AD result the user gets, and build the function its references work on.

    ``command`` is ``jacobian``, ``grad``, ``hessian``, ``jvp``, ``vjp`` or ``hvp``; ``v`` is the
    product's vector as the result records it (``result.v``: keyed like the arguments for jvp
    and hvp, the cotangent for vjp). ``mode`` is the one AD took: a second derivative taken
    forward-over-forward (where reverse mode cannot be taken) has its gradient differentiated
    in forward mode here too. ``value`` is the function's value the AD result came with, where
    it has one: the function is then not compiled a second time for it.
    """
    import functools

    import jax

    if command not in _BUILDERS:
        raise UsageError(f"{command} cannot be checked")
    flat = flatten(problem)
    value = np.ravel(np.asarray(jax.jit(flat.fn)(flat.x) if value is None else value))
    build = _BUILDERS[command]
    if command in ("hessian", "hvp"):
        build = functools.partial(build, forward=mode == "forward-over-forward")
    return build(problem, command, flat, value, ad_result, v)


def _per_arg(problem: Problem, result: Any) -> tuple[Any, ...]:
    return (result,) if len(problem.wrt) == 1 else tuple(result[name] for name in problem.wrt)


def _flat_vector(problem: Problem, result: Any) -> np.ndarray:
    """A result keyed like the differentiated arguments, as one flat vector."""
    from jax.flatten_util import ravel_pytree

    return np.asarray(ravel_pytree(_per_arg(problem, result))[0])


def _line(flat: Flat) -> np.ndarray:
    """The point ``t = 0`` of a function restricted to a line."""
    return np.zeros(1, dtype=flat.x.dtype)


def _jacobian(problem: Problem, command: str, flat: Flat, value: Any, ad: Any, v: Any) -> Any:
    ad = flat_jacobian(problem, ad)
    return Derivatives(command, 1, ad, value, flat.fn, flat.x, flat, flat.entry, lambda j: j)


def _hessian(
    problem: Problem, command: str, flat: Flat, value: Any, ad: Any, v: Any, forward: bool
) -> Any:
    import jax
    import jax.numpy as jnp

    gradient = jax.jacfwd if forward else jax.jacrev
    jac = gradient(flat.fn)
    jac_holomorphic = gradient(flat.fn, holomorphic=True)
    return Derivatives(
        command,
        2,
        flat_hessian(problem, ad),
        value,
        lambda y: jnp.ravel(jac(y)),
        flat.x,
        flat,
        lambda i, j, k: flat.entry(i, j, k),
        lambda h: h,
        lambda z: jnp.ravel(jac_holomorphic(z)),
    )


def _jvp(problem: Problem, command: str, flat: Flat, value: Any, ad: Any, v: Any) -> Any:
    direction = _flat_vector(problem, v)

    def along(t: Any) -> Any:
        return flat.fn(flat.x + t[0] * direction)

    return Derivatives(
        command,
        1,
        np.ravel(np.asarray(ad)),
        value,
        along,
        _line(flat),
        flat,
        lambda i: flat.outputs[i],
        lambda j: j @ direction,
    )


def _vjp(problem: Problem, command: str, flat: Flat, value: Any, ad: Any, v: Any) -> Any:
    import jax.numpy as jnp

    cotangent = np.ravel(np.asarray(v))

    def contracted(y: Any) -> Any:
        return jnp.reshape(jnp.dot(cotangent, flat.fn(y)), (1,))

    return Derivatives(
        command,
        1,
        _flat_vector(problem, ad),
        value,
        contracted,
        flat.x,
        flat,
        lambda j: flat.inputs[j],
        lambda j: cotangent @ j,
    )


def _hvp(
    problem: Problem, command: str, flat: Flat, value: Any, ad: Any, v: Any, forward: bool
) -> Any:
    import jax
    import jax.numpy as jnp

    direction = _flat_vector(problem, v)

    def scalar(y: Any) -> Any:
        return jnp.reshape(flat.fn(y), ())

    gradient_of = jax.jacfwd if forward else jax.grad
    gradient = gradient_of(scalar)
    gradient_holomorphic = gradient_of(scalar, holomorphic=True)
    return Derivatives(
        command,
        2,
        _flat_vector(problem, ad),
        value,
        lambda t: gradient(flat.x + t[0] * direction),
        _line(flat),
        flat,
        lambda i: flat.inputs[i],
        lambda h: h[0] @ direction,
        lambda t: gradient_holomorphic(flat.x + t[0] * direction),
    )


# How each command's AD result becomes a flat derivative, and what its references differentiate.
_BUILDERS: dict[str, Callable[..., Derivatives]] = {
    "jacobian": _jacobian,
    "grad": _jacobian,
    "hessian": _hessian,
    "jvp": _jvp,
    "vjp": _vjp,
    "hvp": _hvp,
}
