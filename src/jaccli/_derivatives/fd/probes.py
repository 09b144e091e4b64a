"""Differences at steps that follow each input's own scale, shrunk at the edge of a domain.

A probe is a geometric sequence of steps for some of the inputs. The first probe steps every
input relative to its own size (`own_scale`); a second one, for the inputs far from 1, steps
them at scale 1, as a function of ``x`` may vary on the scale of ``x`` (``sqrt(x)`` at 1e-12) or
on a fixed scale (``sin(x)`` at 1e10), and values alone cannot say which. Each entry keeps the
estimate with the smallest error estimate. Where every central difference of an input is NaN or
inf (a step crossed the edge of the domain, as ``log(x - 1)`` at ``1 + 1e-9``), its steps shrink
on, and where they never fit, the side where the function is finite gives one-sided differences.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .evaluation import Batched, evaluate_moves, rounding_eps, spread
from .richardson import richardson
from .steps import NUM_STEPS, own_scale, relative_steps

FAMILY_RATIO = 4.0  # an input's own scale this far from 1 also gets steps at scale 1
SHRINK_ROUNDS = 3  # how many more sequences of steps, each below the last, an edge may take
CENTRAL_ORDERS = (2, 4)
SIDE_ORDERS = (1, 2)


@dataclass(frozen=True)
class Probe:
    """Steps ``(S, k)`` for the inputs ``columns`` ``(k,)``, and the entries ``x_j ± step``
    of the points they perturb, rounded to x's dtype ``(S, k)``: a point differs from ``x`` in
    one entry only, so it is never built whole on the host (see `evaluate_moves`)."""

    columns: np.ndarray
    steps: np.ndarray
    plus: np.ndarray  # (S, k)
    minus: np.ndarray


@dataclass
class Sides:
    """Estimates ``(n, m)`` laid out input by output, with their error estimates and steps."""

    estimate: np.ndarray
    error: np.ndarray
    step: np.ndarray
    unmoved: np.ndarray | None = None  # where f did not change at all over the steps kept


@dataclass
class Differences:
    """The central, forward and backward differences of ``fn`` at ``x``, each `Sides`."""

    central: Sides
    forward: Sides
    backward: Sides
    vectorised: bool
    note: str
    one_sided: tuple[int, ...] = ()  # inputs whose central differences fell back to one side
    evaluations: int = 0


def probe(x: np.ndarray, columns: np.ndarray, steps: np.ndarray) -> Probe:
    """The points ``x ± steps[s, c] e_columns[c]``, rounded to x's dtype."""
    at = x.astype(np.float64)[columns]
    return Probe(columns, steps, (at + steps).astype(x.dtype), (at - steps).astype(x.dtype))


def first_probes(x: np.ndarray, q: int, factor: float = 1.0) -> list[Probe]:
    """Steps times ``factor``, relative to each input's own scale and to 1 for inputs far from 1."""
    relative = factor * relative_steps(x.dtype, q)[:, None]
    scale = own_scale(x)
    probes = [probe(x, np.arange(x.size), relative * scale)]
    far = np.flatnonzero((scale > FAMILY_RATIO) | (scale < 1.0 / FAMILY_RATIO))
    if far.size:
        probes.append(probe(x, far, np.broadcast_to(relative, (NUM_STEPS, far.size))))
    return probes


def differences(
    fn: Callable[[Any], Any], x: np.ndarray, q: int, batched: Batched | None, factor: float = 1.0
) -> Differences:
    """Central and one-sided differences with Richardson extrapolation, best probe per entry.

    ``q`` places the balancing step at ``eps**(1/q)``, and ``factor`` scales every step. The
    first probes are evaluated in one call of ``batched``; inputs whose central differences are
    nowhere finite take up to `SHRINK_ROUNDS` more calls, each with the next, smaller, steps of
    the sequence. ``evaluations`` counts every point evaluated, ``x`` included.
    """
    return differences_together(fn, x, (q,), batched, factor)[0]


def differences_together(
    fn: Callable[[Any], Any],
    x: np.ndarray,
    qs: tuple[int, ...],
    batched: Batched | None,
    factor: float = 1.0,
) -> list[Differences]:
    """`differences` for each balance ``q`` of ``qs``, their first probes evaluated in one call
    (one compiled program), with ``x`` once; the ``evaluations`` of each count that call whole."""
    families = [first_probes(x, q, factor) for q in qs]
    values, vectorised, note = _evaluate(
        fn, x, [p for probes in families for p in probes], batched, with_x=True
    )
    eps = rounding_eps(x, values)
    f_0, rest = values[0], values[1:]
    found = []
    for probes in families:
        width = 2 * sum(p.steps.size for p in probes)
        here, rest = rest[:width], rest[width:]
        sides = list(zip(probes, _split(here, probes), strict=True))
        best = _extrapolated(fn, x, probes[0], sides, f_0, eps, batched)
        evaluations = values.shape[0] + best.evaluations
        found.append(dataclasses.replace(best.result(vectorised, note), evaluations=evaluations))
    return found


