"""Design files of the external-model workflow: the design ``jaccli design`` writes (CSV with its
metadata in ``#`` lines, or ``.npy`` with a ``.json`` beside it), read back with a check that it
was not edited, and the model's outputs, one row per design row.

The checksum covers the metadata and the points' float64 bytes; CSV numbers are written with
17 significant digits, so they read back to the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
from typing import Any

import numpy as np

from ..errors import UsageError
from ..results import Design
from .values import load_numpy, read_text

MARK = "# jaccli design "
SUFFIXES = (".csv", ".npy")


def checksum(inputs: tuple[str, ...], points: np.ndarray, metadata: dict[str, Any]) -> str:
    """SHA-256 of the inputs, the metadata (without its checksum) and the points' bytes.

    >>> checksum(("x",), np.zeros((1, 1)), {"method": "sobol"})[:7]
    'sha256:'
    """
    digest = hashlib.sha256()
    meta = {key: value for key, value in metadata.items() if key != "checksum"}
    digest.update(json.dumps([list(inputs), meta], sort_keys=True).encode())
    digest.update(np.ascontiguousarray(points, dtype="<f8").tobytes())
    return "sha256:" + digest.hexdigest()


def design_suffix(path: str, label: str) -> str:
    """The suffix of a design file, ``.csv`` or ``.npy``; anything else is refused."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUFFIXES:
        raise UsageError(
            f"a design is written as .csv or .npy, got {label} {path!r}",
            hint=f"e.g. {label} design.csv",
        )
    return suffix


def design_bytes(design: Design, path: str, label: str) -> dict[str, bytes]:
    """The bytes to write, by path: the CSV, or the ``.npy`` and its metadata ``.json``."""
    if design_suffix(path, label) == ".npy":
        buffer = io.BytesIO()
        np.save(buffer, np.ascontiguousarray(design.points, dtype="<f8"), allow_pickle=False)
        sidecar = {"inputs": list(design.inputs), **design.metadata}
        return {path: buffer.getvalue(), sidecar_path(path): json.dumps(sidecar, indent=1).encode()}
    meta = design.metadata
    lines = [
        f"# jaccli {meta['version']}: a {meta['method']} design of {len(design.points)} runs; "
        "run the model on every row, in order, then: jaccli analyze THIS_FILE OUTPUTS",
        MARK + json.dumps({"inputs": list(design.inputs), **meta}),
    ]
    text = io.StringIO(newline="")
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(design.inputs)
    writer.writerows([[repr(float(v)) for v in row] for row in design.points])
    return {path: ("\n".join(lines) + "\n" + text.getvalue()).encode()}


def sidecar_path(path: str) -> str:
    """The metadata file beside a ``.npy`` design: ``design.npy`` → ``design.json``."""
    return os.path.splitext(path)[0] + ".json"


def read_design(path: str, label: str = "DESIGN") -> Design:
    """A design file written by ``jaccli design``, refused where it was edited since."""
    if design_suffix(path, label) == ".npy":
        points = np.asarray(load_numpy(path, label, expect_npz=False), dtype=np.float64)
        meta_path = sidecar_path(path)
        meta = _json(read_text(meta_path, label), meta_path, label)
        if points.ndim != 2:
            raise UsageError(f"{label} {path!r} must hold a 2-D array (runs × inputs)")
    else:
        meta, points = _read_design_csv(path, label)
    inputs = tuple(meta.pop("inputs", ()))
    if meta.get("checksum") != checksum(inputs, points, meta) or points.shape[1:] != (len(inputs),):
        raise UsageError(
            f"{label} {path!r} is not the design jaccli wrote: its points or metadata were edited "
            "(the checksum does not match)",
            hint="write it again with jaccli design, and edit the model, not the design",
        )
    return Design(inputs, points, meta)


def _json(text: str, path: str, label: str) -> dict[str, Any]:
    try:
        meta = json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{label} metadata {path!r} is not valid JSON: {exc}") from None
    if not isinstance(meta, dict):
        raise UsageError(f"{label} metadata {path!r} is not a JSON object")
    return meta


def _read_design_csv(path: str, label: str) -> tuple[dict[str, Any], np.ndarray]:
    text = read_text(path, label)
    lines = text.splitlines()
    marked = [line[len(MARK) :] for line in lines if line.startswith(MARK)]
    if len(marked) != 1:
        raise UsageError(
            f"{label} {path!r} has no jaccli design metadata (a '{MARK.strip()}' line)",
            hint="write the design with jaccli design",
        )
    rows = list(csv.reader(line for line in lines if line.strip() and not line.startswith("#")))
    try:
        points = np.array([[float(c) for c in row] for row in rows[1:]], dtype=np.float64)
    except ValueError:
        points = np.full((0, 0), np.nan)
    return _json(marked[0], path, label), points.reshape(len(rows) - 1, -1) if rows else points


def read_outputs(
    path: str, rows: int, label: str = "OUTPUTS"
) -> tuple[tuple[str, ...] | None, np.ndarray]:
    """The model's outputs, one row per design row: a CSV (a header row of output names, or
    none) or a ``.npy`` (1-D for one output). Returns the names (None without a header) and
    the values ``(rows, m)``; a wrong row count or a missing value is refused, naming rows."""
    suffix = os.path.splitext(path)[1].lower()
    names = None
    if suffix == ".npy":
        values = np.asarray(load_numpy(path, label, expect_npz=False))
    elif suffix in (".csv", ".txt"):
        names, values = _read_table(path, label, "," if suffix == ".csv" else None)
    else:
        raise UsageError(
            f"{label} {path!r} must be .csv, .txt or .npy, got {suffix or '(no suffix)'}"
        )
    if values.dtype.kind not in "fiu" or values.ndim not in (1, 2):
        raise UsageError(f"{label} {path!r} must hold real numbers, one row per run")
    values = values.astype(np.float64).reshape(len(values), -1)
    if len(values) != rows:
        raise UsageError(
            f"{label} {path!r} has {len(values)} rows but the design has {rows}: one row of "
            "outputs per design row, in the design's order",
        )
    if names is not None and len(names) != values.shape[1]:
        raise UsageError(f"{label} {path!r} names {len(names)} outputs but has {values.shape[1]}")
    bad = np.flatnonzero(~np.all(np.isfinite(values), axis=1))
    if bad.size:
        shown = ", ".join(str(i + 1) for i in bad[:10]) + (", …" if bad.size > 10 else "")
        raise UsageError(
            f"{label} {path!r} has NaN or infinite outputs in {bad.size} "
            f"row{'s' if bad.size > 1 else ''} (design rows {shown})",
            hint="rerun the model at those rows; the indices need every output",
        )
    return names, values


def _read_table(
    path: str, label: str, delimiter: str | None
) -> tuple[tuple[str, ...] | None, np.ndarray]:
    text = read_text(path, label)
    lines = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    if delimiter is None:
        rows = [line.split() for line in lines]
    else:
        rows = list(csv.reader(lines, delimiter=delimiter))
    names = None
    if rows and not all(_is_number(c) for c in rows[0]):
        names, rows = tuple(c.strip() for c in rows[0]), rows[1:]
    table = []
    for i, row in enumerate(rows, start=1):
        try:
            table.append([float(c) for c in row])
        except ValueError:
            raise UsageError(
                f"{label} {path!r}: data row {i} holds a value that is not a number"
            ) from None
        if len(table[-1]) != len(table[0]):
            raise UsageError(
                f"{label} {path!r}: data row {i} has {len(table[-1])} values but the first has "
                f"{len(table[0])}"
            )
    return names, np.array(table, dtype=np.float64).reshape(len(table), -1)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
