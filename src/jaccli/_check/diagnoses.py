"""Why a derivative is wrong or untrustworthy, in plain words: nondeterminism, non-finite values
(and the operation that produced them), a kink (one-sided differences disagree), a broken graph
(AD exactly zero where differences are not, or a custom rule or stop_gradient where AD and the
references disagree), or too little precision to resolve the tolerance."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .._derivatives import jaxpr
from .._problem import Problem
from .derivatives import Derivatives
from .report import Diagnosis, Reference
from .walkers import SINGULAR_HINTS, first_nonfinite, first_singular

# Diagnoses that fail a check on their own; the others (precision) are notes.
FAILING_KINDS = frozenset({"kink", "nonfinite", "broken_graph", "nondeterministic"})


def diagnose(
    problem: Problem,
    d: Derivatives,
    central: Any,
    sides: tuple[Any, Any, np.ndarray],
    references: Sequence[Reference],
    rtol: float,
    atol: float,
) -> list[Diagnosis]:
    """Every diagnosis that applies to ``d``, given the central differences ``central`` of
    ``d.fn``, its one-sided ones ``sides`` (forward, backward and kinks, as `fd.one_sided`
    gives them) and the references already compared."""
    what = "derivative" if d.order == 1 else "second derivative"
    found = [nondeterminism(d)]
    bad = ~np.isfinite(d.ad)
    if not np.all(np.isfinite(d.value)) or bad.any():
        found.append(nonfinite(d, bad, what, problem.function.path))
    forward, backward, kink = sides
    kink = d.shaped(kink)
    found.append(_kink(d, kink, forward, backward, what))
    ref, err = d.shaped(central.estimate), d.shaped(central.error_estimate)
    tolerance = atol + rtol * np.abs(ref)
    clear = np.isfinite(ref) & (np.abs(ref) > tolerance + 2 * err) & ~kink
    failing = any(r.passed is False for r in references)
    found.append(_broken_graph(d, clear, ref, kink.any() or not failing, rtol, atol))
    unresolved = np.isfinite(err) & (err > tolerance) & ~kink & np.isfinite(ref)
    found.append(_precision(problem, d, unresolved, err, tolerance))
    return [diagnosis for diagnosis in found if diagnosis is not None]


def nondeterminism(d: Derivatives) -> Diagnosis | None:
    """Two evaluations at the same point that differ, or None.

    Both are in one compiled program that traces the function twice: what the function reads
    from outside when it is traced (a counter, a random number) differs between the two, and
    the two run; one compilation, not one per operation as eager calls would be.
    """
    import jax

    flat = d.flat
    try:
        first, second = (np.asarray(v) for v in jax.jit(_twice(flat.fn))(flat.x))
    except Exception:  # not traceable alone: two eager calls then
        first, second = np.asarray(flat.fn(flat.x)), np.asarray(flat.fn(flat.x))
    if np.array_equal(first, second, equal_nan=True):
        return None
    differ = np.argwhere(~((first == second) | (np.isnan(first) & np.isnan(second))))
    gap = float(np.nanmax(np.abs(first - second)))
    return Diagnosis(
        "nondeterministic",
        f"two evaluations at the same point differ (by up to {gap:.3g}), so no "
        "derivative can be checked; look for randomness or state in the function",
        tuple(flat.outputs[int(i)] for i in differ.ravel()[:20]),
    )


def _twice(fn: Callable[[Any], Any]) -> Callable[[Any], tuple[Any, Any]]:
    return lambda x: (fn(x), fn(x))


def nonfinite(d: Derivatives, bad: np.ndarray, what: str, path: str | None) -> Diagnosis:
    """NaN or inf in the value or at the ``bad`` entries of the derivative, with the operation
    it comes from (at the line of ``path`` that wrote it) and how to avoid it."""
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
        message += f" at {_count(bad)}"
    source = singular if (singular is not None and not in_value) else culprit
    if source is not None:
        inputs = ", ".join(source.inputs)
        place = f" ({source.location})" if source.location else ""
        if source is singular:
            message += f": {source.primitive} at {inputs}{place} has an infinite derivative"
        else:
            message += f"; it first appears in {source.primitive}({inputs}){place}"
        fix = SINGULAR_HINTS.get(source.primitive)
        if fix:
            message += f"; {fix}"
    return Diagnosis("nonfinite", message, _entries(d, bad))


def _kink(
    d: Derivatives, kink: np.ndarray, forward: Any, backward: Any, what: str
) -> Diagnosis | None:
    if not kink.any():
        return None
    at = _first(kink)
    left = d.shaped(backward.estimate)[at]
    right = d.shaped(forward.estimate)[at]
    return Diagnosis(
        "kink",
        f"the function is not differentiable here: the one-sided {what}s disagree at "
        f"{_count(kink)}, e.g. "
        f"{_name(d.entry(*at))}: left {left:.6g}, right {right:.6g}, AD {d.ad[at]:.6g}",
        _entries(d, kink),
    )


def _broken_graph(
    d: Derivatives, clear: np.ndarray, ref: np.ndarray, explained: bool, rtol: float, atol: float
) -> Diagnosis | None:
    """AD exactly zero where the differences ``ref`` are clearly not; else, unless the
    disagreement is ``explained`` (a kink, or none at all), the custom rules or stop_gradient
    the function uses."""
    zero = clear & (d.ad == 0)
    if zero.any():
        at = _first(zero)
        return Diagnosis(
            "broken_graph",
            f"AD gives exactly 0 at {_count(zero)} "
            f"where differences do not, e.g. {_name(d.entry(*at))}: AD 0, differences "
            f"{ref[at]:.6g}; the derivative does not flow through part of the function "
            "(stop_gradient, a custom_jvp/custom_vjp rule, or values taken out of the "
            "traced computation)",
            _entries(d, zero),
        )
    if explained or not np.all(np.isfinite(d.ad)):
        return None
    rules = custom_rules(d.flat.fn, d.flat.x)
    if not rules:
        return None
    wrong = clear & ~np.isclose(d.ad, ref, rtol=rtol, atol=atol)
    return Diagnosis(
        "broken_graph",
        f"AD disagrees with the references and the function uses {', '.join(rules)}: "
        + (
            "part of the derivative is cut off there"
            if rules == ["stop_gradient"]
            else "a custom derivative rule is likely wrong"
        ),
        _entries(d, wrong),
    )


def _precision(
    problem: Problem, d: Derivatives, unresolved: np.ndarray, err: np.ndarray, tolerance: Any
) -> Diagnosis | None:
    if not unresolved.any():
        return None
    labels = problem.labels
    loosen = f"loosen {labels('rtol')}/{labels('atol')}"
    hint = (
        f"; check in float64 ({labels('dtype')} float64) or {loosen}"
        if problem.dtype == "float32"
        else f"; {loosen}, or rely on the SymPy reference"
    )
    at = _first(unresolved)
    return Diagnosis(
        "precision",
        f"finite differences in {problem.dtype} cannot resolve the tolerance at "
        f"{_count(unresolved)}, e.g. "
        f"{_name(d.entry(*at))}: error estimate {err[at]:.3g}, tolerance "
        f"{tolerance[at]:.3g}{hint}",
        _entries(d, unresolved),
    )


def custom_rules(fn: Callable[[Any], Any], x: np.ndarray) -> list[str]:
    """The custom derivative rules and stop_gradients in ``fn``'s program, by primitive name.

    >>> import jax
    >>> custom_rules(lambda x: jax.lax.stop_gradient(x) * x, np.ones(2))
    ['stop_gradient']
    """
    import jax

    try:
        names = jaxpr.primitive_names(jax.make_jaxpr(fn)(x).jaxpr)
    except Exception:  # tracing already succeeded for AD; this only looks for rule names
        return []
    return sorted(
        {n for n in names if n.startswith(("custom_jvp", "custom_vjp")) or n == "stop_gradient"}
    )


def _entries(d: Derivatives, mask: np.ndarray, limit: int = 20) -> tuple[tuple[Any, ...], ...]:
    return tuple(d.entry(*map(int, idx)) for idx in np.argwhere(mask)[:limit])


def _first(mask: np.ndarray) -> tuple[int, ...]:
    """The index of the first entry ``mask`` marks."""
    return tuple(int(i) for i in np.argwhere(mask)[0])


def _count(mask: np.ndarray) -> str:
    """``1 entry`` or ``N entries``: how many entries ``mask`` marks."""
    count = int(mask.sum())
    return f"{count} entr{'y' if count == 1 else 'ies'}"


def _name(index: tuple[Any, ...]) -> str:
    return "entry [" + ", ".join(str(i) for i in index) + "]"