def _extrapolated(
    fn: Callable[[Any], Any],
    x: np.ndarray,
    first: Probe,
    sides: list[tuple[Probe, tuple[np.ndarray, np.ndarray]]],
    f_0: np.ndarray,
    eps: float,
    batched: Batched | None,
) -> _Best:
    """The best estimates from the first probes' values (``sides``), and from smaller steps
    than ``first``'s where an input's central differences are nowhere finite."""
    found = _Best(x.size, f_0.shape[0], sides[0][1][0].dtype)
    for p, (f_plus, f_minus) in sides:
        found.central_first(p, x, f_plus, f_minus, eps)
    magnitude = spread(found.first.estimate, x)
    for p, (f_plus, f_minus) in sides:
        found.add(p, x, f_0, f_plus, f_minus, eps, magnitude)
    last = first
    for _ in range(SHRINK_ROUNDS):
        lost = found.lost_columns()
        if not lost.size:
            break
        rows = np.searchsorted(last.columns, lost)
        last = probe(x, lost, last.steps[:, rows] * 0.5**NUM_STEPS)
        more, _, _ = _evaluate(fn, x, [last], batched, with_x=False)
        found.evaluations += more.shape[0]
        f_plus, f_minus = _split(more, [last])[0]
        found.add(last, x, f_0, f_plus, f_minus, eps, magnitude)
    return found


def _evaluate(
    fn: Callable[[Any], Any],
    x: np.ndarray,
    probes: list[Probe],
    batched: Batched | None,
    with_x: bool,
) -> tuple[np.ndarray, bool, str]:
    """``fn`` at ``x`` (first, ``with_x``: x is x with its entry 0 set to itself) and at every
    probe's plus points, then its minus points, in one call."""
    columns = [np.zeros(1, np.intp)] if with_x else []
    entries = [x[:1]] if with_x else []
    for p in probes:
        moved = np.broadcast_to(p.columns, p.steps.shape).ravel()
        columns += [moved, moved]
        entries += [p.plus.ravel(), p.minus.ravel()]
    return evaluate_moves(fn, x, np.concatenate(columns), np.concatenate(entries), batched)


