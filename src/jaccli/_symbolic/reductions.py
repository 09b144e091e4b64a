"""Rules for contractions and reductions: ``dot_general``, sums, products, extrema and logic
along axes, and cumulative reductions."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .elementwise import maximum, minimum
from .values import Interpreting, Rule, objects, registrar

RULES: dict[str, Rule] = {}
rule = registrar(RULES)


@rule("dot_general")
def _dot_general(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    import sympy as sp

    lhs, rhs = args
    (lc, rc), (lb, rb) = eqn.params["dimension_numbers"]
    lc, rc, lb, rb = (list(map(int, d)) for d in (lc, rc, lb, rb))
    lf = [d for d in range(lhs.ndim) if d not in lc and d not in lb]
    rf = [d for d in range(rhs.ndim) if d not in rc and d not in rb]
    batch = [lhs.shape[d] for d in lb]
    k = math.prod(lhs.shape[d] for d in lc)
    left = lhs.transpose(lb + lf + lc).reshape(math.prod(batch), -1, k)
    right = rhs.transpose(rb + rc + rf).reshape(math.prod(batch), k, -1)
    interpreter.add_work(left.shape[0] * left.shape[1] * right.shape[2] * max(k, 1))
    out = np.empty((left.shape[0], left.shape[1], right.shape[2]), dtype=object)
    for b, i, j in np.ndindex(*out.shape):
        out[b, i, j] = sp.Add(*(left[b, i, t] * right[b, t, j] for t in range(k)))
    shape = tuple(batch) + tuple(lhs.shape[d] for d in lf) + tuple(rhs.shape[d] for d in rf)
    return [out.reshape(shape)]


def _reduce(x: np.ndarray, axes: Sequence[int], combine: Callable[..., Any]) -> np.ndarray:
    axes = [int(a) for a in axes]
    keep = [d for d in range(x.ndim) if d not in axes]
    rows = math.prod(x.shape[d] for d in keep)
    flat = x.transpose(keep + axes).reshape(rows, math.prod(x.shape[d] for d in axes))
    return objects((combine(*row) for row in flat), [x.shape[d] for d in keep])


@rule("reduce_sum", "reduce_prod", "reduce_max", "reduce_min", "reduce_and", "reduce_or")
def _reduce_rule(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    import sympy as sp

    combine = {
        "reduce_sum": sp.Add,
        "reduce_prod": sp.Mul,
        "reduce_max": maximum,
        "reduce_min": minimum,
        "reduce_and": sp.And,
        "reduce_or": sp.Or,
    }[eqn.primitive.name]
    interpreter.add_work(args[0].size)
    return [_reduce(args[0], eqn.params["axes"], combine)]


@rule("cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp")
def _cumulative(interpreter: Interpreting, eqn: Any, args: list[np.ndarray]) -> list[np.ndarray]:
    import sympy as sp

    name = eqn.primitive.name
    axis, reverse = eqn.params["axis"], eqn.params["reverse"]
    x = np.moveaxis(args[0], axis, -1)
    if reverse:
        x = x[..., ::-1]
    out = np.empty(x.shape, dtype=object)
    interpreter.add_work(x.size * max(x.shape[-1], 1))
    for idx in np.ndindex(*x.shape[:-1]):
        row = list(x[idx])
        for k in range(len(row)):
            part = row[: k + 1]
            if name == "cumsum":
                value = sp.Add(*part)
            elif name == "cumprod":
                value = sp.Mul(*part)
            elif name == "cummax":
                value = maximum(*part)
            elif name == "cummin":
                value = minimum(*part)
            else:
                value = sp.log(sp.Add(*(sp.exp(p) for p in part)))
            out[(*idx, k)] = value
    if reverse:
        out = out[..., ::-1]
    return [np.moveaxis(out, -1, axis).copy()]
