"""Cross-check AD derivatives against SymPy and finite differences, and diagnose what is wrong.

A check computes the AD derivative the user would get, then the same derivative from independent
references — SymPy (exact, evaluated at high precision), central differences with Richardson
extrapolation, and the complex step where the function is real-analytic — and compares entry by
entry: an entry agrees when ``|ad - ref| <= atol + rtol·|ref| + 2·error_estimate``. Diagnoses say
*why* a derivative is wrong or untrustworthy: a kink (one-sided differences disagree), non-finite
values (and the operation that produced them), a broken graph (AD exactly zero where differences
are not), nondeterminism, or too little precision to resolve the tolerance.

Everything is computed on the flat view of the differentiated arguments (``ravel_pytree``): an
``(m, n)`` Jacobian or ``(m, n, n)`` second derivative, with ``m`` outputs and ``n`` inputs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import _operations
from .._problem import (
    DEFAULT_MAX_BYTES,
    Flat,
    Problem,
    flat_jacobian,
    flatten,
    guard_user_code,
)
from ..errors import FunctionError, UsageError

REFERENCES = ("sympy", "central_richardson", "complex_step")
_ALIASES = {
    "sympy": "sympy",
    "fd": "central_richardson",
    "central": "central_richardson",
    "central_richardson": "central_richardson",
    "richardson": "central_richardson",
    "complex": "complex_step",
    "complex_step": "complex_step",
    "cs": "complex_step",
}
DEFAULT_TOLERANCES = {"float64": (1e-6, 1e-9), "float32": (1e-3, 1e-5)}
# Primitives whose complex extension is not the analytic continuation of the real function: the
# complex step would give a wrong answer, so it is not used for functions that contain them.
_NOT_ANALYTIC = frozenset(
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


@dataclass(frozen=True)
class Worst:
    """The entry where AD and a reference differ most (relative to the tolerance)."""

    index: tuple[Any, ...]
    ad: float
    reference: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": list(self.index),
            "ad": _json_float(self.ad),
            "reference": _json_float(self.reference),
        }


@dataclass(frozen=True)
class Reference:
    """One reference derivative compared with AD."""

    name: str
    available: bool
    reason: str | None = None
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    error_estimate: float | None = None
    passed: bool = False
    worst: Worst | None = None
    failing: tuple[tuple[Any, ...], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "available": self.available,
            "reason": self.reason,
            "max_abs_err": _json_float(self.max_abs_err),
            "max_rel_err": _json_float(self.max_rel_err),
            "error_estimate": _json_float(self.error_estimate),
            "passed": self.passed,
            "worst": self.worst.to_dict() if self.worst else None,
        }


@dataclass(frozen=True)
class Diagnosis:
    """Something wrong or doubtful about the derivative, in plain words, with the entries."""

    kind: str
    message: str
    entries: tuple[tuple[Any, ...], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "entries": [list(e) for e in self.entries],
        }


@dataclass(frozen=True)
class Report:
    """The outcome of a check: references, diagnoses and whether everything agrees."""

    order: int
    passed: bool
    rtol: float
    atol: float
    references: tuple[Reference, ...]
    diagnoses: tuple[Diagnosis, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "order": self.order,
            "rtol": self.rtol,
            "atol": self.atol,
            "references": [r.to_dict() for r in self.references],
            "diagnoses": [d.to_dict() for d in self.diagnoses],
        }


def parse_against(text: str | None) -> tuple[str, ...]:
    """``sympy,fd,complex`` → reference names; None means every reference."""
    if text is None:
        return REFERENCES
    names = []
    for part in text.split(","):
        key = part.strip().lower()
        if key not in _ALIASES:
            raise UsageError(
                f"--against names an unknown reference {part.strip()!r}",
                hint="choose from sympy, fd (central differences), complex (complex step)",
            )
        if _ALIASES[key] not in names:
            names.append(_ALIASES[key])
    return tuple(names)


def tolerances(dtype: str, rtol: float | None, atol: float | None) -> tuple[float, float]:
    """The tolerances asked for, or defaults that fit the dtype."""
    default_rtol, default_atol = DEFAULT_TOLERANCES.get(dtype, DEFAULT_TOLERANCES["float64"])
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if not (rtol >= 0 and atol >= 0 and np.isfinite(rtol) and np.isfinite(atol)):
        raise UsageError("--rtol and --atol must be finite and not negative")
    return float(rtol), float(atol)


# --- the flat view ----------------------------------------------------------------------------


# --- comparing --------------------------------------------------------------------------------


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
    its tolerance."""
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
    worst_flat = int(np.argmax(excess)) if excess.size else 0
    worst = None
    if excess.size:
        at = np.unravel_index(worst_flat, excess.shape)
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


