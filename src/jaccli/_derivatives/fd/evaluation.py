"""The function at many points in one call, and the rounding model of its values.

The perturbed points are evaluated in a single call of ``jax.jit(jax.vmap(fn))``, which runs on
any device JAX runs on. Points that each move one entry of ``x`` (`evaluate_moves`: the
differences along the axes) are never built on the host: the compiled program sets the entry
itself, a chunk of points at a time, so ``k`` points of ``n`` inputs cost O(k) host memory and
no ``(k, n)`` copy to the device. A function that cannot be traced (Python control flow on
values, conversion to NumPy, a traced value written into a NumPy array) is evaluated point by
point instead, and the result says so.

Rounding. Each value ``f_i`` is taken to be computed to ``eps (|f_i| + sum_j |J_ij x_j|)``: the
second term (`spread`, from a first pass) is what rounding the inputs alone does, and dominates
for values that are small sums of large terms (``A @ x``, residuals).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np
import numpy.typing as npt

# float64 is the default everywhere; this must run before any array exists.
jax.config.update("jax_enable_x64", True)

Batched = Callable[[np.ndarray], Any]
CHUNK_ENTRIES = 2**22  # numbers in one chunk of moved points (32 MiB at float64)
_F = TypeVar("_F", bound=Callable[..., Any])


def quiet(function: _F) -> _F:
    """Run ``function`` without NumPy's floating-point warnings.

    Differences probe points where the function may be undefined (a large step past a
    singularity or out of the domain); those show as NaN or inf in the values, which the
    estimates handle, and must not become warnings, or errors where warnings are errors.
    """

    @functools.wraps(function)
    def quiet(*args: Any, **kwargs: Any) -> Any:
        with np.errstate(all="ignore"):
            return function(*args, **kwargs)

    return quiet  # type: ignore[return-value]


def as_point(x: npt.ArrayLike) -> np.ndarray:
    """``x`` as a flat real vector ``(n,)``, float64 unless it is floating already.

    >>> as_point([1, 2]).dtype.name, as_point(np.float32(3)).tolist()
    ('float64', [3.0])
    """
    x = np.atleast_1d(np.asarray(x))
    if x.ndim != 1:
        raise ValueError(f"x must be a flat vector (n,), but has shape {x.shape}")
    if np.iscomplexobj(x):
        raise ValueError(
            f"x must be real, but has dtype {x.dtype}; split it into real and imaginary parts"
        )
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


def evaluate(
    fn: Callable[[Any], Any], points: np.ndarray, batched: Batched | None
) -> tuple[np.ndarray, bool, str]:
    """``fn`` at every row of ``points`` in one batched call: values ``(k, m)``, float64 or
    complex128, whether it was vectorised, and a note when it was not.

    >>> values, vectorised, note = evaluate(lambda x: x * 2, np.eye(2), None)
    >>> values.tolist(), vectorised
    ([[2.0, 0.0], [0.0, 2.0]], True)
    """
    if batched is not None:
        return _as_values(batched(points), points.shape[0]), True, ""
    return _traced_or_eager(
        lambda: jax.jit(jax.vmap(fn))(points),
        lambda: (fn(jnp.asarray(p)) for p in points),
        points.shape[0],
    )


def evaluate_moves(
    fn: Callable[[Any], Any],
    x: np.ndarray,
    columns: np.ndarray,
    entries: np.ndarray,
    batched: Batched | None,
) -> tuple[np.ndarray, bool, str]:
    """`evaluate` at the points ``x`` with entry ``columns[i]`` set to ``entries[i]``, for each
    ``i`` (``entries`` in x's dtype): the points are built by the compiled program, in chunks
    of about `CHUNK_ENTRIES` numbers, not on the host.

    >>> values, _, _ = evaluate_moves(lambda x: x * 2, np.zeros(2), np.array([1, 0]), np.ones(2), None)
    >>> values.tolist()
    [[0.0, 2.0], [2.0, 0.0]]
    """
    k = columns.size
    if batched is not None:
        points = np.tile(x, (k, 1))
        points[np.arange(k), columns] = entries
        return evaluate(fn, points, batched)

    def at(moved: tuple[Any, Any]) -> Any:
        column, entry = moved
        return fn(jnp.asarray(x).at[column].set(entry))

    def eager() -> Iterator[Any]:
        for column, entry in zip(columns, entries, strict=True):
            point = x.copy()
            point[column] = entry
            yield fn(jnp.asarray(point))

    chunk = max(1, min(k, CHUNK_ENTRIES // max(x.size, 1)))
    if chunk == k:
        # One chunk: the map's loop of one step would only cost its tracing and lowering.
        traced = jax.jit(lambda c, e: jax.vmap(at)((c, e)))
    else:
        traced = jax.jit(lambda c, e: jax.lax.map(at, (c, e), batch_size=chunk))
    return _traced_or_eager(lambda: traced(columns, entries), eager, k)


def _traced_or_eager(
    traced: Callable[[], Any], eager: Callable[[], Iterable[Any]], k: int
) -> tuple[np.ndarray, bool, str]:
    try:
        values = traced()
    except Exception as error:
        # Tracing fails on Python control flow on values (`if x[0] > 0`), conversion to
        # NumPy, or a traced value written into a NumPy array; each point still runs
        # eagerly. A function that fails for another reason fails again at its first
        # eager call, and that error propagates.
        values = np.stack([np.ravel(value) for value in eager()])
        cause = (str(error).strip().splitlines() or [""])[0][:120]
        note = (
            f"the function could not be traced ({type(error).__name__}: {cause}), "
            f"so its {k} evaluations ran one by one"
        )
        return _as_values(values, k), False, note
    return _as_values(values, k), True, ""


def _as_values(values: Any, k: int) -> np.ndarray:
    values = np.asarray(values).reshape(k, -1)
    return values.astype(np.result_type(values.dtype, np.float64))


def rounding_eps(x: np.ndarray, values: np.ndarray) -> float:
    """Relative rounding of the function's values: the coarser of input and output precision.

    >>> rounding_eps(np.zeros(1, np.float64), np.zeros(1, np.float32)) == 2.0**-23
    True
    """
    eps = np.finfo(x.dtype).eps
    if np.issubdtype(values.dtype, np.inexact):
        eps = max(eps, np.finfo(values.dtype).eps)
    return float(eps)


def spread(jacobian: np.ndarray, x: np.ndarray) -> np.ndarray:
    """``sum_j |J_ij x_j|`` for a Jacobian laid out ``(n, m)``: ``(m,)``.

    Rounding each x_j to the dtype moves f_i by about eps times this; a value computed as a
    sum (``A @ x``) carries at least that much rounding however small the sum, so the rounding
    model uses it beside ``|f|``.

    >>> spread(np.array([[1.0], [-2.0]]), np.array([3.0, 1.0])).tolist()
    [5.0]
    """
    finite = np.where(np.isfinite(jacobian), np.abs(jacobian), 0.0)
    return (finite * np.abs(x.astype(np.float64))[:, None]).sum(axis=0)
