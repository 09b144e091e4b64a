"""What a tool wrote, read back, and how far it is from the exact answer.

A tool writes its answer as ``.npy``, as a sparse ``.npz`` (``scipy.sparse.save_npz``'s layout)
or as JSON on its standard output; a `Reader` turns that file into an array or a sparse matrix,
and `errors` compares it with the exact one.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

Reader = Callable[[Path], Any]  # an output file -> an ndarray or a SciPy sparse matrix


def read_npy(path: Path) -> np.ndarray:
    """The array of an ``.npy`` file."""
    return np.load(path)


def read_json_result(path: Path) -> np.ndarray:
    """The ``result`` of jaccli's JSON, or a bare JSON array a script printed."""
    data = json.loads(path.read_text())
    return np.asarray(data["result"] if isinstance(data, dict) else data, dtype=np.float64)


def read_sparse(path: Path) -> Any:
    """A sparse matrix saved by ``scipy.sparse.save_npz`` (or in its layout), or a dense array."""
    with np.load(path, allow_pickle=False) as data:
        names = set(data.files)
        if "format" not in names:
            if len(names) == 1:
                return data[next(iter(names))]
            raise ValueError(f"an .npz with {sorted(names)}, not a sparse matrix")
        from scipy import sparse

        kind = data["format"].item()
        kind = kind.decode() if isinstance(kind, bytes) else str(kind)
        shape = tuple(int(s) for s in data["shape"])
        if kind in ("csr", "csc"):
            build = sparse.csr_matrix if kind == "csr" else sparse.csc_matrix
            return build((data["data"], data["indices"], data["indptr"]), shape=shape)
        if kind == "coo":
            return sparse.coo_matrix((data["data"], (data["row"], data["col"])), shape=shape)
        raise ValueError(f"sparse format {kind!r}")


def errors(found: Any, exact: Any) -> tuple[float, float]:
    """The largest absolute difference, and the largest exact entry (for the relative bound)."""
    if hasattr(found, "tocsr") or hasattr(exact, "tocsr"):
        from scipy import sparse

        a, b = sparse.csr_matrix(found), sparse.csr_matrix(exact)
        if a.shape != b.shape:
            raise ValueError(f"shape {a.shape}, expected {b.shape}")
        return float(abs(a - b).max()), float(abs(b).max())
    a, b = np.asarray(found), np.asarray(exact)
    if a.shape != b.shape:
        raise ValueError(f"shape {a.shape}, expected {b.shape}")
    return float(np.max(np.abs(a - b))), float(np.max(np.abs(b)))
