"""Input distributions for global sensitivity analysis: ``--bounds`` parsed into one distribution
per flat input, and the map from the unit cube onto them.

``--bounds`` is a comma-separated list of ``NAME=SPEC`` (``x1=-pi:pi``, ``x=normal(0,1)``) or one
bare SPEC for every input (``--bounds=-1:1``). A NAME is an argument (``x``, all its entries), an
entry (``x[0]``, ``W[1,2]``) or, for a dict argument, a key (``p.a``); the most specific match wins.
Numbers may be written as constant expressions (``-pi``, ``2*pi``, ``1e-3``, ``sqrt(2)``), parsed
by the expression parser, never evaluated as Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParseError, UsageError

_NAME = re.compile(r"\s*([^\W\d][\w.]*(?:\[[\d\s,]+\])?)\s*=(.*)", re.DOTALL)
_CALL = re.compile(r"\s*(uniform|normal)\s*\((.*)\)\s*", re.DOTALL)
# An argument, or a key path into a dict argument, and an entry of a vector: x[0], p.a, p.w[2].
_PATH = re.compile(r"([^\W\d]\w*(?:\.[^\W\d]\w*)*)(?:\[\s*(\d+)\s*\])?")
# Quantiles are kept inside (0, 1): a unit-cube point of exactly 0 or 1 must not become ±inf.
_EDGE = 1e-12
MAX_ITEMS = 10_000
# Bounds, spreads and their squares must stay finite in float64 (about 1.8e308).
LIMIT = 1e150


@dataclass(frozen=True)
class Distribution:
    """One input's distribution: ``uniform(low, high)`` or ``normal(mean, std)``."""

    kind: str
    a: float
    b: float

    @property
    def bounded(self) -> bool:
        return self.kind == "uniform"

    @property
    def poincare(self) -> float:
        """The Poincaré constant C: S_T ≤ C·ν / Var(f) (Sobol' & Kucherenko 2009; Lamboni 2013)."""
        return (self.b - self.a) ** 2 / np.pi**2 if self.kind == "uniform" else self.b**2

    def from_unit(self, u: np.ndarray) -> np.ndarray:
        """Map uniform numbers in [0, 1] onto this distribution (the inverse CDF)."""
        if self.kind == "uniform":
            return self.a + (self.b - self.a) * u
        from scipy.special import ndtri

        return self.a + self.b * ndtri(np.clip(u, _EDGE, 1 - _EDGE))

    def to_dict(self, name: str) -> dict[str, Any]:
        if self.kind == "uniform":
            return {"input": name, "distribution": "uniform", "low": self.a, "high": self.b}
        return {"input": name, "distribution": "normal", "mean": self.a, "std": self.b}

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> Distribution:
        """The distribution of a `to_dict` entry (a design's metadata).

        >>> Distribution.from_dict({"input": "x", "distribution": "normal", "mean": 0.0, "std": 2.0})
        Distribution(kind='normal', a=0.0, b=2.0)
        """
        if entry["distribution"] == "uniform":
            return cls("uniform", float(entry["low"]), float(entry["high"]))
        return cls("normal", float(entry["mean"]), float(entry["std"]))

    def __str__(self) -> str:
        if self.kind == "uniform":
            return f"{self.a:g}:{self.b:g}"
        return f"normal({self.a:g}, {self.b:g})"


