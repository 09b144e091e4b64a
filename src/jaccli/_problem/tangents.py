"""Vectors that go with a problem: tangents shaped like the differentiated inputs (jvp, hvp) and
cotangents shaped like the output (vjp), checked and cast to the problem's dtype and device."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError
from .problem import Problem


def format_shape(shape: tuple[int, ...]) -> str:
    """A shape as Python writes a tuple: ``(3,)``, ``(2, 2)``, ``()``.

    >>> format_shape((3,)), format_shape((2, 2)), format_shape(())
    ('(3,)', '(2, 2)', '()')
    """
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def tangent_parts(problem: Problem, v: Any, label: str) -> tuple[Any, ...]:
    """Split a vector into one part per differentiated argument: one value, a tuple, or a dict."""
    if isinstance(v, dict) and len(problem.wrt) > 1:
        missing = [name for name in problem.wrt if name not in v]
        if missing or len(v) != len(problem.wrt):
            raise ShapeError(f"{label} must give {', '.join(problem.wrt)}; got {', '.join(v)}")
        return tuple(v[name] for name in problem.wrt)
    if isinstance(v, (tuple, list)) and len(problem.wrt) > 1 and len(v) == len(problem.wrt):
        return tuple(v)
    if len(problem.wrt) == 1:
        return (v,)
    names = ", ".join(problem.wrt)
    raise ShapeError(
        f"{label} must give one vector per differentiated argument ({names})",
        hint=f"name them: {label} " + ",".join(f"{n}=..." for n in problem.wrt),
    )


def bind_tangent(problem: Problem, v: Any, label: str) -> tuple[Any, ...]:
    """Match a vector to the differentiated arguments, checking shapes and casting to their dtype."""
    import jax
    import jax.numpy as jnp

    parts = tangent_parts(problem, v, label)
    tangents = []
    for name, primal, part in zip(problem.wrt, problem.primals, parts, strict=True):
        want = jax.tree_util.tree_structure(primal)
        got = jax.tree_util.tree_structure(part)
        if want != got:
            raise ShapeError(f"{label} for {name} must have the structure of {name}")

        def cast(p: Any, t: Any, name: str = name) -> Any:
            t = np.asarray(t)
            if t.shape != np.shape(p):
                raise ShapeError(
                    f"{label} has shape {format_shape(t.shape)} but the input {name} has shape "
                    f"{format_shape(np.shape(p))}"
                )
            if t.dtype.kind == "c" and not jnp.iscomplexobj(p):
                raise ShapeError(f"{label} is complex but the input {name} is real")
            return jax.device_put(jnp.asarray(t, dtype=p.dtype), problem.device)

        tangents.append(jax.tree_util.tree_map(cast, primal, part))
    return tuple(tangents)


def bind_cotangent(problem: Problem, v: Any, label: str) -> Any:
    """A cotangent shaped like the output, cast to its dtype, on the problem's device."""
    import jax
    import jax.numpy as jnp

    cotangent = np.asarray(v)
    if cotangent.shape != problem.out_shape:
        raise ShapeError(
            f"{label} has shape {format_shape(cotangent.shape)} but the output has shape "
            f"{format_shape(problem.out_shape)}"
        )
    if cotangent.dtype.kind == "c" and problem.kind != "holomorphic":
        raise ShapeError(f"{label} is complex but the output is real")
    return jax.device_put(jnp.asarray(cotangent, dtype=problem.out_dtype), problem.device)
