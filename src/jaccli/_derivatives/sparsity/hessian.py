"""The Hessian's sparsity pattern of a scalar function: second-order dependence.

By the chain rule, the Hessian of ``f`` is a sum over the operations ``v = op(u_1, u_2, ...)`` of
its program: ``Σ ∂f/∂v · ∂²v/∂u_p∂u_q · J_pᵀ J_q``, where ``J_p`` is the Jacobian of operand
``u_p`` with respect to ``x``. So an operation adds the entries ``(i, j)`` where ``i`` is in the
dependence pattern (see `dependence`) of one operand element and ``j`` in that of another it
interacts with nonlinearly. The first-order walk (`propagation`) is kept as it is, and each
equation adds its interactions:

- linear operations add nothing: adding, moving, summing, gathering and scattering elements,
  selecting, and max, min, abs, clamp and rem, whose JAX derivatives are piecewise constant;
- a product ``a·b`` adds ``Aᵀ B`` (an element of ``a`` times one of ``b``); a quotient ``a/b``
  also ``Bᵀ B``; dot_general adds ``Āᵀ B̄``, ``Ā`` and ``B̄`` being the operands' patterns
  joined over their free axes, one row per (batch, contracted) index;
- every other operation (exp, a power, reduce_prod, ..., and any operation the walk treats as
  dense) adds ``Oᵀ O`` for its result pattern ``O``: every pair of inputs one element depends
  on. That holds for any operation, so an unknown one makes a dense block over the inputs it
  depends on, never an optimistic pattern.

The pattern may hold entries that are zero at every point (an interaction that cancels, an
unused result), never miss one JAX can compute.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import csr
from ..csr import BoolCSR
from ..jaxpr import CALLS, CUSTOM_RULES, called_program
from .dependence import Dependence
from .index_maps import arrange
from .pattern import Pattern, walk
from .propagation import Propagation, Slot
from .rules import REDUCTIONS, SCATTERS, broadcast_rows

# Operations linear in their floating-point operands, or with a piecewise constant derivative.
LINEAR = (
    frozenset(
        """neg add add_any sub copy copy_p convert_element_type reduce_precision real imag conj
    complex select_n max min abs clamp rem sign floor ceil round stop_gradient is_finite eq ne lt
    le gt ge and or not xor reshape squeeze expand_dims broadcast_in_dim transpose rev slice pad
    concatenate stack tile split cumsum cummax cummin dynamic_slice dynamic_update_slice
    gather""".split()  # noqa: SIM905 (a word list reads best)
    )
    | (REDUCTIONS - {"reduce_prod"})
    | (SCATTERS - {"scatter-mul", "scatter_mul"})
)


class HessianPropagation(Propagation):
    """The first-order walk, collecting each equation's second-order interactions."""

    def __init__(self, n: int, max_entries: int) -> None:
        super().__init__(n, max_entries)
        self.pairs: list[Any] = []
        self.entries = 0

    def equation(self, eqn: Any, ins: list[Slot], prune: bool) -> list[Slot]:
        """The output slots of one equation, adding its interactions on the way."""
        outs = super().equation(eqn, ins, prune)
        name = eqn.primitive.name
        # A plain call's (or a cond's) own equations added theirs; a custom rule may differ
        # from its primal program, so its results count as one nonlinear operation too.
        inner = name == "cond" or (
            name in CALLS and name not in CUSTOM_RULES and called_program(eqn) is not None
        )
        deps = [d for d, _ in ins]
        if not inner and name not in LINEAR and any(d is not None for d in deps):
            self.interactions(eqn, deps, [d for d, _ in outs])
        return outs

    def interactions(self, eqn: Any, deps: Sequence[Any], outs: Sequence[Any]) -> None:
        """Add the input pairs that ``eqn`` combines nonlinearly."""
        name = eqn.primitive.name
        shapes = [tuple(v.aval.shape) for v in eqn.invars]
        if name in ("mul", "div"):
            out_shape = tuple(eqn.outvars[0].aval.shape)
            a, b = (
                broadcast_rows(self.ops, d, s, out_shape) for d, s in zip(deps, shapes, strict=True)
            )
            self.add(a, b)
            if name == "div":
                self.add(b, b)
        elif name == "dot_general":
            self.add(*contracted(self.ops, eqn, deps, shapes))
        else:
            for out in outs:
                self.add(out, out)

    def add(self, a: BoolCSR | None, b: BoolCSR | None) -> None:
        """Add ``Aᵀ B``: input ``i`` of a row of ``a`` with input ``j`` of that row of ``b``."""
        if a is None or b is None:
            return
        self.ops.check(self.entries + csr.transpose_product_size(a, b))
        pairs = csr.transpose_product(a, b)
        self.entries += pairs.nnz
        # Each pair once, as the key ``low · n + high`` of its upper-triangle entry: half the
        # memory of both entries, until the end (``n²`` fits in int64 for n up to 3·10⁹).
        rows, n = pairs.rows(), self.ops.n
        keys = np.minimum(rows, pairs.indices) * n
        keys += np.maximum(rows, pairs.indices)
        self.pairs.append(keys)

    def matrix(self) -> BoolCSR:
        """The symmetric ``(n, n)`` pattern of every pair added so far."""
        n = self.ops.n
        keys = csr.distinct(np.concatenate([np.empty(0, np.int64), *self.pairs]))
        low, high = np.divmod(keys, max(n, 1))
        off = low != high
        rows = np.concatenate([low, high[off]])
        return csr.from_coo(rows, np.concatenate([high, low[off]]), (n, n))