def _split(text: str) -> list[str]:
    """Split on commas outside parentheses and brackets."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def number(text: str, where: str) -> float:
    """A real constant written as an expression without inputs: ``-pi``, ``2*pi``, ``1e-3``.

    >>> number("-pi/2", "bounds")
    -1.5707963267948966
    """
    from .expr import parse_number

    try:
        value = parse_number(text.strip(), vars=["_"])
    except ParseError as exc:
        named = "names that are not in" in exc.message
        reason = "only pi and e may be named" if named else exc.message
        raise ParseError(
            f"{where}: {text.strip()!r} is not a number: {reason}",
            hint="numbers may use pi, e, + - * / ** and math functions, e.g. -pi:pi",
        ) from None
    if value is None:
        raise ParseError(f"{where}: {text.strip()!r} is not one number")
    if value.imag != 0 or not np.isfinite(value.real):
        raise ParseError(f"{where}: {text.strip()!r} is not a finite real number")
    return float(value.real)


def parse_distribution(text: str, where: str, label: str = "bounds") -> Distribution:
    """``LOW:HIGH``, ``uniform(LOW, HIGH)`` or ``normal(MEAN, STD)``; ``where`` says where the
    text came from and ``label`` names the bounds option, for messages.

    >>> parse_distribution("-1:1", "bounds")
    Distribution(kind='uniform', a=-1.0, b=1.0)
    """
    call = _CALL.fullmatch(text)
    if call:
        args = _split(call.group(2))
        if len(args) != 2:
            raise ParseError(
                f"{where}: {call.group(1)}(...) takes two numbers, got {text.strip()!r}",
                hint="e.g. x=normal(0,1) or x=uniform(-1,1)",
            )
        kind = call.group(1)
        a, b = (number(arg, where) for arg in args)
    elif text.count(":") == 1:
        kind = "uniform"
        a, b = (number(part, where) for part in text.split(":"))
    else:
        raise ParseError(
            f"{where}: expected LOW:HIGH or normal(MEAN,STD), got {text.strip()!r}",
            hint=f"e.g. {label} 'x=-pi:pi,y=0:1' or {label}=-1:1 for every input",
        )
    return distribution(kind, a, b, where)


def distribution(kind: str, a: float, b: float, where: str) -> Distribution:
    """A checked distribution: a non-empty finite range, or a positive standard deviation."""
    if not (np.isfinite(a) and np.isfinite(b)):
        raise UsageError(f"{where}: the numbers must be finite, got {a:g} and {b:g}")
    if max(abs(a), abs(b)) > LIMIT:
        raise UsageError(
            f"{where}: the numbers must lie within ±{LIMIT:g}, got {a:g} and {b:g}",
            hint="the analysis squares them (variances, Poincaré constants), which must stay "
            "finite in float64; rescale the input",
        )
    if kind == "uniform" and not a < b:
        raise UsageError(f"{where}: the range {a:g}:{b:g} is empty; LOW must be below HIGH")
    if kind == "normal" and not b > 0:
        raise UsageError(f"{where}: normal(...) needs a positive standard deviation, got {b:g}")
    return Distribution(kind, a, b)


def parse_bounds(
    spec: str | Mapping[str, Any], label: str = "bounds"
) -> dict[str | None, Distribution]:
    """``--bounds`` (or a dict of name → ``(low, high)`` / spec text) as ``{name: distribution}``;
    the key ``None`` holds a bare spec that applies to every input not named. ``label`` names
    the option in messages (``--bounds`` on the command line).

    >>> parse_bounds("x=0:1,y=normal(0,2)")["y"]
    Distribution(kind='normal', a=0.0, b=2.0)
    """
    if isinstance(spec, Mapping):
        out: dict[str | None, Distribution] = {}
        for key, value in spec.items():
            where = f"bounds[{key!r}]"
            if isinstance(value, str):
                out[key] = parse_distribution(value, where, label)
            elif isinstance(value, Sequence) and len(value) == 2:
                out[key] = distribution("uniform", float(value[0]), float(value[1]), where)
            else:
                raise UsageError(f"{where} must be (low, high) or text like 'normal(0,1)'")
        return out
    if not isinstance(spec, str) or not spec.strip():
        raise UsageError(f"{label} is empty", hint=f"e.g. {label} 'x=-pi:pi,y=0:1'")
    items = _split(spec)
    if len(items) > MAX_ITEMS:
        raise UsageError(f"{label} has {len(items)} items (limit {MAX_ITEMS})")
    out = {}
    for item in items:
        named = _NAME.fullmatch(item)
        key = re.sub(r"\s+", "", named.group(1)) if named else None
        if key in out:
            raise UsageError(
                f"{label} names {'every input' if key is None else key} twice",
                hint="give each input one range",
            )
        out[key] = parse_distribution(named.group(2) if named else item, label, label)
    return out


def entry_shapes(keys: Sequence[str | None], params: Sequence[str]) -> dict[str, Any]:
    """Shapes of a file's arguments read from the names in ``--bounds``: an argument named by
    entries ``x[0]`` … ``x[k]`` is a vector of k+1; one named by keys ``p.a``, ``p.b`` is a dict
    of them (``p.w[0]`` … a vector under ``w``, ``p.u.v`` a nested dict); any other argument
    is a scalar. A dict's keys are sorted, as JAX orders them.

    >>> entry_shapes(["x[1]", "p.b", "p.a[2]", "y"], ["x", "p", "y"])
    {'x': (2,), 'p': {'a': (3,), 'b': ()}, 'y': ()}
    """
    lengths: dict[tuple[str, ...], int] = {}
    for key in keys:
        match = _PATH.fullmatch(key or "")
        if not match or match.group(1).split(".")[0] not in params:
            continue
        path = tuple(match.group(1).split("."))
        length = int(match.group(2)) + 1 if match.group(2) is not None else 0
        lengths[path] = max(lengths.get(path, 0), length)
    shapes: dict[str, Any] = {name: () for name in params}
    for path, length in sorted(lengths.items()):
        tree: dict[str, Any] = shapes
        for part in path[:-1]:
            if not isinstance(tree.get(part), dict):
                tree[part] = {}
            tree = tree[part]
        if not isinstance(tree.get(path[-1]), dict):
            tree[path[-1]] = (length,) if length else ()
    return shapes


def assign(
    given: Mapping[str | None, Distribution],
    inputs: Sequence[str],
    paths: Sequence[str],
    label: str = "bounds",
) -> list[Distribution]:
    """One distribution per flat input: its entry name (in ``inputs``), else its leaf path
    (``x``, ``p.a``), else its argument, else the bare spec. Names that match no input are an
    error; ``label`` names the bounds option in messages.

    >>> given = parse_bounds("x=0:1,y=-1:1")
    >>> [str(d) for d in assign(given, ["x[0]", "x[1]", "y"], ["x", "x", "y"])]
    ['0:1', '0:1', '-1:1']
    """
    used: set[str | None] = set()
    out: list[Distribution] = []
    missing: list[str] = []
    for entry, path in zip(inputs, paths, strict=True):
        for key in (entry, path, path.split(".")[0], None):
            if key in given:
                out.append(given[key])
                used.add(key)
                break
        else:
            missing.append(entry)
    unknown = [key for key in given if key is not None and key not in used]
    if unknown:
        raise UsageError(
            f"{label} names {', '.join(unknown)}, which is not an input",
            hint="inputs: " + ", ".join(inputs[:20]) + (", …" if len(inputs) > 20 else ""),
        )
    if missing:
        shown = ", ".join(missing[:10]) + (", …" if len(missing) > 10 else "")
        raise UsageError(
            f"{label} gives no range for {shown}",
            hint=f"name every input (x=-1:1,y=0:2) or give one range for all ({label}=-1:1)",
        )
    return out