def _json_float(value: float | None) -> float | None:
    """A float for strict JSON: NaN and inf become None (counted in the result's warnings)."""
    return value if value is None or np.isfinite(value) else None


def unavailable(name: str, reason: str) -> Reference:
    return Reference(name=name, available=False, reason=reason)


def analytic_obstacle(fn: Callable[[Any], Any], x: np.ndarray) -> str | None:
    """The first primitive that makes the complex step invalid for ``fn``, or None."""
    import jax

    try:
        jaxpr = jax.make_jaxpr(fn)(x)
    except Exception as exc:  # the complex step is simply unavailable; the reason says why
        return f"the function cannot be traced: {type(exc).__name__}"
    for name in _primitive_names(jaxpr.jaxpr):
        if name in _NOT_ANALYTIC:
            return name
    return None


def _primitive_names(jaxpr: Any) -> Sequence[str]:
    names = []
    for eqn in jaxpr.eqns:
        names.append(eqn.primitive.name)
        for sub in _subjaxprs(eqn):
            names.extend(_primitive_names(sub))
    return names


def _programs(eqn: Any) -> list[Any]:
    """The inner programs an equation carries in its parameters (a jitted call's, a loop's
    body, a cond's branches), open or closed."""
    found = []
    for value in eqn.params.values():
        for item in value if isinstance(value, (tuple, list)) else (value,):
            if hasattr(item, "eqns") or hasattr(getattr(item, "jaxpr", None), "eqns"):
                found.append(item)
    return found


def _subjaxprs(eqn: Any) -> list[Any]:
    return [p.jaxpr if hasattr(p, "consts") else p for p in _programs(eqn)]


# --- diagnoses --------------------------------------------------------------------------------

# How to keep a derivative finite where each of these operations is singular.
_SINGULAR_HINTS = {
    "sqrt": "the double-where trick keeps the derivative finite: "
    "jnp.where(r > 0, jnp.sqrt(jnp.where(r > 0, r, 1.0)), 0.0)",
    "rsqrt": "guard the argument with jnp.where before the call (the double-where trick)",
    "log": "guard the argument with jnp.where before the call (the double-where trick)",
    "pow": "guard the base with jnp.where before the power (the double-where trick)",
    "div": "guard the denominator with jnp.where before dividing (the double-where trick)",
    "atan2": "guard the arguments with jnp.where away from the origin",
}


@dataclass(frozen=True)
class Culprit:
    """An operation of the traced program: its primitive, where the user wrote it, its inputs."""

    primitive: str
    location: str
    inputs: tuple[str, ...]


def first_nonfinite(fn: Callable[..., Any], *args: Any, path: str | None = None) -> Culprit | None:
    """Evaluate ``fn``'s program equation by equation and name the first one that turns finite
    inputs into NaN or inf (looking inside nested programs), or None when all stay finite."""

    def nonfinite(eqn: Any, invals: Sequence[Any], outvals: Sequence[Any]) -> bool:
        return _all_finite(invals) and not _all_finite(outvals)

    return _search(fn, args, nonfinite, path)


def first_singular(fn: Callable[..., Any], *args: Any, path: str | None = None) -> Culprit | None:
    """The first operation evaluated where its derivative is infinite (sqrt, log, a division,
    a fractional power at 0), or None."""

    def singular(eqn: Any, invals: Sequence[Any], outvals: Sequence[Any]) -> bool:
        name = eqn.primitive.name
        if name not in _SINGULAR_HINTS or not invals:
            return False
        watched = invals[1:2] if name == "div" else invals[:1]
        if name == "atan2":
            watched = invals
        if name == "pow" and len(invals) > 1 and np.all(np.asarray(invals[1]) >= 1):
            return False
        return all(np.any(np.asarray(v) == 0) for v in watched)

    return _search(fn, args, singular, path)


def _search(fn: Callable[..., Any], args: Sequence[Any], found: Any, path: str | None) -> Any:
    import jax

    closed = jax.make_jaxpr(fn)(*args)
    culprit, _ = _walk(closed.jaxpr, closed.consts, jax.tree_util.tree_leaves(args), found, path)
    return culprit


