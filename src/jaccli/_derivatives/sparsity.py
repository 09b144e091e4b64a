"""The structural sparsity pattern of a Jacobian, read from the traced program.

The function (of one flat input vector ``x``) is traced once with `jax.make_jaxpr`, and every
variable of the program gets a *dependence pattern*: a boolean sparse matrix (SciPy CSR) with a row
per element of the variable and a column per entry of ``x``, true where the element may depend on
that entry. Patterns flow forward through the equations; the output's pattern is the Jacobian's.

- Elementwise operations (with broadcasting), moves of elements (reshape, broadcast_in_dim,
  transpose, rev, slice, pad, concatenate, stack, tile, split, squeeze, dynamic_slice and dynamic_update_slice
  with constant starts, gather and scatter with constant indices), reductions along axes,
  cumulative sums and products, dot_general and select_n are followed exactly.
- Operations whose derivative JAX defines as zero (floor, ceil, round, sign, stop_gradient,
  comparisons, anything with an integer or boolean result) carry no dependence — except inside
  `custom_jvp`/`custom_vjp` functions, whose rule may give them one (a straight-through estimator).
- Nested programs (jit, closed_call, remat, custom_jvp/custom_vjp, the branches of cond) are
  followed inside.
- Any other operation (scan, while, sort, convolutions, callbacks, ...) is *dense*: every element
  it produces depends on everything its inputs depend on. The pattern may then hold more entries
  than the Jacobian needs, never fewer.

Values of constants (index arrays, constant matrices) are computed when a rule needs them, so that
``x[idx]`` and ``A @ x`` with a constant sparse ``A`` are followed exactly.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import MissingExtraError

# Constants larger than this are not evaluated: their values only sharpen the pattern.
MAX_FOLDED_ELEMENTS = 1_000_000

ELEMENTWISE = frozenset(
    """neg sign floor ceil round is_finite exp exp2 log log1p expm1 tanh logistic sin cos tan asin
    acos atan sinh cosh asinh acosh atanh sqrt rsqrt cbrt abs integer_pow square erf erfc erf_inv
    lgamma digamma bessel_i0e bessel_i1e real imag conj not population_count clz copy copy_p
    reduce_precision convert_element_type stop_gradient add add_any sub mul div rem pow max min
    atan2 nextafter and or xor eq ne lt le gt ge shift_left shift_right_logical
    shift_right_arithmetic igamma igammac igamma_grad_a random_gamma_grad polygamma zeta complex
    clamp select_n regularized_incomplete_beta""".split()  # noqa: SIM905 (a word list reads best)
)
# JAX differentiates these to exactly zero.
ZERO_DERIVATIVE = frozenset({"sign", "floor", "ceil", "round", "stop_gradient", "is_finite"})
REDUCTIONS = frozenset(
    {"reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "reduce_and", "reduce_or",
     "reduce_xor", "argmax", "argmin"}
)  # fmt: skip
CUMULATIVE = frozenset({"cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"})
CALLS = frozenset({"jit", "pjit", "closed_call", "core_call", "remat2", "checkpoint", "remat"})
CUSTOM_RULES = frozenset({"custom_jvp_call", "custom_vjp_call", "custom_vjp_call_jaxpr"})
SCATTERS = frozenset({"scatter", "scatter-add", "scatter_add", "scatter-mul", "scatter_mul",
                      "scatter-min", "scatter_min", "scatter-max", "scatter_max"})  # fmt: skip


def _control_operands(name: str, count: int) -> tuple[int, ...]:
    """Operands that choose *which* elements are used (indices), not their values: any element
    of the result may depend on any of them. (A select_n predicate is elementwise, and under
    pruning has no dependence anyway, being boolean.)"""
    if name == "gather" or name in SCATTERS:
        return (1,)
    if name == "dynamic_slice":
        return tuple(range(1, count))
    if name == "dynamic_update_slice":
        return tuple(range(2, count))
    return ()


class PatternTooLarge(Exception):
    """The pattern (or the work to build it) would exceed the entry limit."""

    def __init__(self, entries: int, limit: int) -> None:
        super().__init__(f"{entries:,} pattern entries, over the limit of {limit:,}")
        self.entries = entries
        self.limit = limit


@dataclass(frozen=True)
class Pattern:
    """The Jacobian's sparsity pattern: an ``(m, n)`` boolean CSR matrix with sorted indices,
    and the operations that were treated as dense because their structure is unknown."""

    matrix: Any
    dense_operations: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[int, int]:
        return tuple(self.matrix.shape)

    @property
    def nnz(self) -> int:
        return int(self.matrix.nnz)

    @property
    def density(self) -> float:
        m, n = self.shape
        return self.nnz / (m * n) if m * n else 0.0


def require() -> None:
    """Refuse early, with the install command, when SciPy is not installed."""
    try:
        import scipy.sparse  # noqa: F401
    except ImportError:
        raise MissingExtraError(
            "--sparse needs SciPy, which is not installed", hint="pip install 'jaccli[sparse]'"
        ) from None


def jacobian_pattern(fn: Callable[[Any], Any], x: Any, max_entries: int = 1 << 60) -> Pattern:
    """The structural sparsity pattern of the Jacobian of ``fn`` (flat vector → flat vector).

    Args:
        fn: a function of one 1-D array, returning a 1-D array.
        x: a point, for the shapes (its values are not used).
        max_entries: raise `PatternTooLarge` when a pattern would hold more entries than this.

    Returns:
        a `Pattern` whose ``matrix[i, j]`` is true where output ``i`` may depend on input ``j``.

    >>> import jax.numpy as jnp
    >>> p = jacobian_pattern(lambda x: x[1:] * x[:-1], jnp.ones(4))
    >>> p.matrix.toarray().astype(int).tolist()
    [[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]
    """
    import jax
    import scipy.sparse as sp

    closed = jax.make_jaxpr(fn)(x)
    n = int(np.size(x))
    propagation = _Propagation(n, max_entries)
    identity = sp.identity(n, dtype=bool, format="csr")
    (dep, _), *_ = propagation.run_closed(closed, [(identity, _unknown)], prune=True)
    m = _size(closed.out_avals[0].shape)
    if dep is None:
        dep = sp.csr_array((m, n), dtype=bool)
    matrix = sp.csr_array(dep, dtype=bool)
    matrix.sum_duplicates()
    matrix.sort_indices()
    return Pattern(matrix, tuple(sorted(propagation.dense)))


# --- values of constants ----------------------------------------------------------------------


def _unknown() -> None:
    return None


def _known(value: Any) -> Callable[[], np.ndarray | None]:
    """A constant's value, copied to the host only if a rule asks for it (and it is small)."""
    if np.size(value) > MAX_FOLDED_ELEMENTS:
        return _unknown
    return functools.cache(lambda: np.asarray(value))


class _Folded:
    """The outputs of an equation on constants, computed (once) when a rule asks for one."""

    def __init__(self, eqn: Any, inputs: Sequence[Callable[[], Any]]) -> None:
        self._eqn = eqn
        self._inputs = inputs
        self._values: list[np.ndarray | None] | None = None

    def output(self, k: int) -> Callable[[], np.ndarray | None]:
        return lambda: self._evaluate()[k]

    def _evaluate(self) -> list[np.ndarray | None]:
        if self._values is None:
            self._values = [None] * len(self._eqn.outvars)
            sizes = [_size(v.aval.shape) for v in self._eqn.outvars]
            values = [value() for value in self._inputs]
            if max(sizes, default=0) <= MAX_FOLDED_ELEMENTS and all(v is not None for v in values):
                try:
                    out = self._eqn.primitive.bind(*values, **self._eqn.params)
                except Exception:
                    # An operation that cannot run on its own here only leaves its value unknown.
                    out = None
                if out is not None:
                    outs = out if self._eqn.primitive.multiple_results else [out]
                    self._values = [np.asarray(o) for o in outs]
        return self._values


# --- patterns: boolean CSR matrices, None for "depends on nothing" ----------------------------


def _size(shape: Sequence[int]) -> int:
    return math.prod(int(d) for d in shape)


def _indices(shape: Sequence[int]) -> np.ndarray:
    """The flat index of every element, laid out in ``shape``."""
    return np.arange(_size(shape), dtype=np.int64).reshape(tuple(shape))


class _Propagation:
    """Walks a jaxpr, computing each variable's dependence pattern (and constants' values)."""

    def __init__(self, n: int, max_entries: int) -> None:
        self.n = n
        self.max_entries = max_entries
        self.dense: set[str] = set()

    def _check(self, entries: int) -> None:
        if entries > self.max_entries:
            raise PatternTooLarge(entries, self.max_entries)

    # The primitive operations on patterns.

    def take(self, dep: Any, rows: np.ndarray) -> Any:
        """The rows ``rows`` of ``dep`` (an index of -1 gives an empty row)."""
        import scipy.sparse as sp

        if dep is None:
            return None
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        indptr = dep.indptr.astype(np.int64)
        lengths = np.diff(indptr)
        valid = rows >= 0
        safe = np.where(valid, rows, 0)
        counts = np.where(valid, lengths[safe], 0)
        out_ptr = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(counts, out=out_ptr[1:])
        total = int(out_ptr[-1])
        self._check(total)
        if total == 0:
            return None
        # Position k of output row r reads input entry indptr[rows[r]] + k.
        source = np.arange(total, dtype=np.int64) + np.repeat(indptr[safe] - out_ptr[:-1], counts)
        return sp.csr_array(
            (np.ones(total, dtype=bool), dep.indices[source], out_ptr), shape=(rows.size, self.n)
        )

    def union(self, a: Any, b: Any) -> Any:
        if a is None:
            return b
        if b is None:
            return a
        out = a + b
        self._check(int(out.nnz))
        return out

    def route(self, dep: Any, targets: np.ndarray, sources: np.ndarray, size: int) -> Any:
        """Output element ``targets[k]`` depends on input element ``sources[k]``, for every k."""
        import scipy.sparse as sp

        if dep is None or targets.size == 0:
            return None
        lengths = np.diff(dep.indptr)
        self._check(int(targets.size))
        self._check(int(lengths[sources].sum()))
        select = sp.csr_array(
            (np.ones(targets.size, dtype=bool), (targets, sources)), shape=(size, dep.shape[0])
        )
        out = select @ dep
        self._check(int(out.nnz))
        return out if out.nnz else None

    def everything(self, deps: Sequence[Any]) -> Any:
        """One row: the union of every row of ``deps``."""
        import scipy.sparse as sp

        columns = [d.indices for d in deps if d is not None and d.nnz]
        if not columns:
            return None
        cols = np.unique(np.concatenate(columns))
        return sp.csr_array(
            (np.ones(cols.size, dtype=bool), cols, np.array([0, cols.size])), shape=(1, self.n)
        )

    def broadcast(self, row: Any, size: int) -> Any:
        return None if row is None else self.take(row, np.zeros(size, dtype=np.int64))

    # Walking programs.

    def run_closed(self, closed: Any, inputs: Sequence[tuple[Any, Any]], prune: bool) -> list:
        consts = [(None, _known(c)) for c in closed.consts]
        return self.run(closed.jaxpr, consts, inputs, prune)

    def run(
        self, jaxpr: Any, consts: Sequence[tuple[Any, Any]], inputs: Sequence[tuple[Any, Any]],
        prune: bool,
    ) -> list[tuple[Any, Any]]:  # fmt: skip
        from jax.extend.core import Literal

        env: dict[Any, tuple[Any, Any]] = {}

        def read(var: Any) -> tuple[Any, Any]:
            if isinstance(var, Literal):
                return None, _known(np.asarray(var.val, dtype=var.aval.dtype))
            return env[var]

        for var, slot in zip(jaxpr.constvars, consts, strict=True):
            env[var] = slot
        for var, slot in zip(jaxpr.invars, inputs, strict=True):
            env[var] = slot
        for eqn in jaxpr.eqns:
            outs = self.equation(eqn, [read(v) for v in eqn.invars], prune)
            for var, slot in zip(eqn.outvars, outs, strict=True):
                env[var] = slot
        return [read(v) for v in jaxpr.outvars]

    def equation(self, eqn: Any, ins: list[tuple[Any, Any]], prune: bool) -> list:
        name = eqn.primitive.name
        deps = [d for d, _ in ins]
        if name in CALLS or name in CUSTOM_RULES or name == "cond":
            return self.call(eqn, ins, prune)
        if all(d is None for d in deps):
            folded = _Folded(eqn, [v for _, v in ins]) if not eqn.effects else None
            return [
                (None, folded.output(k) if folded else _unknown) for k in range(len(eqn.outvars))
            ]
        unknown = [_unknown] * len(eqn.outvars)
        if prune and (
            name in ZERO_DERIVATIVE or not any(_inexact(v.aval.dtype) for v in eqn.outvars)
        ):
            return [(None, u) for u in unknown]
        control = _control_operands(name, len(ins))
        try:
            out_deps = self.rule(name, eqn, ins)
        except PatternTooLarge:
            raise
        except Exception:
            # A rule that cannot follow this equation (an unusual layout or parameter) falls back
            # to dense, which is always correct.
            out_deps = None
        if out_deps is None:
            self.dense.add(name)
            row = self.everything(deps)
            out_deps = [self.broadcast(row, _size(v.aval.shape)) for v in eqn.outvars]
        elif not prune and any(deps[i] is not None for i in control):
            row = self.everything([deps[i] for i in control])
            out_deps = [
                self.union(d, self.broadcast(row, _size(v.aval.shape)))
                for d, v in zip(out_deps, eqn.outvars, strict=True)
            ]
        if prune:
            out_deps = [
                d if _inexact(v.aval.dtype) else None
                for d, v in zip(out_deps, eqn.outvars, strict=True)
            ]
        return [(d, u) for d, u in zip(out_deps, unknown, strict=True)]

    def call(self, eqn: Any, ins: list[tuple[Any, Any]], prune: bool) -> list:
        """Follow a nested program; the branches of a cond are joined."""
        name = eqn.primitive.name
        params = eqn.params
        if name == "cond":
            index = ins[0][1]()
            branches = list(params["branches"])
            if index is not None:
                branches = [branches[int(np.clip(index, 0, len(branches) - 1))]]
            results = [self.run_closed(b, ins[1:], prune) for b in branches]
            outs = [
                (_join(self, [r[k][0] for r in results]), _unknown) for k in range(len(eqn.outvars))
            ]
            if not prune and ins[0][0] is not None:
                row = self.everything([ins[0][0]])
                outs = [
                    (self.union(d, self.broadcast(row, _size(v.aval.shape))), u)
                    for (d, u), v in zip(outs, eqn.outvars, strict=True)
                ]
            return outs
        inner = params.get("jaxpr", params.get("call_jaxpr", params.get("fun_jaxpr")))
        # Inside a custom rule, operations JAX would differentiate to zero may not be zero.
        inner_prune = prune and name not in CUSTOM_RULES
        if hasattr(inner, "consts") and len(inner.jaxpr.invars) == len(ins):
            return self.run_closed(inner, ins, inner_prune)
        if hasattr(inner, "eqns") and len(inner.invars) == len(ins) and not inner.constvars:
            return self.run(inner, [], ins, inner_prune)
        self.dense.add(name)
        row = self.everything([d for d, _ in ins])
        return [(self.broadcast(row, _size(v.aval.shape)), _unknown) for v in eqn.outvars]

    # The rules: each returns one pattern per output, or None for "use the dense fallback".

    def rule(self, name: str, eqn: Any, ins: list[tuple[Any, Any]]) -> list[Any] | None:
        shapes = [tuple(v.aval.shape) for v in eqn.invars]
        out_shapes = [tuple(v.aval.shape) for v in eqn.outvars]
        deps = [d for d, _ in ins]
        params = eqn.params
        if name in ELEMENTWISE:
            out = None
            for dep, shape in zip(deps, shapes, strict=True):
                if dep is not None:
                    out = self.union(out, self.elementwise(dep, shape, out_shapes[0]))
            return [out]
        if name in ("reshape", "squeeze", "expand_dims"):
            if params.get("dimensions") is not None and name == "reshape":
                return None
            return [deps[0]]
        if name == "broadcast_in_dim":
            shape = [1] * len(out_shapes[0])
            for axis, d in zip(params["broadcast_dimensions"], shapes[0], strict=True):
                shape[axis] = d
            index = np.broadcast_to(_indices(shapes[0]).reshape(shape), out_shapes[0])
            return [self.take(deps[0], index)]
        if name == "transpose":
            return [self.take(deps[0], np.transpose(_indices(shapes[0]), params["permutation"]))]
        if name == "rev":
            return [self.take(deps[0], np.flip(_indices(shapes[0]), params["dimensions"]))]
        if name == "slice":
            strides = params["strides"] or (1,) * len(shapes[0])
            window = tuple(
                slice(start, limit, step)
                for start, limit, step in zip(
                    params["start_indices"], params["limit_indices"], strides, strict=True
                )
            )
            return [self.take(deps[0], _indices(shapes[0])[window])]
        if name == "pad":
            index = _pad_index(_indices(shapes[0]), params["padding_config"])
            padding = np.broadcast_to(np.where(index < 0, 0, -1), index.shape)
            return [self.union(self.take(deps[0], index), self.take(deps[1], padding))]
        if name == "concatenate":
            return [self.joined(deps, shapes, params["dimension"], np.concatenate)]
        if name == "stack":
            return [self.joined(deps, shapes, params["axis"], np.stack)]
        if name == "tile":
            return [self.take(deps[0], np.tile(_indices(shapes[0]), params["reps"]))]
        if name == "split":
            cuts = np.cumsum(params["sizes"])[:-1]
            pieces = np.split(_indices(shapes[0]), cuts, axis=params["axis"])
            return [self.take(deps[0], piece) for piece in pieces]
        if name in REDUCTIONS:
            return [self.reduced(deps[0], shapes[0], tuple(params["axes"]))]
        if name in CUMULATIVE:
            return [self.cumulative(deps[0], shapes[0], params["axis"], params["reverse"])]
        if name == "dot_general":
            return [self.dot_general(ins, shapes, out_shapes[0], params["dimension_numbers"])]
        if name == "dynamic_slice":
            starts = _starts(ins[1:], shapes[0], params["slice_sizes"])
            if starts is None:
                return None
            window = tuple(
                slice(s, s + k) for s, k in zip(starts, params["slice_sizes"], strict=True)
            )
            return [self.take(deps[0], _indices(shapes[0])[window])]
        if name == "dynamic_update_slice":
            starts = _starts(ins[2:], shapes[0], shapes[1])
            if starts is None:
                return None
            window = tuple(slice(s, s + k) for s, k in zip(starts, shapes[1], strict=True))
            from_operand = _indices(shapes[0])
            from_operand[window] = -1
            from_update = np.full(shapes[0], -1, dtype=np.int64)
            from_update[window] = _indices(shapes[1])
            return [self.union(self.take(deps[0], from_operand), self.take(deps[1], from_update))]
        if name == "gather":
            index = _gather_index(eqn, shapes[0], ins[1][1]())
            return None if index is None else [self.take(deps[0], index)]
        if name in SCATTERS:
            targets = _scatter_targets(eqn, shapes, ins[1][1]())
            if targets is None:
                return None
            keep = targets >= 0
            size = _size(out_shapes[0])
            sources = np.flatnonzero(keep)
            routed = self.route(deps[2], targets[keep], sources, size)
            return [self.union(deps[0], routed)]
        return None

    def elementwise(self, dep: Any, shape: tuple[int, ...], out_shape: tuple[int, ...]) -> Any:
        if shape == out_shape:
            return dep
        return self.take(dep, np.broadcast_to(_indices(shape), out_shape))

    def joined(
        self, deps: Sequence[Any], shapes: Sequence[tuple[int, ...]], axis: int, join: Any
    ) -> Any:
        """Concatenation or stacking: number the operands' elements one after another, join the
        numbers as the operation joins the operands, and read off which operand each came from."""
        offsets = np.cumsum([0, *(_size(s) for s in shapes)])
        index = join(
            [_indices(s) + off for s, off in zip(shapes, offsets, strict=False)], axis=axis
        ).reshape(-1)
        out = None
        for k, dep in enumerate(deps):
            if dep is not None:
                own = (index >= offsets[k]) & (index < offsets[k + 1])
                out = self.union(out, self.take(dep, np.where(own, index - offsets[k], -1)))
        return out

    def reduced(self, dep: Any, shape: tuple[int, ...], axes: tuple[int, ...]) -> Any:
        kept = [1 if axis in axes else d for axis, d in enumerate(shape)]
        size = _size(kept)
        targets = np.broadcast_to(np.arange(size).reshape(kept), shape).reshape(-1)
        return self.route(dep, targets, np.arange(_size(shape)), size)

    def cumulative(self, dep: Any, shape: tuple[int, ...], axis: int, reverse: bool) -> Any:
        lines = np.moveaxis(_indices(shape), axis, -1).reshape(-1, shape[axis])
        length = shape[axis]
        self._check(lines.shape[0] * length * (length + 1) // 2)
        later, earlier = np.tril_indices(length)
        if reverse:
            later, earlier = earlier, later
        targets = lines[:, later].reshape(-1)
        sources = lines[:, earlier].reshape(-1)
        return self.route(dep, targets, sources, _size(shape))

    def dot_general(
        self, ins: list[tuple[Any, Any]], shapes: list[tuple[int, ...]],
        out_shape: tuple[int, ...], dimension_numbers: Any,
    ) -> Any:  # fmt: skip
        """Output (b, i, j) depends on lhs (b, i, k) where rhs (b, k, j) may be nonzero, and on
        rhs (b, k, j) where lhs (b, i, k) may be nonzero; a constant's zeros are exact zeros."""
        (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = dimension_numbers
        lhs = _arrange(shapes[0], lhs_batch, lhs_contract, contract_last=True)
        rhs = _arrange(shapes[1], rhs_batch, rhs_contract, contract_last=False)
        batch, free_l, _ = lhs.shape
        free_r = rhs.shape[2]
        out = np.arange(_size(out_shape)).reshape(batch, free_l, free_r)
        nonzero = [self.nonzero(ins[k], shapes[k]).reshape(-1) for k in (0, 1)]
        result = None
        if ins[0][0] is not None:
            b, k, j = np.nonzero(nonzero[1][rhs])
            self._check(b.size * free_l)
            targets = out[b, :, j].reshape(-1)
            sources = lhs[b, :, k].reshape(-1)
            result = self.union(result, self.route(ins[0][0], targets, sources, out.size))
        if ins[1][0] is not None:
            b, i, k = np.nonzero(nonzero[0][lhs])
            self._check(b.size * free_r)
            targets = out[b, i, :].reshape(-1)
            sources = rhs[b, k, :].reshape(-1)
            result = self.union(result, self.route(ins[1][0], targets, sources, out.size))
        return result

    def nonzero(self, slot: tuple[Any, Any], shape: tuple[int, ...]) -> np.ndarray:
        """Where an operand may be nonzero: everywhere unless it is a constant with known zeros."""
        dep, value = slot
        known = value() if dep is None else None
        if known is None:
            return np.ones(shape, dtype=bool)
        return np.broadcast_to(np.asarray(known) != 0, shape)


def _join(propagation: _Propagation, deps: Sequence[Any]) -> Any:
    out = None
    for dep in deps:
        out = propagation.union(out, dep)
    return out


def _inexact(dtype: Any) -> bool:
    return np.issubdtype(np.dtype(dtype), np.inexact)


def _arrange(
    shape: tuple[int, ...], batch: Sequence[int], contract: Sequence[int], contract_last: bool
) -> np.ndarray:
    """Element indices of a dot_general operand as (batch, free, contract) or (batch, contract,
    free)."""
    free = [a for a in range(len(shape)) if a not in batch and a not in contract]
    order = [*batch, *free, *contract] if contract_last else [*batch, *contract, *free]
    sizes = [_size([shape[a] for a in group]) for group in (batch, free, contract)]
    arranged = np.transpose(_indices(shape), order)
    if contract_last:
        return arranged.reshape(sizes[0], sizes[1], sizes[2])
    return arranged.reshape(sizes[0], sizes[2], sizes[1])


def _pad_index(index: np.ndarray, config: Sequence[Sequence[int]]) -> np.ndarray:
    """`lax.pad` of an index array with -1: low, high and interior padding, negative allowed."""
    for axis, (low, high, interior) in enumerate(config):
        low, high, interior = int(low), int(high), int(interior)
        d = index.shape[axis]
        if interior and d > 1:
            shape = list(index.shape)
            shape[axis] = d + (d - 1) * interior
            spread = np.full(shape, -1, dtype=np.int64)
            where = [slice(None)] * index.ndim
            where[axis] = slice(None, None, interior + 1)
            spread[tuple(where)] = index
            index = spread
        for amount, at_start in ((low, True), (high, False)):
            if amount > 0:
                shape = list(index.shape)
                shape[axis] = amount
                block = np.full(shape, -1, dtype=np.int64)
                parts = [block, index] if at_start else [index, block]
                index = np.concatenate(parts, axis=axis)
            elif amount < 0:
                where = [slice(None)] * index.ndim
                where[axis] = slice(-amount, None) if at_start else slice(None, amount)
                index = index[tuple(where)]
    return index


def _starts(
    slots: Sequence[tuple[Any, Any]], shape: Sequence[int], sizes: Sequence[int]
) -> list[int] | None:
    """Constant start indices of a dynamic slice, clamped as XLA clamps them; None if unknown."""
    starts = []
    for (_, value), d, k in zip(slots, shape, sizes, strict=True):
        known = value()
        if known is None:
            return None
        starts.append(int(np.clip(int(known), 0, d - k)))
    return starts


def _gather_index(eqn: Any, shape: tuple[int, ...], indices: Any) -> np.ndarray | None:
    """Which operand element each gathered element is (-1: the fill value), by running the
    gather itself on the operand's element indices."""
    import jax.numpy as jnp

    if indices is None:
        return None
    params = dict(eqn.params, fill_value=-1)
    out = eqn.primitive.bind(jnp.asarray(_indices(shape)), jnp.asarray(indices), **params)
    return np.asarray(out).reshape(-1)


def _scatter_targets(eqn: Any, shapes: Sequence[tuple[int, ...]], indices: Any) -> Any:
    """The output element each update lands on (-1: dropped), from the gather that is the
    scatter's transpose (as in JAX's own transpose rule for scatter-add)."""
    import jax.numpy as jnp
    from jax import lax

    if indices is None:
        return None
    dnums = eqn.params["dimension_numbers"]
    operand_shape, _, updates_shape = shapes
    sizes, pos = [], 0
    for axis in range(len(operand_shape)):
        if axis in dnums.inserted_window_dims or axis in dnums.operand_batching_dims:
            sizes.append(1)
        else:
            sizes.append(updates_shape[dnums.update_window_dims[pos]])
            pos += 1
    gather = lax.GatherDimensionNumbers(
        offset_dims=dnums.update_window_dims,
        collapsed_slice_dims=dnums.inserted_window_dims,
        start_index_map=dnums.scatter_dims_to_operand_dims,
        operand_batching_dims=dnums.operand_batching_dims,
        start_indices_batching_dims=dnums.scatter_indices_batching_dims,
    )
    out = lax.gather(
        jnp.asarray(_indices(operand_shape)),
        jnp.asarray(indices),
        gather,
        tuple(sizes),
        mode=eqn.params["mode"],
        fill_value=-1,
    )
    return np.asarray(out).reshape(-1)
