"""The Jacobian's sparsity pattern: the entry point and its result record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import csr
from ..csr import BoolCSR
from ..jaxpr import closed
from .constants import unknown
from .dependence import size
from .propagation import Propagation


@dataclass(frozen=True)
class Pattern:
    """The Jacobian's sparsity pattern: an ``(m, n)`` boolean CSR matrix with sorted indices,
    and the operations that were treated as dense because their structure is unknown."""

    matrix: BoolCSR
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
    n = int(np.size(x))
    propagation = Propagation(n, max_entries)
    dep, m = walk(propagation, fn, x)
    return Pattern(csr.empty((m, n)) if dep is None else dep, tuple(sorted(propagation.dense)))


def walk(propagation: Propagation, fn: Callable[[Any], Any], x: Any) -> tuple[Any, int]:
    """Trace ``fn`` at ``x`` and walk its program with ``propagation``, from ``x`` depending on
    itself; the output's pattern (None: no dependence) and its number of elements."""
    import jax

    traced = jax.make_jaxpr(fn)(x)
    identity = csr.identity(propagation.ops.n)
    (dep, _), *_ = propagation.run_program(closed(traced), [(identity, unknown)], prune=True)
    return dep, size(traced.out_avals[0].shape)