def _walk(
    jaxpr: Any, consts: Sequence[Any], args: Sequence[Any], found: Any, path: str | None
) -> tuple[Culprit | None, list[Any]]:
    """Evaluate a program equation by equation until ``found`` holds for one; return it (or
    None) and the program's outputs. A call of an inner program (a jitted function, a custom
    derivative rule's primal) is evaluated by walking the inner program."""
    from jax.extend.core import Literal

    env: dict[Any, Any] = dict(zip(jaxpr.constvars, consts, strict=True))
    env.update(zip(jaxpr.invars, args, strict=True))

    def read(var: Any) -> Any:
        return var.val if isinstance(var, Literal) else env[var]

    for eqn in jaxpr.eqns:
        invals = [read(v) for v in eqn.invars]
        inner = [sub for sub in _closed_subjaxprs(eqn) if len(sub.jaxpr.invars) == len(invals)]
        if len(inner) == 1:
            culprit, outvals = _walk(inner[0].jaxpr, inner[0].consts, invals, found, path)
            if culprit is not None:
                return culprit, []
        else:
            outvals = eqn.primitive.bind(*invals, **eqn.params)
            if not eqn.primitive.multiple_results:
                outvals = [outvals]
        for var, value in zip(eqn.outvars, outvals, strict=True):
            env[var] = value
        if found(eqn, invals, outvals):
            culprit = Culprit(
                eqn.primitive.name, _location(eqn, path), tuple(_describe(v) for v in invals)
            )
            return culprit, []
    return None, [read(v) for v in jaxpr.outvars]


def _closed_subjaxprs(eqn: Any) -> list[Any]:
    return [p for p in _programs(eqn) if hasattr(p, "consts")]


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
    import os

    from jax.extend import source_info_util

    lines = source_info_util.summarize(eqn.source_info, num_frames=40).splitlines()
    if path:
        target = os.path.abspath(path)
        for line in reversed(lines):
            file, _, rest = line.partition(":")
            if os.path.abspath(file) == target:
                return f"{os.path.relpath(target)}, line {rest.split(':')[0].split(' ')[0]}"
    return ""


# --- the check --------------------------------------------------------------------------------

_FAILING_KINDS = frozenset({"kink", "nonfinite", "broken_graph", "nondeterministic"})


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


def derivatives(problem: Problem, command: str, ad_result: Any, v: Any = None) -> Derivatives:
    """Flatten the AD result the user gets, and build the function its references work on.

    ``command`` is ``jacobian``, ``grad``, ``hessian``, ``jvp``, ``vjp`` or ``hvp``; ``v`` is the
    product's vector as the result records it (``result.v``: keyed like the arguments for jvp
    and hvp, the cotangent for vjp).
    """
    import jax
    import jax.numpy as jnp
    from jax.flatten_util import ravel_pytree

    flat = flatten(problem)
    x = flat.x
    value = np.ravel(np.asarray(jax.jit(flat.fn)(x)))
    m, n = problem.m, flat.n
    line = np.zeros(1, dtype=x.dtype)
    if command in ("jacobian", "grad"):
        return Derivatives(
            command,
            1,
            flat_jacobian(problem, ad_result),
            value,
            flat.fn,
            x,
            flat,
            flat.entry,
            lambda j: j,
        )
    if command == "hessian":
        jac = jax.jacrev(flat.fn)
        jac_holomorphic = jax.jacrev(flat.fn, holomorphic=True)
        ad = np.asarray(jax.jit(jax.jacfwd(jac))(x)).reshape(m, n, n)
        return Derivatives(
            command,
            2,
            ad,
            value,
            lambda y: jnp.ravel(jac(y)),
            x,
            flat,
            lambda i, j, k: flat.entry(i, j, k),
            lambda h: h,
            lambda z: jnp.ravel(jac_holomorphic(z)),
        )
    if command == "jvp":
        direction = np.asarray(ravel_pytree(_per_arg(problem, v))[0])
        ad = np.ravel(np.asarray(ad_result))

        def along(t: Any) -> Any:
            return flat.fn(x + t[0] * direction)

        return Derivatives(
            command,
            1,
            ad,
            value,
            along,
            line,
            flat,
            lambda i: flat.outputs[i],
            lambda j: j @ direction,
        )
    if command == "vjp":
        cotangent = np.ravel(np.asarray(v))
        ad = np.asarray(ravel_pytree(_per_arg(problem, ad_result))[0])

        def contracted(y: Any) -> Any:
            return jnp.reshape(jnp.dot(cotangent, flat.fn(y)), (1,))

        return Derivatives(
            command,
            1,
            ad,
            value,
            contracted,
            x,
            flat,
            lambda j: flat.inputs[j],
            lambda j: cotangent @ j,
        )
    if command == "hvp":
        direction = np.asarray(ravel_pytree(_per_arg(problem, v))[0])
        ad = np.asarray(ravel_pytree(_per_arg(problem, ad_result))[0])

        def scalar(y: Any) -> Any:
            return jnp.reshape(flat.fn(y), ())

        gradient = jax.grad(scalar)
        gradient_holomorphic = jax.grad(scalar, holomorphic=True)
        return Derivatives(
            command,
            2,
            ad,
            value,
            lambda t: gradient(x + t[0] * direction),
            line,
            flat,
            lambda i: flat.inputs[i],
            lambda h: h[0] @ direction,
            lambda t: gradient_holomorphic(x + t[0] * direction),
        )
    raise UsageError(f"{command} cannot be checked")


