"""A derivative result seen two ways: as a labelled 2-D matrix (outputs × inputs), the view
every table, CSV and picture shares, and as named arrays, the view of .npy and .npz."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..results import DerivativeResult, input_labels, input_leaves, output_labels
from .messages import escape

TITLES = {
    "jacobian": "Jacobian",
    "jvp": "Jacobian-vector product J·v",
    "vjp": "vector-Jacobian product vᵀ·J",
    "grad": "gradient",
    "hessian": "Hessian",
    "hvp": "Hessian-vector product H·v",
}


@dataclass(frozen=True)
class Matrix:
    """A result laid out as a labelled 2-D matrix."""

    rows: list[str]
    columns: list[str]
    data: np.ndarray


def checked_derivative(result: DerivativeResult) -> DerivativeResult:
    """A ``check`` result viewed as the derivative it checked (Jacobian or Hessian)."""
    if result.command != "check":
        return result
    return dataclasses.replace(
        result, command="jacobian" if result.extra.get("order", 1) == 1 else "hessian"
    )


def _lookup(tree: Any, path: tuple[str, ...], single: bool) -> Any:
    node = tree if single else tree[path[0]]
    for key in path[1:]:
        node = node[key]
    return node


def matrix_view(result: DerivativeResult) -> Matrix:
    """Lay any derivative out as rows × columns with labels (outputs and inputs)."""
    result = checked_derivative(result)
    leaves = input_leaves(result.wrt, result.at)
    single = len(result.wrt) == 1
    out_shape = tuple(result.function.output_shape)
    m = int(np.prod(out_shape, dtype=np.int64))
    in_labels = input_labels(result.wrt, result.at)
    if result.command == "jacobian":
        blocks = [
            np.asarray(_lookup(result.result, path, single)).reshape(m, -1) for path, _ in leaves
        ]
        return Matrix(output_labels(out_shape), in_labels, np.concatenate(blocks, axis=1))
    if result.command in ("grad", "vjp", "hvp"):
        column = np.concatenate(
            [np.asarray(_lookup(result.result, path, single)).reshape(-1) for path, _ in leaves]
        )
        return Matrix(in_labels, [TITLES[result.command].split()[-1]], column.reshape(-1, 1))
    if result.command == "jvp":
        return Matrix(output_labels(out_shape), ["J·v"], np.asarray(result.result).reshape(-1, 1))
    if result.command == "hessian":
        return _hessian_view(result, leaves, m, in_labels)
    raise ValueError(f"no matrix view for {result.command}")


def _hessian_view(
    result: DerivativeResult, leaves: list[Any], m: int, in_labels: list[str]
) -> Matrix:
    """The Hessian as inputs × inputs; for a vector output, one such block per output entry."""
    single = len(result.wrt) == 1
    rows = []
    for p, _ in leaves:
        outer = _lookup(result.result, (p[0],), single) if not single else result.result
        row_blocks = []
        for q, q_shape in leaves:
            block = outer if single else outer[q[0]]
            for key in p[1:]:
                block = block[key]
            for key in q[1:]:
                block = block[key]
            row_blocks.append(np.asarray(block).reshape(m, -1, int(np.prod(q_shape))))
        rows.append(np.concatenate(row_blocks, axis=2))
    stacked = np.concatenate(rows, axis=1)  # (m, n, n)
    if m == 1:
        return Matrix(in_labels, in_labels, stacked[0])
    out_labels = output_labels(tuple(result.function.output_shape))
    row_labels = [f"{o} · {i}" for o in out_labels for i in in_labels]
    return Matrix(row_labels, in_labels, stacked.reshape(-1, len(in_labels)))


def result_arrays(result: DerivativeResult) -> dict[str, np.ndarray]:
    """The result's arrays by name: the argument's, or ``params.w``-style dotted paths (escaped:
    they name .npz members and CSV columns)."""
    result = checked_derivative(result)
    if not isinstance(result.result, dict):
        name = result.wrt[0] if result.command != "jvp" else "jvp"
        return {escape(name): np.asarray(result.result)}
    arrays: dict[str, np.ndarray] = {}

    def walk(node: Any, prefix: str) -> None:
        for key, item in node.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if isinstance(item, dict):
                walk(item, name)
            else:
                arrays[escape(name)] = np.asarray(item)

    walk(result.result, "")
    return arrays
