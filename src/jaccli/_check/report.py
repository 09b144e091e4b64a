"""What a check reports: the records (each reference, each diagnosis, the whole report), the
references a check may be asked for, and the tolerances an entry must meet."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._problem import PYTHON, Labels
from ..errors import UsageError

REFERENCES = ("sympy", "central_richardson", "complex_step")
# The names a user may give a reference, and the reference each means.
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


def json_float(value: float | None) -> float | None:
    """A float for strict JSON: NaN and inf become None (counted in the result's warnings).

    >>> json_float(1.5), json_float(float("nan"))
    (1.5, None)
    """
    return value if value is None or np.isfinite(value) else None


@dataclass(frozen=True)
class Worst:
    """The entry where AD and a reference differ most (relative to the tolerance)."""

    index: tuple[Any, ...]
    ad: float
    reference: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": list(self.index),
            "ad": json_float(self.ad),
            "reference": json_float(self.reference),
        }


@dataclass(frozen=True)
class Reference:
    """One reference derivative compared with AD.

    ``passed`` is True or False for a reference that was compared, and None for one that
    neither passed nor failed: not available here, or finite differences unreliable here
    (``reason`` says which, and why).
    """

    name: str
    available: bool
    reason: str | None = None
    max_abs_err: float | None = None
    max_rel_err: float | None = None
    error_estimate: float | None = None
    passed: bool | None = None
    worst: Worst | None = None
    failing: tuple[tuple[Any, ...], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "available": self.available,
            "reason": self.reason,
            "max_abs_err": json_float(self.max_abs_err),
            "max_rel_err": json_float(self.max_rel_err),
            "error_estimate": json_float(self.error_estimate),
            "passed": self.passed,
            "worst": self.worst.to_dict() if self.worst else None,
        }


def unavailable(name: str, reason: str) -> Reference:
    """A reference that could not be computed, and why.

    >>> unavailable("sympy", "no symbolic form").to_dict()["passed"] is None
    True
    """
    return Reference(name=name, available=False, reason=reason)


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


def parse_against(text: str | None, label: str = "against") -> tuple[str, ...]:
    """``sympy,fd,complex`` → reference names; None means every reference.

    ``label`` names the option in an error message, in the caller's words.

    >>> parse_against("fd,sympy,central")
    ('central_richardson', 'sympy')
    """
    if text is None:
        return REFERENCES
    names = []
    for part in text.split(","):
        key = part.strip().lower()
        if key not in _ALIASES:
            raise UsageError(
                f"{label} names an unknown reference {part.strip()!r}",
                hint="choose from sympy, fd (central differences), complex (complex step)",
            )
        if _ALIASES[key] not in names:
            names.append(_ALIASES[key])
    return tuple(names)


def tolerances(
    dtype: str, rtol: float | None, atol: float | None, labels: Labels = PYTHON
) -> tuple[float, float]:
    """The tolerances asked for, or defaults that fit the dtype.

    >>> tolerances("float32", None, 0.0)
    (0.001, 0.0)
    """
    default_rtol, default_atol = DEFAULT_TOLERANCES.get(dtype, DEFAULT_TOLERANCES["float64"])
    rtol = default_rtol if rtol is None else rtol
    atol = default_atol if atol is None else atol
    if not (rtol >= 0 and atol >= 0 and np.isfinite(rtol) and np.isfinite(atol)):
        raise UsageError(f"{labels('rtol')} and {labels('atol')} must be finite and not negative")
    return float(rtol), float(atol)
