"""Result records (frozen) and their strict-JSON form, the contract of SPEC §5.

Arrays inside records are NumPy arrays (or dicts of them for pytree arguments). `to_dict` is
exactly the JSON object the CLI prints: non-finite numbers become ``null`` (and are counted in
``warnings`` by whoever built the record), complex numbers become ``{"re": .., "im": ..}``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCHEMA_VERSION = "1"


@dataclass(frozen=True)
class InputInfo:
    """One positional argument of the function: its name, shape (a dict for pytrees), dtype."""

    name: str
    shape: Any
    dtype: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "shape": _shape_json(self.shape), "dtype": self.dtype}


@dataclass(frozen=True)
class FunctionInfo:
    """What was differentiated: its source, inputs and output shape."""

    source: str
    kind: str
    inputs: tuple[InputInfo, ...]
    output_shape: tuple[int, ...]
    output_dtype: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "inputs": [inp.to_dict() for inp in self.inputs],
            "output_shape": list(self.output_shape),
            "output_dtype": self.output_dtype,
        }


@dataclass(frozen=True)
class DerivativeResult:
    """A derivative at one point: Jacobian, JVP, VJP, gradient, Hessian or HVP."""

    command: str
    function: FunctionInfo
    at: dict[str, Any]
    value: Any
    mode: str
    mode_reason: str
    result: Any
    wrt: tuple[str, ...]
    dtype: str
    device: str
    warnings: tuple[str, ...] = ()
    v: Any = None
    holomorphic: bool = False
    nonfinite: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def check_report(self) -> dict[str, Any] | None:
        """The check report this result carries (``check``, or ``--check``), if any."""
        return self.extra if self.command == "check" else self.extra.get("check")

    def to_dict(self) -> dict[str, Any]:
        """The strict-JSON object of SPEC §5 (plain lists, floats, strings, null)."""
        out: dict[str, Any] = {
            "jaccli": SCHEMA_VERSION,
            "command": self.command,
            "function": self.function.to_dict(),
            "at": to_json(self.at),
            "wrt": list(self.wrt),
        }
        if self.v is not None:
            out["v"] = to_json(self.v)
        out.update(
            {
                "value": to_json(self.value),
                "mode": self.mode,
                "mode_reason": self.mode_reason,
                "result": to_json(self.result),
                "holomorphic": self.holomorphic,
                "dtype": self.dtype,
                "device": self.device,
            }
        )
        out.update({key: to_json(value) for key, value in self.extra.items()})
        out["warnings"] = list(self.warnings)
        return out


@dataclass(frozen=True)
class SparseJacobian:
    """A Jacobian as COO triplets of the flat ``(m, n)`` matrix, with ``--sparse``.

    Row ``i`` is the output entry at flat (row-major) index ``i`` of ``output_shape``; column
    ``j`` is entry ``j`` of the differentiated arguments flattened one after another, each in
    row-major order (dict arguments by sorted key): the order of `input_labels`. A sparse
    Hessian (of a scalar function) is held the same way, its rows indexing the inputs too (its
    ``shape`` is ``(n, n)``; ``output_shape`` is the scalar output's). ``blocks``
    gives, for each array of the arguments, its label, shape and first column. The triplets are
    the structural nonzeros, sorted by row then column; an entry may still be zero at this point.
    """

    shape: tuple[int, int]
    rows: np.ndarray
    cols: np.ndarray
    values: np.ndarray
    output_shape: tuple[int, ...]
    blocks: tuple[tuple[str, tuple[int, ...], int], ...]

    @property
    def nnz(self) -> int:
        return int(self.values.size)

    def toarray(self) -> np.ndarray:
        """The dense matrix (for small ones: it holds every zero)."""
        out = np.zeros(self.shape, dtype=self.values.dtype)
        out[self.rows, self.cols] = self.values
        return out

    def indptr(self) -> np.ndarray:
        """Where each row's entries start among the triplets (CSR's row pointers; the triplets
        are sorted by row)."""
        indptr = np.zeros(self.shape[0] + 1, dtype=np.int64)
        np.cumsum(np.bincount(self.rows, minlength=self.shape[0]), out=indptr[1:])
        return indptr

    def to_scipy(self) -> Any:
        """The matrix as a SciPy CSR array (explicit zeros kept, so the pattern survives)."""
        import scipy.sparse as sp

        return sp.csr_array((self.values, (self.rows, self.cols)), shape=self.shape)

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": "coo",
            "shape": list(self.shape),
            "output_shape": list(self.output_shape),
            "blocks": [
                {"name": name, "shape": list(shape), "offset": offset}
                for name, shape, offset in self.blocks
            ],
            "rows": self.rows.tolist(),
            "cols": self.cols.tolist(),
            "values": to_json(self.values),
        }


@dataclass(frozen=True)
class InfoResult:
    """Shapes, sizes and the mode that would be used, without computing any derivative."""

    function: FunctionInfo
    at: dict[str, Any]
    wrt: tuple[str, ...]
    n: int
    m: int
    mode: str
    mode_reason: str
    jacobian_shape: Any
    jacobian_bytes: int
    hessian_bytes: int | None
    dtype: str
    device: str
    warnings: tuple[str, ...] = ()
    sparsity: dict[str, Any] | None = None
    hessian_sparsity: dict[str, Any] | None = None
    command: str = "info"

    def to_dict(self) -> dict[str, Any]:
        out = {
            "jaccli": SCHEMA_VERSION,
            "command": self.command,
            "function": self.function.to_dict(),
            "at": to_json(self.at),
            "wrt": list(self.wrt),
            "n": self.n,
            "m": self.m,
            "mode": self.mode,
            "mode_reason": self.mode_reason,
            "jacobian_shape": _shape_json(self.jacobian_shape),
            "jacobian_bytes": self.jacobian_bytes,
            "hessian_bytes": self.hessian_bytes,
        }
        if self.sparsity is not None:
            out["sparsity"] = to_json(self.sparsity)
        if self.hessian_sparsity is not None:
            out["hessian_sparsity"] = to_json(self.hessian_sparsity)
        out.update({"dtype": self.dtype, "device": self.device, "warnings": list(self.warnings)})
        return out


@dataclass(frozen=True)
class SymbolicResult:
    """A symbolic Jacobian or Hessian: formulas as strings, laid out like the numeric result.

    ``matrix`` is the same strings flat (rows × columns) with ``rows`` and ``columns`` labels,
    for tables; ``replacements`` are common subexpressions ``(name, formula)``, in order.
    """

    function: FunctionInfo
    kind: str
    wrt: tuple[str, ...]
    syntax: str
    result: Any
    matrix: tuple[tuple[str, ...], ...]
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    replacements: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    command: str = "symbolic"

    def to_dict(self) -> dict[str, Any]:
        return {
            "jaccli": SCHEMA_VERSION,
            "command": self.command,
            "function": self.function.to_dict(),
            "wrt": list(self.wrt),
            "kind": self.kind,
            "syntax": self.syntax,
            "result": self.result,
            "replacements": [list(pair) for pair in self.replacements],
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Chart:
    """One panel of a sensitivity chart: a measure per input for one output, ranked.

    ``kind`` is ``"tornado"`` (signed bars from zero: elasticities, or the change of the output
    when each input alone moves down and up) or ``"bars"`` (non-negative indices, with
    confidence half-widths in ``conf``). ``labels`` are the inputs, most influential first;
    ``series`` are ``(name, values)`` pairs in the order of ``labels``. An active subspace has
    two other kinds: ``"decay"`` (its eigenvalues, labelled 1…n, with ``[low, high]`` intervals
    as the ``(n, 2)`` ``conf``, and ``note`` ``"K = k"``) and ``"summary"`` (the sample: the
    first one or two active variables, then the output, as series; ``labels`` name the
    variables).
    """

    title: str
    kind: str
    measure: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, np.ndarray], ...]
    conf: tuple[np.ndarray | None, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class SensitivityResult:
    """Local or global sensitivity analysis (SPEC §9).

    ``inputs`` and ``outputs`` name the flat entries (``x[0]``, ``f[1]``); ``fields`` holds the
    JSON fields of the method in order (local: ``at``, ``value``, ``result``, ``elasticity``,
    ``ranking``, …; global: ``bounds``, ``samples``, ``indices``, …). For people: ``header``
    lines, ``columns`` (title, ``(m, n)`` matrix) shown per output with inputs as rows in the
    order of ``order`` (``(m, n)``, most influential first, at most ``top``), and ``charts``.
    """

    function: FunctionInfo
    method: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    fields: dict[str, Any]
    charts: tuple[Chart, ...]
    header: tuple[str, ...]
    columns: tuple[tuple[str, np.ndarray], ...]
    order: np.ndarray
    dtype: str
    device: str
    warnings: tuple[str, ...] = ()
    nonfinite: int = 0
    command: str = "sensitivity"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "jaccli": SCHEMA_VERSION,
            "command": self.command,
            "function": self.function.to_dict(),
            "method": self.method,
            "inputs": list(self.inputs),
            "outputs": list(self.outputs),
        }
        out.update({key: to_json(value) for key, value in self.fields.items()})
        out.update({"dtype": self.dtype, "device": self.device, "warnings": list(self.warnings)})
        return out


def entry_labels(base: str, shape: tuple[int, ...]) -> list[str]:
    """Names of the entries of an array: ``x`` for a scalar, ``x[0,1]`` for an entry.

    >>> entry_labels("x", (2,))
    ['x[0]', 'x[1]']
    """
    if not shape:
        return [base]
    return [base + "[" + ",".join(map(str, idx)) + "]" for idx in np.ndindex(*shape)]


def output_labels(shape: tuple[int, ...]) -> list[str]:
    """Names of the output entries: ``f``, or ``f[0]``, ``f[1]``, …"""
    return entry_labels("f", shape)


def input_leaves(
    wrt: tuple[str, ...], at: dict[str, Any]
) -> list[tuple[tuple[str, ...], tuple[int, ...]]]:
    """``(path, shape)`` of every array the differentiated arguments hold, in flat order
    (a dict argument contributes one leaf per key, its path ``(name, key, ...)``)."""
    leaves: list[tuple[tuple[str, ...], tuple[int, ...]]] = []

    def collect(value: Any, path: tuple[str, ...]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                collect(item, (*path, str(key)))
        else:
            leaves.append((path, tuple(np.shape(value))))

    for name in wrt:
        collect(at[name], (name,))
    return leaves


def input_labels(wrt: tuple[str, ...], at: dict[str, Any]) -> list[str]:
    """Names of the flat entries of the differentiated arguments, in the Jacobian's column order.

    >>> input_labels(("x", "y"), {"x": np.zeros(2), "y": 1.0})
    ['x[0]', 'x[1]', 'y']
    """
    return [
        label
        for path, shape in input_leaves(wrt, at)
        for label in entry_labels(".".join(path), shape)
    ]


def _shape_json(shape: Any) -> Any:
    if isinstance(shape, dict):
        return {key: _shape_json(value) for key, value in shape.items()}
    return list(shape)


def to_json(value: Any) -> Any:
    """Convert arrays, numbers and dicts of them to strict-JSON data.

    >>> to_json(np.array([1.0, np.nan, 2 + 1j]))
    [{'re': 1.0, 'im': 0.0}, None, {'re': 2.0, 'im': 1.0}]
    """
    if value is None or isinstance(value, (str, bool, int)):
        return value  # a Python int of any size (a seed) is JSON as it is; NumPy would round it
    if isinstance(value, SparseJacobian):
        return value.to_dict()
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(item) for item in value]
    array = np.asarray(value)
    if array.dtype.kind in "iu":
        return array.tolist()
    if array.dtype.kind == "b":
        return array.tolist()
    if array.dtype.kind == "c":
        return _complex_json(array.tolist())
    return _float_json(array.astype(np.float64).tolist())


def _float_json(item: Any) -> Any:
    if isinstance(item, list):
        return [_float_json(x) for x in item]
    return item if math.isfinite(item) else None


def _complex_json(item: Any) -> Any:
    if isinstance(item, list):
        return [_complex_json(x) for x in item]
    if not (math.isfinite(item.real) and math.isfinite(item.imag)):
        return None
    return {"re": item.real, "im": item.imag}


def count_nonfinite(value: Any) -> int:
    """The number of NaN or infinite entries in an array or a dict of arrays."""
    if value is None:
        return 0
    if isinstance(value, SparseJacobian):
        return count_nonfinite(value.values)
    if isinstance(value, dict):
        return sum(count_nonfinite(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return sum(count_nonfinite(item) for item in value)
    array = np.asarray(value)
    if array.dtype.kind not in "fc":
        return 0
    return int(array.size - np.count_nonzero(np.isfinite(array)))


@dataclass(frozen=True)
class Design:
    """The points of a global method for a model run outside jaccli (``jaccli design``): one row
    per run, one column per input, and what made them (``metadata``: the method, the inputs'
    distributions, the base sample size, the seed, jaccli's version and a checksum of it all)."""

    inputs: tuple[str, ...]
    points: np.ndarray
    metadata: dict[str, Any]