def _per_arg(problem: Problem, result: Any) -> tuple[Any, ...]:
    return (result,) if len(problem.wrt) == 1 else tuple(result[name] for name in problem.wrt)


def _require_autodiff(result: Any) -> None:
    if result.extra.get("method") == "finite_differences":
        raise FunctionError(
            f"there is no AD derivative to check: {result.extra['method_reason']}",
            hint=f"without --check, {result.command} gives finite differences with error estimates",
        )


def run_check(
    problem: Problem,
    ad_result: Any,
    *,
    command: str = "jacobian",
    v: Any = None,
    rtol: float | None = None,
    atol: float | None = None,
    against: Sequence[str] = REFERENCES,
) -> Report:
    """Compare the AD result of ``command`` (``ad_result``, as the API returns it) with every
    reference asked for, and diagnose what is wrong."""
    import jax

    from .._derivatives import fd

    if problem.kind != "real":
        raise UsageError(
            "check supports real functions of real inputs only; this one has complex values",
            hint="check the real and imaginary parts as separate real functions",
        )
    rtol, atol = tolerances(problem.dtype, rtol, atol)
    with guard_user_code(problem.function), jax.default_device(problem.device):
        d = derivatives(problem, command, ad_result, v)
        central = fd.jacobian_central(d.fn, d.point)
        references = []
        for name in against:
            if name == "sympy":
                references.append(_sympy_reference(problem, d, rtol, atol))
            elif name == "central_richardson":
                references.append(
                    _compare_estimate(name, d, central, rtol, atol)
                    if central.succeeded
                    else unavailable(name, central.note or "the function could not be evaluated")
                )
            else:
                references.append(_complex_step_reference(problem, d, rtol, atol))
        diagnoses = _diagnose(problem, d, central, references, rtol, atol)
    passed = (
        any(r.available for r in references)
        and all(r.passed for r in references if r.available)
        and not any(diag.kind in _FAILING_KINDS for diag in diagnoses)
    )
    return Report(d.order, passed, rtol, atol, tuple(references), tuple(diagnoses))


def _shaped(d: Derivatives, matrix: np.ndarray) -> np.ndarray:
    """A flat reference ``(rows, n)`` reshaped like the AD derivative."""
    return np.asarray(matrix).reshape(d.ad.shape)


def _compare_estimate(name: str, d: Derivatives, est: Any, rtol: float, atol: float) -> Reference:
    return compare(
        name,
        d.ad,
        _shaped(d, est.estimate),
        _shaped(d, est.error_estimate),
        rtol,
        atol,
        d.entry,
    )


