"""Batch files: many points, one per row or line, read into stacked arrays whose leading axis
is the batch axis, and bound to the function's parameters by the rules of single points.

Array files (``.npy``, ``.npz``, ``.csv``, ``.json``) are read whole; JSON Lines (a ``.jsonl``
file, or stdin) arrive line by line in chunks: a chunk is handed on as soon as it is full or its
first line has waited ``LATENCY`` seconds, so a pipeline gets its results while input still
arrives. A file is read whole before anything is written; only stdin streams.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import JaccliError, ParseError, ShapeError, UsageError
from . import values
from .arrays import describe_shape, parse_value, shape_of, unique_pairs
from .points import ParsedPoint, bind_point

LATENCY = 0.2
# Points per block of a stream read whole (a distributed run).
MAX_BLOCK = 65536
_HEADER_CELL = re.compile(r"[^\W\d]\w*(?:\[\d+\])?")
_INDEXED_NAME = re.compile(r"[^\W\d]\w*?\[?(\d+)\]?")


def tree_map(fn: Callable[..., Any], *trees: Any) -> Any:
    """`jax.tree_util.tree_map`, with JAX imported on first use."""
    import jax

    return jax.tree_util.tree_map(fn, *trees)


def stack(points: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        name: tree_map(lambda *xs: np.stack(xs), *(p[name] for p in points)) for name in points[0]
    }


def concatenate(blocks: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        name: tree_map(lambda *xs: np.concatenate(xs), *(b[name] for b in blocks))
        for name in blocks[0]
    }


def row(columns: dict[str, Any], i: int) -> dict[str, Any]:
    return {name: tree_map(lambda a: a[i], col) for name, col in columns.items()}


def _parsed(obj: Any, where: str) -> ParsedPoint:
    """One point in any single-point JSON form: a number, an array, or an object of names."""
    value = parse_value(obj, where)
    if isinstance(value, dict):
        return ParsedPoint(where, (), value, from_mapping=True)
    return ParsedPoint(where, (value,), {})


def _same_shapes(
    point: dict[str, Any], first: dict[str, Any], where: str, first_where: str
) -> None:
    if shape_of(point) != shape_of(first):
        raise ShapeError(
            f"{where} has shapes {describe_shape(point)} but {first_where} has "
            f"{describe_shape(first)}",
            hint="every point of a batch must have the same shapes",
        )


def _non_finite_json(word: str) -> None:
    raise UsageError(f"non-finite value {word}", hint="points must be finite numbers")


def _decode(text: str, where: str) -> Any:
    try:
        return json.loads(text, parse_constant=_non_finite_json, object_pairs_hook=unique_pairs)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"{where} is not valid JSON (column {exc.colno}: {exc.msg})",
            hint='one point per line, e.g. [2, 1] or {"x": 2, "y": 1}',
        ) from None
    except (ValueError, RecursionError) as exc:
        raise ParseError(f"{where} is not valid JSON: {exc}") from None
    except UsageError as exc:
        raise type(exc)(f"{exc.message} in {where}", hint=exc.hint) from None


def _bind(obj: Any, where: str, params: Sequence[str], source: str) -> dict[str, Any]:
    return bind_point(_parsed(obj, where), params, where, source)


def _columns_of_array(array: Any, params: Sequence[str], where: str) -> dict[str, Any]:
    if np.ndim(array) == 0:
        raise ShapeError(f"{where} holds one number; a batch needs a leading batch axis")
    if len(params) == 1:
        return {params[0]: array}
    if array.ndim == 2 and array.shape[1] == len(params):
        return {p: array[:, i] for i, p in enumerate(params)}
    raise ShapeError(
        f"{where} has shape {array.shape}; for the {len(params)} parameters "
        f"({', '.join(params)}) a batch array must have shape (N, {len(params)})",
        hint="or write an .npz file with one array per parameter",
    )


def _read_npz(path: str, params: Sequence[str], where: str, label: str) -> dict[str, Any]:
    arrays = values.load_numpy(path, label, expect_npz=True)
    if set(arrays) == set(params):
        return {p: arrays[p] for p in params}
    if len(params) == 1:
        return {params[0]: arrays}
    raise UsageError(
        f"{where} holds arrays {', '.join(arrays)} but the function takes {', '.join(params)}",
        hint="name one array per parameter, each with the batch as its leading axis",
    )


def _read_csv(path: str, params: Sequence[str], where: str, label: str) -> dict[str, Any]:
    text = values.read_text(path, label)
    rows = [
        (line, row)
        for line, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(c.strip() for c in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        raise UsageError(f"{where} holds no points")
    first = [c.strip() for c in rows[0][1]]
    header = None
    if all(_HEADER_CELL.fullmatch(c) and not values.NON_FINITE_CELL.fullmatch(c) for c in first):
        header, rows = first, rows[1:]
        if not rows:
            raise UsageError(f"{where} has a header row but no points")
    table = []
    for r, (line, row) in enumerate(rows):
        table.append(
            [
                values.parse_cell(c, f"{where}, line {line}, column {j}")
                for j, c in enumerate(row, 1)
            ]
        )
        if len(table[-1]) != len(table[0]):
            raise ShapeError(
                f"{where}: line {line} (row {r}) has {len(table[-1])} values but the first row "
                f"has {len(table[0])}",
                hint="every row must have the same number of values",
            )
    data = parse_value(np.array(table), where)
    width = data.shape[1]
    if header is not None and set(header) == set(params) and len(header) == len(params):
        return {p: data[:, header.index(p)] for p in params}
    if header is not None and len(params) != 1:
        raise UsageError(
            f"{where}: the header names {', '.join(header)}, but the function takes "
            f"{', '.join(params)}",
            hint="name one column per parameter (x,y), or leave out the header",
        )
    if header is not None:
        indices = [_INDEXED_NAME.fullmatch(name) for name in header]
        if all(indices) and sorted(int(m[1]) for m in indices) == list(range(width)):
            data = data[:, np.argsort([int(m[1]) for m in indices])]
    if len(params) == 1:
        return {params[0]: data[:, 0] if width == 1 else data}
    if width == len(params):
        return {p: data[:, i] for i, p in enumerate(params)}
    raise ShapeError(
        f"{where} has {width} columns but the function takes {len(params)} parameters "
        f"({', '.join(params)})",
        hint="one column per parameter, or a header row naming them",
    )


def _read_json(
    path: str, params: Sequence[str], where: str, source: str, label: str
) -> dict[str, Any]:
    decoded = _decode(values.read_text(path, label), where)
    if not isinstance(decoded, list):
        raise UsageError(f"{where} must hold a JSON list of points", hint="e.g. [[2, 1], [3, 4]]")
    points = [
        _bind(item, f"point {i} of {where}", params, source) for i, item in enumerate(decoded)
    ]
    for i, point in enumerate(points[1:], start=1):
        _same_shapes(point, points[0], f"point {i} (row {i}) of {where}", "point 0")
    return stack(points) if points else {}


def read_arrays(
    path: str, params: Sequence[str], source: str, label: str = "batch"
) -> dict[str, Any]:
    """Read a whole batch file into ``{parameter: stacked values}`` (leading axis: the batch);
    ``label`` names the batch option in messages (``--batch`` on the command line).

    >>> read_arrays("missing.npy", ["x"], "f", "--batch")
    Traceback (most recent call last):
    jaccli.errors.UsageError: cannot read --batch file 'missing.npy': No such file or directory
    """
    where = f"{label} file {path!r}"
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npy":
        return _columns_of_array(values.load_numpy(path, label, False), params, where)
    if suffix == ".npz":
        return _read_npz(path, params, where, label)
    if suffix == ".csv":
        return _read_csv(path, params, where, label)
    if suffix == ".json":
        return _read_json(path, params, where, source, label)
    raise UsageError(
        f"{where} has an unknown suffix {suffix or '(none)'!r}",
        hint="batches: .npy .npz .csv .json .jsonl, or - for JSON Lines on stdin",
    )


def batch_length(columns: dict[str, Any], where: str) -> int:
    import jax

    lengths = {
        np.shape(leaf)[0] if np.ndim(leaf) else None for leaf in jax.tree_util.tree_leaves(columns)
    }
    if None in lengths or len(lengths) > 1:
        raise ShapeError(
            f"the arrays of {where} do not share a leading batch axis (lengths {sorted(map(str, lengths))})",
            hint="every array needs the same number of points along its first axis",
        )
    count = lengths.pop() if lengths else 0
    if count == 0:
        raise UsageError(f"{where} holds no points")
    return count


@dataclass
class Chunking:
    size: int = 1
    slots: int = 1


def array_blocks(
    columns: dict[str, Any], count: int, chunking: Chunking
) -> Iterator[dict[str, Any]]:
    start = 0
    while start < count:
        stop = min(count, start + chunking.size)
        part = slice(start, stop)
        yield {name: tree_map(lambda a, s=part: a[s], col) for name, col in columns.items()}
        start = stop


class LineReader:
    """Lines of a text stream, read on a thread so that waiting for the next one can time out."""

    EOF = object()

    def __init__(self, stream: Any, owned: bool = False) -> None:
        self._queue: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream, owned), daemon=True).start()

    def _pump(self, stream: Any, owned: bool) -> None:
        try:
            for line in iter(stream.readline, ""):
                self._queue.put(line)
        except Exception as exc:
            # The consuming thread reports it, after the lines read before it.
            self._queue.put(exc)
        finally:
            if owned:
                stream.close()
        self._queue.put(self.EOF)

    def get(self, timeout: float | None) -> Any:
        """The next line, `EOF`, an exception raised while reading, or None after ``timeout``."""
        try:
            return self._queue.get(timeout=timeout)
        except queue.Empty:
            return None


def stream_blocks(
    reader: LineReader, where: str, params: Sequence[str], source: str, chunking: Chunking
) -> Iterator[dict[str, Any]]:
    """Chunks of a JSON Lines stream: full ones, or what arrived within ``LATENCY`` seconds."""
    pending: list[dict[str, Any]] = []
    started = 0.0
    lineno = 0
    first: dict[str, Any] | None = None
    while True:
        wait = None if not pending else max(0.0, started + LATENCY - time.monotonic())
        item = reader.get(wait)
        if item is None:
            yield stack(pending)
            pending = []
            continue
        if item is LineReader.EOF:
            break
        if isinstance(item, BaseException):
            if pending:
                yield stack(pending)
            raise UsageError(f"cannot read {where}: {item}")
        lineno += 1
        if not item.strip():
            continue
        try:
            here = f"line {lineno} of {where}"
            point = _bind(_decode(item.strip(), here), here, params, source)
            if first is None:
                first = point
            _same_shapes(point, first, here, "the first point")
        except JaccliError:
            # Results for the lines before this one still stand: evaluate them first.
            if pending:
                yield stack(pending)
            raise
        if not pending:
            started = time.monotonic()
        pending.append(point)
        if len(pending) >= chunking.size or time.monotonic() - started >= LATENCY:
            yield stack(pending)
            pending = []
    if pending:
        yield stack(pending)
    if first is None:
        raise UsageError(f"{where} holds no points")


@dataclass
class Batch:
    """A batch being read: its blocks of stacked points, and its size where known in advance."""

    blocks: Iterator[dict[str, Any]]
    total: int | None
    chunking: Chunking
    streamed: bool
    """Whether points arrive from stdin, where results are written as they are computed."""
    first: dict[str, Any] | None = None
    """The first point, where the batch was read whole."""


def refuse_unreadable_stdin(label: str = "batch") -> None:
    """Refuse a batch on stdin where stdin is closed or a terminal; a caller may ask before it
    runs anything slow, so that the refusal comes at once."""
    from .. import _runtime as runtime

    unreadable = runtime.stdin_problem()
    if unreadable is not None:
        raise UsageError(
            f"{label} - reads JSON Lines from stdin, but {unreadable}",
            hint=f"pipe the points in (… | jaccli … {label} -) or give a file: {label} FILE",
        )


def open_batch(
    path: str, params: Sequence[str], source: str, whole: bool = False, label: str = "batch"
) -> Batch:
    """The batch at ``path`` (``-``: JSON Lines on stdin) for a function of ``params``.

    Array files are read whole; JSON Lines arrive in chunks as they are read, unless ``whole``
    (a distributed run, whose processes evaluate the same chunks in step). ``label`` names the
    batch option in messages (``--batch`` on the command line).
    """

    chunking = Chunking()
    if path == "-" or path.lower().endswith((".jsonl", ".ndjson")):
        where = "stdin" if path == "-" else f"{label} file {path!r}"
        if path == "-":
            refuse_unreadable_stdin(label)
            stream = sys.stdin
            with contextlib.suppress(AttributeError, ValueError, OSError):
                # JSON is UTF-8 whatever the locale says (LANG=C, PYTHONIOENCODING=ascii).
                stream.reconfigure(encoding="utf-8-sig")
        else:
            handle, _ = values.open_regular(path, label)
            stream = io.TextIOWrapper(handle, encoding="utf-8-sig")
        blocks = stream_blocks(
            LineReader(stream, owned=path != "-"), where, params, source, chunking
        )
        if not whole:
            return Batch(blocks, None, chunking, streamed=path == "-")
        chunking.size = MAX_BLOCK
        columns = concatenate(list(blocks))
    else:
        columns = read_arrays(path, params, source, label)
    total = batch_length(columns, f"{label} file {path!r}")
    blocks = array_blocks(columns, total, chunking)
    return Batch(blocks, total, chunking, streamed=False, first=row(columns, 0))