def contracted(
    ops: Dependence, eqn: Any, deps: Sequence[Any], shapes: Sequence[tuple[int, ...]]
) -> tuple[Any, Any]:
    """The two operands' patterns of a dot_general, each joined over its free axes: one row per
    (batch, contracted) index, so that row ``r`` of one meets row ``r`` of the other."""
    (lhs_contract, rhs_contract), (lhs_batch, rhs_batch) = eqn.params["dimension_numbers"]
    lhs = arrange(shapes[0], lhs_batch, lhs_contract, contract_last=True)
    rhs = arrange(shapes[1], rhs_batch, rhs_contract, contract_last=False)
    batch, _, inner = lhs.shape
    target = np.arange(batch * inner).reshape(batch, inner)
    a = ops.route(
        deps[0],
        np.broadcast_to(target[:, None, :], lhs.shape).reshape(-1),
        lhs.reshape(-1),
        target.size,
    )
    b = ops.route(
        deps[1],
        np.broadcast_to(target[:, :, None], rhs.shape).reshape(-1),
        rhs.reshape(-1),
        target.size,
    )
    return a, b


def hessian_pattern(fn: Callable[[Any], Any], x: Any, max_entries: int = 1 << 60) -> Pattern:
    """The structural sparsity pattern of the Hessian of ``fn`` (flat vector → one number).

    Args:
        fn: a function of one 1-D array, returning one number (of any shape of size 1).
        x: a point, for the shapes (its values are not used).
        max_entries: raise `PatternTooLarge` when the pattern (or the pairs collected on the
            way to it) would hold more entries than this.

    Returns:
        a `Pattern` whose symmetric ``(n, n)`` matrix is true where ``∂²f/∂x_i∂x_j`` may be
        nonzero.

    >>> import jax.numpy as jnp
    >>> p = hessian_pattern(lambda x: x[0] * jnp.sum(x) + jnp.sum(x[1:] ** 2), jnp.ones(3))
    >>> p.matrix.toarray().astype(int).tolist()
    [[1, 1, 1], [1, 1, 0], [1, 0, 1]]
    """
    propagation = HessianPropagation(int(np.size(x)), max_entries)
    walk(propagation, fn, x)
    return Pattern(propagation.matrix(), tuple(sorted(propagation.dense)))