def _complex_step_reference(
    problem: Problem, d: Derivatives, rtol: float, atol: float
) -> Reference:

    from .._derivatives import fd

    name = "complex_step"
    obstacle = analytic_obstacle(d.flat.fn, d.flat.x)
    if obstacle is not None:
        return unavailable(name, f"the function is not real-analytic: it uses {obstacle}")
    singular = first_singular(d.flat.fn, d.flat.x)
    if singular is not None:
        return unavailable(
            name,
            f"the function is not analytic here: {singular.primitive}({', '.join(singular.inputs)})",
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
    return _compare_estimate(name, d, est, rtol, atol)


def _sympy_reference(problem: Problem, d: Derivatives, rtol: float, atol: float) -> Reference:
    from .._symbolic import SymbolicUnavailable, evaluate, hessian, jacobian, to_sympy

    name = "sympy"
    try:
        sym = to_sympy(problem)
        if d.order == 1:
            matrix = jacobian(sym).matrix
        elif problem.out_shape == ():
            matrix = hessian(sym).matrix
        else:
            return unavailable(name, "SymPy second derivatives are for scalar outputs only")
        reference = evaluate(matrix, sym.point)
    except SymbolicUnavailable as exc:
        return unavailable(name, str(exc))
    m, n = problem.m, d.flat.n
    shape = (m, n) if d.order == 1 else (m, n, n)
    exact = d.exact(np.asarray(reference, dtype=np.float64).reshape(shape))
    return compare(name, d.ad, _shaped(d, exact), None, rtol, atol, d.entry)


def _diagnose(
    problem: Problem,
    d: Derivatives,
    central: Any,
    references: Sequence[Reference],
    rtol: float,
    atol: float,
) -> list[Diagnosis]:
    from .._derivatives import fd

    diagnoses: list[Diagnosis] = []
    flat, x, path = d.flat, d.point, problem.function.path
    what = "derivative" if d.order == 1 else "second derivative"

    first = np.asarray(flat.fn(flat.x))
    second = np.asarray(flat.fn(flat.x))
    if not np.array_equal(first, second, equal_nan=True):
        differ = np.argwhere(~((first == second) | (np.isnan(first) & np.isnan(second))))
        gap = float(np.nanmax(np.abs(first - second)))
        diagnoses.append(
            Diagnosis(
                "nondeterministic",
                f"two evaluations at the same point differ (by up to {gap:.3g}), so no "
                "derivative can be checked; look for randomness or state in the function",
                tuple(flat.outputs[int(i)] for i in differ.ravel()[:20]),
            )
        )

    bad = ~np.isfinite(d.ad)
    if not np.all(np.isfinite(d.value)) or bad.any():
        diagnoses.append(_nonfinite(d, bad, what, path))

    forward, backward, kink = fd.one_sided(d.fn, x)
    kink = _shaped(d, kink)
    if kink.any():
        at = tuple(int(i) for i in np.argwhere(kink)[0])
        left = _shaped(d, backward.estimate)[at]
        right = _shaped(d, forward.estimate)[at]
        diagnoses.append(
            Diagnosis(
                "kink",
                f"the function is not differentiable here: the one-sided {what}s disagree at "
                f"{int(kink.sum())} entr{'y' if kink.sum() == 1 else 'ies'}, e.g. "
                f"{_name(d.entry(*at))}: left {left:.6g}, right {right:.6g}, AD {d.ad[at]:.6g}",
                _entries(d, kink),
            )
        )

    ref = _shaped(d, central.estimate)
    err = _shaped(d, central.error_estimate)
    tolerance = atol + rtol * np.abs(ref)
    clear = np.isfinite(ref) & (np.abs(ref) > tolerance + 2 * err) & ~kink
    zero = clear & (d.ad == 0)
    rules = _custom_rules(flat.fn, x)
    failing = any(r.available and not r.passed for r in references)
    if zero.any():
        at = tuple(int(i) for i in np.argwhere(zero)[0])
        diagnoses.append(
            Diagnosis(
                "broken_graph",
                f"AD gives exactly 0 at {int(zero.sum())} entr{'y' if zero.sum() == 1 else 'ies'} "
                f"where differences do not, e.g. {_name(d.entry(*at))}: AD 0, differences "
                f"{ref[at]:.6g}; the derivative does not flow through part of the function "
                "(stop_gradient, a custom_jvp/custom_vjp rule, or values taken out of the "
                "traced computation)",
                _entries(d, zero),
            )
        )
    elif rules and failing and not kink.any() and np.all(np.isfinite(d.ad)):
        wrong = clear & ~np.isclose(d.ad, ref, rtol=rtol, atol=atol)
        diagnoses.append(
            Diagnosis(
                "broken_graph",
                f"AD disagrees with the references and the function uses {', '.join(rules)}: "
                + (
                    "part of the derivative is cut off there"
                    if rules == ["stop_gradient"]
                    else "a custom derivative rule is likely wrong"
                ),
                _entries(d, wrong),
            )
        )

    unresolved = np.isfinite(err) & (err > tolerance) & ~kink & np.isfinite(ref)
    if unresolved.any():
        at = tuple(int(i) for i in np.argwhere(unresolved)[0])
        hint = (
            "; check in float64 (--dtype float64) or loosen --rtol/--atol"
            if problem.dtype == "float32"
            else "; loosen --rtol/--atol, or rely on the SymPy reference"
        )
        diagnoses.append(
            Diagnosis(
                "precision",
                f"finite differences in {problem.dtype} cannot resolve the tolerance at "
                f"{int(unresolved.sum())} entr{'y' if unresolved.sum() == 1 else 'ies'}, e.g. "
                f"{_name(d.entry(*at))}: error estimate {err[at]:.3g}, tolerance "
                f"{tolerance[at]:.3g}{hint}",
                _entries(d, unresolved),
            )
        )
    return diagnoses


def _nonfinite(d: Derivatives, bad: np.ndarray, what: str, path: str | None) -> Diagnosis:
    import jax

    flat, x = d.flat, d.flat.x
    in_value = not np.all(np.isfinite(d.value))
    culprit = first_nonfinite(flat.fn, x, path=path)
    if culprit is None and not in_value:
        culprit = first_nonfinite(jax.jacfwd(d.fn), d.point, path=path)
    singular = first_singular(flat.fn, x, path=path)
    where = "the value" if in_value else f"the {what}"
    message = f"{where} has NaN or inf"
    if not in_value:
        message += f" at {int(bad.sum())} entr{'y' if bad.sum() == 1 else 'ies'}"
    source = singular if (singular is not None and not in_value) else culprit
    if source is not None:
        inputs = ", ".join(source.inputs)
        place = f" ({source.location})" if source.location else ""
        if source is singular:
            message += f": {source.primitive} at {inputs}{place} has an infinite derivative"
        else:
            message += f"; it first appears in {source.primitive}({inputs}){place}"
        fix = _SINGULAR_HINTS.get(source.primitive)
        if fix:
            message += f"; {fix}"
    return Diagnosis("nonfinite", message, _entries(d, bad))


def _custom_rules(fn: Callable[[Any], Any], x: np.ndarray) -> list[str]:
    import jax

    try:
        names = _primitive_names(jax.make_jaxpr(fn)(x).jaxpr)
    except Exception:  # tracing already succeeded for AD; this only looks for rule names
        return []
    return sorted(
        {n for n in names if n.startswith(("custom_jvp", "custom_vjp")) or n == "stop_gradient"}
    )


def _entries(d: Derivatives, mask: np.ndarray, limit: int = 20) -> tuple[tuple[Any, ...], ...]:
    return tuple(d.entry(*map(int, idx)) for idx in np.argwhere(mask)[:limit])


def _name(index: tuple[Any, ...]) -> str:
    return "entry [" + ", ".join(str(i) for i in index) + "]"


# --- results ------------------------------------------------------------------------------------


def check_at(
    problem: Problem,
    *,
    order: int = 1,
    rtol: float | None = None,
    atol: float | None = None,
    against: Sequence[str] = REFERENCES,
    mode: str = "auto",
    max_bytes: int | None = None,
) -> Any:
    """``jaccli check``: the AD Jacobian (or Hessian, for ``order=2``) and how it compares.

    Returns:
        a `DerivativeResult` with ``command="check"`` whose JSON adds ``passed``, ``order``,
        ``references`` and ``diagnoses`` (SPEC §8).
    """
    import dataclasses

    if order not in (1, 2):
        raise UsageError(f"{problem.labels('order')} must be 1 or 2, got {order}")
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    command = "jacobian" if order == 1 else "hessian"
    result = _operations.run(problem, command, mode=mode, max_bytes=limit)
    _require_autodiff(result)
    report = run_check(
        problem, result.result, command=command, rtol=rtol, atol=atol, against=against
    )
    return dataclasses.replace(
        result, command="check", extra={**result.extra, **report.to_dict()}, nonfinite=0
    )


def with_check(
    problem: Problem,
    result: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    against: Sequence[str] = REFERENCES,
) -> Any:
    """``--check``: the result of a derivative command with its check report under ``check``."""
    import dataclasses

    _require_autodiff(result)
    report = run_check(
        problem,
        result.result,
        command=result.command,
        v=result.v,
        rtol=rtol,
        atol=atol,
        against=against,
    )
    return dataclasses.replace(result, extra={**result.extra, "check": report.to_dict()})
