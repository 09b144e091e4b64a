"""The command line of the derivative scripts (`jax_derivative`, `torch_derivative`, …).

``python -m bench.tools.NAME KIND PROBLEM:FUNCTION --x X.npy [--arg A.npy] [--v V.npy]
--output OUT.npy``: load the function from ``bench.problems.PROBLEM`` (``FUNCTION`` is the JAX
form; a script picks ``FUNCTION_torch`` or ``FUNCTION_numpy`` for its framework), read the point
(and any further, undifferentiated arguments, and the vector of a product), compute the
derivative ``KIND``, and write it to ``.npy`` (``.npz`` for sparse matrices), or print it as a
JSON array with ``--print``.
"""

from __future__ import annotations

import argparse
import importlib
import json
from types import ModuleType
from typing import Any

import numpy as np


def parse(kinds: tuple[str, ...]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=kinds)
    parser.add_argument("function", help="PROBLEM:FUNCTION, a module of bench.problems")
    parser.add_argument("--x", required=True, help="the point, .npy")
    parser.add_argument("--arg", action="append", default=[], help="a further argument, .npy")
    parser.add_argument("--v", help="the vector of a product, .npy")
    parser.add_argument("--output", help="write the derivative here")
    parser.add_argument("--print", action="store_true", help="print it as JSON instead")
    parser.add_argument("--method", default="3-point", help="finite-difference method (SciPy)")
    return parser.parse_args()


def function(spec: str, suffix: str = "") -> tuple[ModuleType, Any]:
    """The problem module and its function ``FUNCTION + suffix``."""
    problem, name = spec.split(":")
    module = importlib.import_module(f"bench.problems.{problem}")
    return module, getattr(module, name + suffix)


def emit(args: argparse.Namespace, result: Any) -> None:
    """Write the result to ``--output`` (``.npy``) or print it (``--print``)."""
    if args.print:
        print(json.dumps(np.asarray(result).tolist()))
    else:
        np.save(args.output, np.asarray(result))


def save_csr(path: str, data: np.ndarray, rows: np.ndarray, columns: np.ndarray, shape) -> None:
    """A CSR matrix in ``scipy.sparse.save_npz``'s layout, from entries sorted by row."""
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=shape[0]))])
    np.savez(
        path,
        data=data,
        indices=columns.astype(np.int32),
        indptr=indptr.astype(np.int32),
        format=np.array("csr"),
        shape=np.array(shape),
    )
