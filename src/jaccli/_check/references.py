"""The references AD is compared with, and the comparison.

SymPy differentiates the traced program exactly and evaluates at high precision; central
differences with Richardson extrapolation and the complex step (where the function is
real-analytic) come with an error estimate. An entry agrees when
``|ad - ref| <= atol + rtol·|ref| + 2·error_estimate``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._derivatives import jaxpr
from .._problem import Problem
from .derivatives import Derivatives
from .report import Reference, Worst, unavailable
from .walkers import first_singular

# The references that are exact, as differences are not.
EXACT_REFERENCES = ("sympy", "complex_step")

# Primitives whose complex extension is not the analytic continuation of the real function: the
# complex step would give a wrong answer, so it is not used for functions that contain them.
NOT_ANALYTIC = frozenset(
    {
        "abs",
        "sign",
        "max",
        "min",
        "gt",
        "ge",
        "lt",
        "le",
        "eq",
        "ne",
        "select_n",
        "floor",
        "ceil",
        "round",
        "real",
        "imag",
        "conj",
        "reduce_max",
        "reduce_min",
        "argmax",
        "argmin",
        "sort",
        "clamp",
        "rem",
    }
)


def compare(
    name: str,
    ad: np.ndarray,
    reference: np.ndarray,
    error: np.ndarray | None,
    rtol: float,
    atol: float,
    entry: Callable[..., tuple[Any, ...]],
) -> Reference:
    """Compare AD with one reference entry by entry; the worst entry is the one furthest past
    its tolerance.

    >>> ad, reference = np.array([1.0, 2.0]), np.array([1.0, 2.1])
    >>> ref = compare("r", ad, reference, None, 1e-6, 0.0, lambda i: (int(i),))
    >>> ref.passed, ref.worst.index, ref.failing
    (False, (1,), ((1,),))
    """
    ad = np.asarray(ad, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    err = np.zeros_like(reference) if error is None else np.asarray(error, dtype=np.float64)
    diff = np.abs(ad - reference)
    both_nan = np.isnan(ad) & np.isnan(reference)
    diff = np.where(both_nan, 0.0, diff)
    diff = np.where(np.isnan(diff), np.inf, diff)
    allowed = atol + rtol * np.abs(reference) + 2 * np.nan_to_num(err, nan=0.0, posinf=np.inf)
    allowed = np.where(np.isfinite(reference), allowed, 0.0)
    excess = np.divide(diff, allowed, out=np.where(diff > 0, np.inf, 0.0), where=allowed > 0)
    failing = np.argwhere(diff > allowed)
    scale = np.maximum(np.abs(reference), np.abs(np.nan_to_num(ad)))
    rel = np.divide(diff, scale, out=np.where(diff > 0, np.inf, 0.0), where=scale > 0)
    worst = None
    if excess.size:
        at = np.unravel_index(int(np.argmax(excess)), excess.shape)
        worst = Worst(entry(*at), float(ad[at]), float(reference[at]))
    return Reference(
        name=name,
        available=True,
        max_abs_err=float(np.max(diff)) if diff.size else 0.0,
        max_rel_err=float(np.max(rel)) if rel.size else 0.0,
        error_estimate=None if error is None else (float(np.max(err)) if err.size else 0.0),
        passed=failing.size == 0,
        worst=worst,
        failing=tuple(entry(*map(int, idx)) for idx in failing[:20]),
    )


def compare_estimate(name: str, d: Derivatives, est: Any, rtol: float, atol: float) -> Reference:
    """Compare AD with a finite-difference `Estimate` of ``d.fn``'s Jacobian.

    Where the estimate is NaN or infinite but AD is finite, the differences could not be taken
    there (a step crossed the edge of the function's domain, as ``log`` at 1e-8 with a step of
    1e-6, or overflowed): the reference is not available, which is no mismatch.
    """
    estimate = d.shaped(est.estimate)
    lost = np.argwhere(~np.isfinite(estimate) & np.isfinite(d.ad))
    if lost.size:
        entry = d.entry(*lost[0])
        which = f" for entry {entry}" if entry else ""
        return unavailable(
            name,
            f"not available at this point, because the function is not finite where the "
            f"differences{which} step (past the edge of its domain, or an overflow); "
            f"{len(lost)} of {estimate.size} entries could not be estimated",
        )
    return compare(name, d.ad, estimate, d.shaped(est.error_estimate), rtol, atol, d.entry)


def central_reference(d: Derivatives, central: Any, rtol: float, atol: float) -> Reference:
    """Central differences with Richardson extrapolation (``central``, computed once for the
    diagnoses too), compared with AD."""
    name = "central_richardson"
    if not central.succeeded:
        return unavailable(name, central.note or "the function could not be evaluated")
    return compare_estimate(name, d, central, rtol, atol)


def analytic_obstacle(
    fn: Callable[[Any], Any], x: np.ndarray, path: str | None = None
) -> str | None:
    """The first operation that makes the complex step invalid for ``fn``, with the line of
    ``path`` that wrote it, or None.

    >>> import jax.numpy as jnp
    >>> analytic_obstacle(lambda x: jnp.abs(x) * jnp.sin(x), np.ones(2))
    'abs'
    """
    import jax

    try:
        traced = jax.make_jaxpr(fn)(x)
    except Exception as exc:  # the complex step is simply unavailable; the reason says why
        return f"the function cannot be traced: {type(exc).__name__}"
    for top in traced.jaxpr.eqns:
        inner = [e for program in jaxpr.programs(top) for e in jaxpr.equations(program.jaxpr)]
        for eqn in [top, *inner]:
            if eqn.primitive.name in NOT_ANALYTIC:
                # Inside jnp.sort's own program the user's line is the call's.
                where, text = jaxpr.source_line(eqn, path)
                if not where:
                    where, text = jaxpr.source_line(top, path)
                quoted = f"`{text}` " if text else ""
                return eqn.primitive.name + (f", in {quoted}({where})" if where else "")
    return None


def complex_step_reference(
    d: Derivatives, rtol: float, atol: float, path: str | None = None
) -> Reference:
    """The complex step, where the function is real-analytic at the point, compared with AD;
    ``path`` is the user's file, to name the line that stands in the way."""
    from .._derivatives import fd

    name = "complex_step"
    obstacle = analytic_obstacle(d.flat.fn, d.flat.x, path)
    if obstacle is not None:
        return unavailable(name, f"the function is not real-analytic: it uses {obstacle}")
    singular = first_singular(d.flat.fn, d.flat.x, path=path)
    if singular is not None:
        place = f" ({singular.location})" if singular.location else ""
        return unavailable(
            name,
            f"the function is not analytic here: "
            f"{singular.primitive}({', '.join(singular.inputs)}){place}",
        )
    # Second order: the complex step of the holomorphic AD derivative,
    # J(x + ih e_j) = J(x) + ih ∂J/∂x_j + O(h²).
    fn = d.complex_fn or d.fn
    try:
        est = fd.jacobian_complex_step(fn, d.point)
    except Exception as exc:  # the reference is unavailable; its reason says why
        return unavailable(
            name, f"the function does not accept complex input ({type(exc).__name__})"
        )
    if not est.succeeded:
        return unavailable(name, est.note or "the function does not accept complex input")
    return compare_estimate(name, d, est, rtol, atol)


