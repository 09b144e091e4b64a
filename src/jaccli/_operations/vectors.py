"""Vectors given one per point of a batch, on a leading axis (``--v @v.npy`` of shape ``(N, ...)``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ShapeError


def per_point_count(vectors: Any, likes: Any) -> int | None:
    """N when every leaf of ``vectors`` is shaped ``(N,) +`` its counterpart's shape, else None."""
    import jax

    if jax.tree_util.tree_structure(vectors) != jax.tree_util.tree_structure(likes):
        return None
    leaves = [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(vectors)]
    shapes = [np.shape(leaf) for leaf in jax.tree_util.tree_leaves(likes)]
    if not all(
        a.ndim == len(s) + 1 and a.shape[1:] == s for a, s in zip(leaves, shapes, strict=True)
    ):
        return None
    counts = {a.shape[0] for a in leaves}
    return counts.pop() if len(counts) == 1 else None


def cast_per_point(vectors: Any, likes: Any, label: str) -> Any:
    """Cast one-per-point vectors to their counterparts' dtypes (kept as NumPy until chunked)."""
    import jax

    def cast(batch: Any, like: Any) -> Any:
        array = np.asarray(batch)
        if array.dtype.kind == "c" and np.dtype(like.dtype).kind != "c":
            raise ShapeError(f"{label} is complex but the input it goes with is real")
        return array.astype(like.dtype, copy=False)

    return jax.tree_util.tree_map(cast, vectors, likes)