def _split(values: np.ndarray, probes: list[Probe]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The values at each probe's plus and minus points, ``(S, k, m)`` each."""
    out, start = [], 0
    for p in probes:
        size = p.steps.size
        f_plus = values[start : start + size].reshape(NUM_STEPS, p.columns.size, -1)
        f_minus = values[start + size : start + 2 * size].reshape(NUM_STEPS, p.columns.size, -1)
        out.append((f_plus, f_minus))
        start += 2 * size
    return out


def _offsets(p: Probe, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The steps actually taken up and down, after rounding: exact, in float64, ``(S, k, 1)``."""
    at = x.astype(np.float64)[p.columns]
    up = p.plus.astype(np.float64) - at
    down = at - p.minus.astype(np.float64)
    return up[..., None], down[..., None]


class _Best:
    """The best estimate so far for every entry, and how far the function is finite around x.

    Between two estimates of an entry that agree within their error estimates, the smaller
    error estimate wins; between two that disagree, the smaller step: an error estimate can
    be fooled by steps much larger than the scale the function varies on (``sin(x)`` at 1e10
    stepped by 1e8 looks flat), while the rounding model of small steps is pessimistic.
    """

    def __init__(self, n: int, m: int, dtype: np.dtype) -> None:
        def empty() -> Sides:
            nan, inf = np.full((n, m), np.nan, dtype), np.full((n, m), np.inf)
            return Sides(nan, inf, np.zeros((n, m)), np.zeros((n, m), bool))

        self.first, self.central, self.forward, self.backward = empty(), empty(), empty(), empty()
        self.edge = np.full(n, np.inf)  # the smallest step that left the domain, per input
        self.smallest = np.full(n, np.inf)  # the smallest step tried, per input
        self.evaluations = 0  # points evaluated for smaller steps, beyond the first call

    def central_first(
        self, p: Probe, x: np.ndarray, f_plus: np.ndarray, f_minus: np.ndarray, eps: float
    ) -> None:
        """A first central estimate, for the rounding model's `spread`."""
        up, down = _offsets(p, x)
        span = up + down
        rounding = eps * (np.abs(f_plus) + np.abs(f_minus)) / span
        _keep(self.first, p, (f_plus - f_minus) / span, rounding, CENTRAL_ORDERS, eps)

    def add(
        self,
        p: Probe,
        x: np.ndarray,
        f_0: np.ndarray,
        f_plus: np.ndarray,
        f_minus: np.ndarray,
        eps: float,
        magnitude: np.ndarray,
    ) -> None:
        """Take the probe's differences where they are better (see the class)."""
        up, down = _offsets(p, x)
        span = up + down
        noise = 2.0 * magnitude
        rounding = eps * (np.abs(f_plus) + np.abs(f_minus) + noise) / span
        _keep(self.central, p, (f_plus - f_minus) / span, rounding, CENTRAL_ORDERS, eps)
        for sides, f_side, offset, sign in (
            (self.forward, f_plus, up, 1.0),
            (self.backward, f_minus, down, -1.0),
        ):
            rounding = eps * (np.abs(f_side) + np.abs(f_0) + noise) / offset
            _keep(sides, p, sign * (f_side - f_0) / offset, rounding, SIDE_ORDERS, eps)
        outside = ~np.all(np.isfinite(f_plus), axis=2) | ~np.all(np.isfinite(f_minus), axis=2)
        crossed = np.where(outside, p.steps, np.inf).min(axis=0)
        self.edge[p.columns] = np.minimum(self.edge[p.columns], crossed)
        self.smallest[p.columns] = np.minimum(self.smallest[p.columns], p.steps.min(axis=0))

    def lost_columns(self) -> np.ndarray:
        """Inputs with an entry that no central difference could estimate."""
        return np.flatnonzero(~np.all(np.isfinite(self.central.error), axis=1))

    def result(self, vectorised: bool, note: str) -> Differences:
        """The central differences, one-sided where they are lost, beside both sides.

        Where smaller steps stayed inside the domain, an estimate from a step past its edge is
        dropped: the function varies on a scale no larger than the distance to the edge.
        """
        inside = self.edge > self.smallest
        for sides in (self.central, self.forward, self.backward):
            past = inside[:, None] & (sides.step >= self.edge[:, None])
            sides.error[past] = np.inf
            sides.estimate[past] = np.nan
        central = Sides(
            self.central.estimate.copy(), self.central.error.copy(), self.central.step.copy()
        )
        fallen = []
        for j in self.lost_columns():
            for side in (self.forward, self.backward):
                if np.all(np.isfinite(side.error[j])):
                    central.estimate[j], central.error[j] = side.estimate[j], side.error[j]
                    central.step[j] = side.step[j]
                    fallen.append(int(j))
                    break
        return Differences(central, self.forward, self.backward, vectorised, note, tuple(fallen))


def _keep(
    sides: Sides,
    p: Probe,
    quotient: np.ndarray,
    rounding: np.ndarray,
    orders: tuple[int, ...],
    eps: float,
) -> None:
    """Extrapolate the probe's quotients and keep them where they are better (see `_Best`)."""
    estimate, error, index = richardson(quotient, rounding, orders, eps)
    cols = p.columns
    step = p.steps[index, np.arange(cols.size)[:, None]]
    old, old_error, old_step = sides.estimate[cols], sides.error[cols], sides.step[cols]
    agree = np.abs(estimate - old) <= error + old_error
    better = np.where(agree, error < old_error, step < old_step)
    # Where f did not change at all over a probe's steps, they resolved nothing (cos(a) - cos(b)
    # at b = 1e-10 is the same number at every step of b's own scale): an estimate from steps
    # that saw f move is kept over it, whether they agree or not.
    finite = np.isfinite(quotient)
    unmoved = np.all((quotient == 0) | ~finite, axis=0) & np.any(finite, axis=0)
    old_unmoved = sides.unmoved[cols]
    both = np.isfinite(error) & np.isfinite(old_error)
    better = np.where(both & (unmoved != old_unmoved), old_unmoved, better)
    better = np.where(np.isfinite(old_error), better & np.isfinite(error), np.isfinite(error))
    sides.unmoved[cols] = np.where(better, unmoved, old_unmoved)
    sides.estimate[cols] = np.where(better, estimate, old)
    sides.error[cols] = np.where(better, error, old_error)
    sides.step[cols] = np.where(better, step, old_step)