def start_sympy(problem: Problem, d: Derivatives) -> Any:
    """Start SymPy's exact derivative at the point (a `jaccli._symbolic.Pending`), or None where
    it does not apply (second derivatives of a vector output)."""
    from .._symbolic import exact_at

    if d.order == 2 and problem.out_shape != ():
        return None
    return exact_at(problem, d.order)


def sympy_reference(
    problem: Problem, d: Derivatives, pending: Any, rtol: float, atol: float
) -> Reference:
    """SymPy's exact derivative of the traced program (``pending``, from `start_sympy`),
    evaluated at the point, compared with AD."""
    from .._symbolic import SymbolicUnavailable

    name = "sympy"
    if pending is None:
        return unavailable(name, "SymPy second derivatives are for scalar outputs only")
    try:
        reference = pending.result()
    except SymbolicUnavailable as exc:
        return unavailable(name, str(exc))
    m, n = problem.m, d.flat.n
    shape = (m, n) if d.order == 1 else (m, n, n)
    exact = d.exact(np.asarray(reference, dtype=np.float64).reshape(shape))
    return compare(name, d.ad, d.shaped(exact), None, rtol, atol, d.entry)


def unreliable_differences(
    d: Derivatives, central: Any, references: Sequence[Reference], rtol: float, atol: float
) -> list[Reference]:
    """The references, with failed central differences marked unreliable at this point.

    Differences are unreliable, neither passed nor failed (``passed`` None), where every exact
    reference available (SymPy, the complex step) agrees with AD and the differences cannot
    vouch for their own result: their error estimate is above the tolerance wherever they
    disagree, or both exact references agree.
    """
    exact = [r for r in references if r.name in EXACT_REFERENCES and r.available]
    if not exact or not all(r.passed for r in exact):
        return list(references)
    marked = []
    for r in references:
        if r.name == "central_richardson" and r.passed is False:
            ref, err = d.shaped(central.estimate), d.shaped(central.error_estimate)
            tolerance = atol + rtol * np.abs(ref)
            wrong = ~(np.abs(d.ad - ref) <= tolerance + 2 * err)
            coarse = wrong & (err > tolerance)
            names = " and ".join(e.name for e in exact)
            if np.array_equal(coarse, wrong):
                reason = (
                    f"unreliable at this point: where they disagree with AD their error "
                    f"estimate (up to {np.max(err[wrong]):.3g}) is above the tolerance, and "
                    f"{names} {'agree' if len(exact) > 1 else 'agrees'} with AD"
                )
                r = dataclasses.replace(r, passed=None, reason=reason)
            elif len(exact) > 1:
                reason = (
                    f"unreliable at this point: {names}, exact and independent of each other, "
                    "agree with AD where the differences do not"
                )
                r = dataclasses.replace(r, passed=None, reason=reason)
        marked.append(r)
    return marked
