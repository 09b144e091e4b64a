"""Central differences with Richardson extrapolation: the Jacobian, and the Hessian and its
product with a vector from a gradient function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from .estimate import Estimate
from .evaluation import Batched, as_point, evaluate, quiet, rounding_eps
from .probes import Differences, differences
from .richardson import richardson
from .steps import NUM_STEPS, input_scale, relative_steps

# The balancing step of central differences is at eps**(1/CENTRAL_BALANCE).
CENTRAL_BALANCE = 5


@quiet
def jacobian_central(
    fn: Callable[[Any], Any], x: npt.ArrayLike, *, batched: Batched | None = None
) -> Estimate:
    """The Jacobian ``(m, n)`` by central differences with Richardson extrapolation.

    Steps follow each input's own scale (and scale 1 too, for inputs far from 1), entry by
    entry the one with the smaller error estimate; where every central difference of an input
    leaves the function's domain, smaller steps, then one-sided differences (see `probes`).

    Args:
        fn: a function of a flat real vector ``(n,)``, JAX-traceable where possible.
        x: the point, a flat real vector ``(n,)``; its dtype sets the steps.
        batched: optional ``(k, n) -> (k, ...)`` evaluation of ``fn`` on many points at once;
            defaults to ``jax.jit(jax.vmap(fn))``, with a loop of eager calls of ``fn`` when
            that cannot be traced. It is called once (again, with smaller steps, only for
            inputs whose differences all leave the function's domain), and its errors
            propagate.

    Returns:
        an `Estimate` with method ``central_richardson``.

    >>> import jax.numpy as jnp
    >>> est = jacobian_central(lambda x: jnp.stack([x[0] ** 2 * x[1], jnp.sin(x[0])]), [1.0, 2.0])
    >>> np.round(est.estimate, 9).tolist()
    [[4.0, 1.0], [0.540302306, 0.0]]
    >>> bool(np.all(est.error_estimate < 1e-9))
    True
    """
    x = as_point(x)
    return central_estimate(differences(fn, x, CENTRAL_BALANCE, batched))


def central_estimate(found: Differences) -> Estimate:
    """The central-difference Jacobian ``(m, n)`` of `differences` taken at `CENTRAL_BALANCE`."""
    central = found.central
    note = found.note
    if found.one_sided:
        inputs = ", ".join(str(j) for j in found.one_sided)
        side = "one-sided differences for input " + inputs
        note = f"{note}; {side}" if note else side
        note += " (the function is not finite on the other side)"
    return Estimate(
        estimate=central.estimate.T,
        error_estimate=central.error.T,
        step=central.step.T,
        method="central_richardson",
        vectorised=found.vectorised,
        note=note,
        evaluations=found.evaluations,
    )


@quiet
def hessian_from_gradient(
    grad_fn: Callable[[Any], Any], x: npt.ArrayLike, *, batched: Batched | None = None
) -> Estimate:
    """The Hessian ``(n, n)`` as the central-difference Jacobian of a gradient function.

    Row ``i`` is ``d grad_i / dx``. The result is not symmetrised, so that an asymmetric
    gradient (a wrong custom derivative rule) stays visible.

    Args:
        grad_fn: the gradient, a function ``(n,) -> (n,)`` (typically from AD).
        x: the point, a flat real vector ``(n,)``.
        batched: optional ``(k, n) -> (k, n)`` evaluation, called exactly once.

    Returns:
        an `Estimate` with method ``central_richardson``.

    >>> import jax.numpy as jnp
    >>> est = hessian_from_gradient(lambda x: jnp.stack([2 * x[0] * x[1], x[0] ** 2]), [1.0, 3.0])
    >>> np.round(est.estimate, 9).tolist()
    [[6.0, 2.0], [2.0, 0.0]]
    """
    x = as_point(x)
    hessian = jacobian_central(grad_fn, x, batched=batched)
    if hessian.estimate.shape != (x.size, x.size):
        raise ValueError(
            f"a gradient of {x.size} inputs has {x.size} values, "
            f"but grad_fn returned {hessian.estimate.shape[0]}"
        )
    return hessian


@quiet
def hvp_from_gradient(
    grad_fn: Callable[[Any], Any],
    x: npt.ArrayLike,
    v: npt.ArrayLike,
    *,
    batched: Batched | None = None,
) -> Estimate:
    """The Hessian-vector product ``H v`` ``(n,)`` as a central difference of the gradient along v.

    ``d/dt grad(x + t v)`` at ``t = 0``, with Richardson extrapolation; ``t`` is scaled so that
    no input moves by more than its own step would in `jacobian_central`.

    Args:
        grad_fn: the gradient, a function ``(n,) -> (n,)``.
        x: the point, a flat real vector ``(n,)``.
        v: the direction, ``(n,)``.
        batched: optional ``(k, n) -> (k, n)`` evaluation, called exactly once.

    Returns:
        an `Estimate` of shape ``(n,)`` with method ``central_richardson``.

    >>> import jax.numpy as jnp
    >>> grad = lambda x: jnp.stack([2 * x[0] * x[1], x[0] ** 2])
    >>> est = hvp_from_gradient(grad, [1.0, 3.0], [1.0, 1.0])
    >>> np.round(est.estimate, 9).tolist()
    [8.0, 2.0]
    """
    x = as_point(x)
    v = np.asarray(v, dtype=np.float64).reshape(-1)
    if v.shape != x.shape:
        raise ValueError(f"v must have the shape of x, {x.shape}, but has shape {v.shape}")
    scale = input_scale(x)
    moving = v != 0
    # The input that moves most relative to its scale fixes t, and serves to measure the step
    # actually taken after rounding x + t v to the dtype.
    k = int(np.argmax(np.abs(v) / scale))
    t_unit = float(np.min(scale[moving] / np.abs(v[moving]))) if moving.any() else 1.0
    t = relative_steps(x.dtype, 5) * t_unit
    plus = (x + t[:, None] * v).astype(x.dtype)
    minus = (x - t[:, None] * v).astype(x.dtype)
    values, vectorised, note = evaluate(grad_fn, np.concatenate([plus, minus]), batched)
    f_plus, f_minus = values.reshape(2, NUM_STEPS, -1)
    if moving.any():
        span = (plus[:, k].astype(np.float64) - minus[:, k].astype(np.float64)) / v[k]
    else:
        span = 2.0 * t
    eps = rounding_eps(x, values)
    quotient = (f_plus - f_minus) / span[:, None]
    rounding = eps * (np.abs(f_plus) + np.abs(f_minus)) / span[:, None]
    estimate, error, index = richardson(quotient, rounding, (2, 4), eps)
    return Estimate(estimate, error, t[index], "central_richardson", vectorised, note=note)
