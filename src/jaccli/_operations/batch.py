"""Batches: many points from a file or a JSON Lines stream, evaluated vectorised.

A batch is read into stacked arrays (the leading axis is the batch axis), bound to the function's
parameters by the rules of single points, and evaluated chunk by chunk with one
``jax.jit(jax.vmap(...))`` of the per-point transform that `compute` uses for a single point.
Chunks are sized from ``--max-bytes``. A stream (``--batch -`` or a ``.jsonl`` file) is read line
by line, and a chunk is evaluated as soon as it is full or its first line has waited ``LATENCY``
seconds, so a pipeline gets its results while input is still arriving. JAX is imported lazily.
On several devices or processes (`scaleout`), each call evaluates one chunk per device, sharded
over a device mesh, and the processes' shares are gathered in input order.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import functools
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

from .._load import ParsedPoint, bind_point, describe_shape, parse_value, shape_of
from ..errors import JaccliError, NotCleanError, ParseError, ShapeError, UsageError

LATENCY = 0.2
MAX_CHUNK = 65536
BATCH_FORMATS = ("json", "table", "csv", "npy", "npz")
TABLE_ROWS = 40
_HEADER_CELL = re.compile(r"[^\W\d]\w*(?:\[\d+\])?")
_INDEXED_NAME = re.compile(r"[^\W\d]\w*?\[?(\d+)\]?")
_FALLBACK = (
    "the function uses Python control flow on values and could not be compiled or vectorised; "
    "the batch is computed point by point"
)


# --- reading ----------------------------------------------------------------------------------


def _tree_map(fn: Callable[..., Any], *trees: Any) -> Any:
    import jax

    return jax.tree_util.tree_map(fn, *trees)


def _stack(points: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        name: _tree_map(lambda *xs: np.stack(xs), *(p[name] for p in points)) for name in points[0]
    }


def _concatenate(blocks: Sequence[dict[str, Any]]) -> dict[str, Any]:
    return {
        name: _tree_map(lambda *xs: np.concatenate(xs), *(b[name] for b in blocks))
        for name in blocks[0]
    }


def _row(columns: dict[str, Any], i: int) -> dict[str, Any]:
    return {name: _tree_map(lambda a: a[i], col) for name, col in columns.items()}


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
    from .._load import unique_pairs

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


def _read_npz(path: str, params: Sequence[str], where: str) -> dict[str, Any]:
    from .._load import values

    arrays = values.load_numpy(path, "--batch", expect_npz=True)
    if set(arrays) == set(params):
        return {p: arrays[p] for p in params}
    if len(params) == 1:
        return {params[0]: arrays}
    raise UsageError(
        f"{where} holds arrays {', '.join(arrays)} but the function takes {', '.join(params)}",
        hint="name one array per parameter, each with the batch as its leading axis",
    )


def _read_csv(path: str, params: Sequence[str], where: str) -> dict[str, Any]:
    from .._load import NON_FINITE_CELL, parse_cell, read_text

    text = read_text(path, "--batch")
    rows = [
        (line, row)
        for line, row in enumerate(csv.reader(io.StringIO(text)), start=1)
        if any(c.strip() for c in row) and not row[0].lstrip().startswith("#")
    ]
    if not rows:
        raise UsageError(f"{where} holds no points")
    first = [c.strip() for c in rows[0][1]]
    header = None
    if all(_HEADER_CELL.fullmatch(c) and not NON_FINITE_CELL.fullmatch(c) for c in first):
        header, rows = first, rows[1:]
        if not rows:
            raise UsageError(f"{where} has a header row but no points")
    table = []
    for r, (line, row) in enumerate(rows):
        table.append(
            [parse_cell(c, f"{where}, line {line}, column {j}") for j, c in enumerate(row, 1)]
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


def _read_json(path: str, params: Sequence[str], where: str, source: str) -> dict[str, Any]:
    from .._load import values

    decoded = _decode(values.read_text(path, "--batch"), where)
    if not isinstance(decoded, list):
        raise UsageError(f"{where} must hold a JSON list of points", hint="e.g. [[2, 1], [3, 4]]")
    points = [
        _bind(item, f"point {i} of {where}", params, source) for i, item in enumerate(decoded)
    ]
    for i, point in enumerate(points[1:], start=1):
        _same_shapes(point, points[0], f"point {i} (row {i}) of {where}", "point 0")
    return _stack(points) if points else {}


def read_arrays(path: str, params: Sequence[str], source: str) -> dict[str, Any]:
    """Read a whole batch file into ``{parameter: stacked values}`` (leading axis: the batch).

    >>> read_arrays("missing.npy", ["x"], "f")
    Traceback (most recent call last):
    jaccli.errors.UsageError: cannot read --batch file 'missing.npy': No such file or directory
    """
    from .._load import values

    where = f"--batch file {path!r}"
    suffix = os.path.splitext(path)[1].lower()
    if suffix == ".npy":
        return _columns_of_array(values.load_numpy(path, "--batch", False), params, where)
    if suffix == ".npz":
        return _read_npz(path, params, where)
    if suffix == ".csv":
        return _read_csv(path, params, where)
    if suffix == ".json":
        return _read_json(path, params, where, source)
    raise UsageError(
        f"--batch file {path!r} has an unknown suffix {suffix or '(none)'!r}",
        hint="batches: .npy .npz .csv .json .jsonl, or - for JSON Lines on stdin",
    )


def _batch_length(columns: dict[str, Any], where: str) -> int:
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
class _Chunking:
    size: int = 1
    slots: int = 1


def _array_blocks(
    columns: dict[str, Any], count: int, chunking: _Chunking
) -> Iterator[dict[str, Any]]:
    start = 0
    while start < count:
        stop = min(count, start + chunking.size)
        part = slice(start, stop)
        yield {name: _tree_map(lambda a, s=part: a[s], col) for name, col in columns.items()}
        start = stop


class _LineReader:
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


def _stream_blocks(
    reader: _LineReader, where: str, params: Sequence[str], source: str, chunking: _Chunking
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
            yield _stack(pending)
            pending = []
            continue
        if item is _LineReader.EOF:
            break
        if isinstance(item, BaseException):
            if pending:
                yield _stack(pending)
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
                yield _stack(pending)
            raise
        if not pending:
            started = time.monotonic()
        pending.append(point)
        if len(pending) >= chunking.size or time.monotonic() - started >= LATENCY:
            yield _stack(pending)
            pending = []
    if pending:
        yield _stack(pending)
    if first is None:
        raise UsageError(f"{where} holds no points")


# --- evaluating -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """How a command runs at each point of a prepared problem, and how its result is labelled."""

    command: str
    point_fn: Callable[[tuple[Any, ...], Any], tuple[Any, Any]]
    shape: Callable[[Any], Any]
    extra: Any
    mode: str
    reason: str
    v: Any
    holomorphic: bool
    entries: int
    per_point: int | None = None
    """The number of vectors when ``--v`` gives one per point; None when one serves all."""


def _per_point(vectors: Any, likes: Any) -> int | None:
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


def _cast_vectors(vectors: Any, likes: Any) -> Any:
    """Cast one-per-point vectors to their counterparts' dtypes (kept as NumPy until chunked)."""
    import jax

    def cast(batch: Any, like: Any) -> Any:
        array = np.asarray(batch)
        if array.dtype.kind == "c" and np.dtype(like.dtype).kind != "c":
            raise ShapeError("--v is complex but the input it goes with is real")
        return array.astype(like.dtype, copy=False)

    return jax.tree_util.tree_map(cast, vectors, likes)


def _tangents(problem: Any, vector: Any) -> tuple[Any, int | None]:
    """``--v`` for jvp/hvp: one tangent for every point, or one per point on a leading axis."""
    from .. import _api as api

    try:
        return api._bind_tangent(problem, vector, "--v"), None
    except ShapeError as exc:
        parts = api.tangent_parts(problem, vector, "--v")
        count = _per_point(parts, problem.primals)
        if count is None:
            raise ShapeError(
                exc.message,
                hint="give one vector for every point, or one per point with a leading batch "
                "axis (e.g. --v @v.npy of shape (N, ...))",
            ) from None
        return _cast_vectors(parts, problem.primals), count


def plan(problem: Any, command: str, mode: str, max_bytes: int, vector: Any = None) -> Plan:
    """The per-point transform of ``command`` (the same checks as its single-point form)."""
    import jax

    from .. import _api as api
    from .._derivatives import compute

    n, m = problem.n, problem.m
    kind = api._kind(problem)
    keyed = functools.partial(api._keyed, problem)
    itemsize = api._itemsize(problem)

    def at(values: tuple[Any, ...]) -> Any:
        return dataclasses.replace(problem, values=values)

    if command == "value":
        # The function alone (for sampling-based sensitivity analysis): no derivative.
        import jax.numpy as jnp

        def value(values: tuple[Any, ...], _: Any) -> tuple[Any, Any]:
            p = at(values)
            return p.call(*p.primals), jnp.zeros(())

        return Plan(command, value, api._numpy, None, "none", "no derivative", None, False, 0)
    if command == "jacobian":
        if mode not in ("auto", "fwd", "rev", "forward", "reverse"):
            raise UsageError(f"--mode must be auto, fwd or rev, got {mode!r}")
        api.guard_size(n * m, itemsize, "Jacobian", max_bytes)
        choice = compute.choose_mode(n, m, mode)

        def jacobian(values: tuple[Any, ...], _: Any) -> tuple[Any, Any]:
            p = at(values)
            d = compute.jacobian(p.call, p.primals, choice.mode, kind)
            return d.value, d.result

        return Plan(
            command,
            jacobian,
            keyed,
            None,
            choice.mode,
            choice.reason,
            None,
            kind == "holomorphic",
            n * m,
        )
    if command == "grad":
        api._require_scalar(problem, "grad")
        if kind == "complex_output":
            raise UsageError("grad of a complex-valued function of real inputs is not defined")

        def grad(values: tuple[Any, ...], _: Any) -> tuple[Any, Any]:
            p = at(values)
            d = compute.grad(p.call, p.primals, kind)
            return d.value, d.result

        reason = f"n={n}, m=1: a gradient is one reverse-mode pass (one VJP)"
        return Plan(command, grad, keyed, None, "reverse", reason, None, kind == "holomorphic", n)
    if command == "hessian":
        api._require_real(problem, "hessian")
        api.guard_size(m * n * n, itemsize, "Hessian", max_bytes)

        def hessian(values: tuple[Any, ...], _: Any) -> tuple[Any, Any]:
            p = at(values)
            d = compute.hessian(p.call, p.primals)
            return d.value, d.result

        def rows(raw: Any) -> Any:
            shaped = [keyed(row) for row in raw]
            return shaped[0] if len(shaped) == 1 else dict(zip(problem.wrt, shaped, strict=True))

        reason = f"n={n}, m={m}: forward-over-reverse, {n} JVPs of the reverse-mode gradient"
        return Plan(
            command, hessian, rows, None, "forward-over-reverse", reason, None, False, m * n * n
        )
    if command in ("jvp", "hvp"):
        if command == "jvp" and kind == "complex_input":
            raise UsageError("jvp of a real-valued function of complex inputs is not defined here")
        if command == "hvp":
            api._require_scalar(problem, "hvp")
            api._require_real(problem, "hvp")
        tangents, per_point = _tangents(problem, vector)
        transform = compute.jvp if command == "jvp" else compute.hvp

        def product(values: tuple[Any, ...], t: Any) -> tuple[Any, Any]:
            p = at(values)
            d = transform(p.call, p.primals, t)
            return d.value, d.result

        if command == "jvp":
            reason = f"n={n}, m={m}: one forward-mode pass (one JVP); J is never formed"
            return Plan(
                command,
                product,
                api._numpy,
                tangents,
                "forward",
                reason,
                keyed(tangents),
                kind == "holomorphic",
                m,
                per_point,
            )
        reason = f"n={n}, m=1: forward-over-reverse, one JVP of the gradient; H is never formed"
        return Plan(
            command,
            product,
            keyed,
            tangents,
            "forward-over-reverse",
            reason,
            keyed(tangents),
            False,
            n,
            per_point,
        )
    if command == "vjp":
        import jax.numpy as jnp

        if kind in ("complex_input", "complex_output"):
            raise UsageError(
                "vjp of a function that is neither real nor holomorphic is not defined"
            )
        cotangent = np.asarray(vector)
        like = jax.ShapeDtypeStruct(problem.out_shape, problem.out_dtype)
        per_point = None
        if cotangent.shape == problem.out_shape:
            cot = jax.device_put(jnp.asarray(cotangent, dtype=problem.out_dtype), problem.device)
        elif (per_point := _per_point(cotangent, like)) is not None:
            cot = _cast_vectors(cotangent, like)
        else:
            raise ShapeError(
                f"--v has shape {api._fmt(cotangent.shape)} but the output has shape "
                f"{api._fmt(problem.out_shape)}",
                hint="give one vector for every point, or one per point with a leading batch "
                "axis (e.g. --v @v.npy of shape (N, ...))",
            )

        def vjp(values: tuple[Any, ...], c: Any) -> tuple[Any, Any]:
            p = at(values)
            primals = p.primals
            if kind == "holomorphic":
                primals = jax.tree_util.tree_map(lambda a: a + 0j, primals)
            d = compute.vjp(p.call, primals, c)
            return d.value, d.result

        reason = f"n={n}, m={m}: one reverse-mode pass (one VJP); J is never formed"
        return Plan(
            command,
            vjp,
            keyed,
            cot,
            "reverse",
            reason,
            np.asarray(cot),
            kind == "holomorphic",
            n,
            per_point,
        )
    raise UsageError(f"{command} does not take --batch")


class Evaluator:
    """Evaluate a plan on stacked points: one compiled, vmapped call per chunk.

    A function with Python control flow on values cannot be traced with abstract values; it is
    then evaluated point by point (each point eagerly where needed), and ``compiled`` turns false.
    With a `scaleout.Spread`, a chunk's batch axis is sharded over a mesh of devices (the
    compiled call then runs on all of them at once), and in a distributed run each process
    evaluates its share of the chunk and the shares are gathered in input order.
    """

    def __init__(
        self,
        problem: Any,
        plan: Plan,
        on_fallback: Callable[[], None],
        on_done: Callable[[int], None] = lambda count: None,
        values: bool = True,
        spread: Any = None,
    ) -> None:
        import jax
        import jax.numpy as jnp

        self.problem = problem
        self._on_done = on_done
        self.plan = plan
        self.compiled = True
        self._on_fallback = on_fallback
        self.spread = spread
        vectors_axis = 0 if plan.per_point is not None else None
        point_fn = plan.point_fn
        if not values:
            # Stacked outputs hold results only; XLA then drops the work for the values.
            def point_fn(v: Any, e: Any) -> tuple[Any, Any]:
                return jnp.zeros(()), plan.point_fn(v, e)[1]

        self._shared = plan.extra if plan.per_point is None else None
        options = {}
        if spread is not None:
            # Results stay split like the inputs: no device waits for another's rows.
            options["out_shardings"] = spread.sharded
            if self._shared is not None:
                self._shared = jax.device_put(self._shared, spread.replicated)
        self._batched = jax.jit(jax.vmap(point_fn, in_axes=(0, vectors_axis)), **options)

    def _cast(self, columns: dict[str, Any], sharded: bool) -> tuple[Any, ...]:
        import jax
        import jax.numpy as jnp

        target = self.spread.sharded if sharded else self.problem.device

        def cast(batch: Any, like: Any) -> Any:
            array = np.asarray(batch)
            if array.dtype.kind == "c" and not jnp.iscomplexobj(like):
                raise ShapeError("a point of the batch is complex but the first point is real")
            if sharded:
                # Straight from the host to each device's rows, not through one device first.
                return jax.device_put(np.asarray(array, dtype=like.dtype), target)
            return jax.device_put(jnp.asarray(array, dtype=like.dtype), target)

        return tuple(
            jax.tree_util.tree_map(cast, columns[name], like)
            for name, like in zip(self.problem.names, self.problem.values, strict=True)
        )

    def __call__(
        self, columns: dict[str, Any], count: int, padded: int, start: int = 0
    ) -> tuple[Any, Any]:
        """``(values, raw results)`` as NumPy arrays with a leading axis of ``count`` points.

        ``columns`` holds the chunk's ``count`` points, evaluated as ``padded`` rows (the last
        point repeated). ``start`` is the index of the chunk's first point in the batch (for
        per-point vectors).
        """
        import jax

        if self.spread is None:
            out = self._evaluate(columns, count, padded, start, report=True)
        else:
            rows = self.spread.share(padded)
            mine = max(0, min(count, rows.stop) - rows.start)
            if mine:
                part = slice(rows.start, rows.start + mine)
                first = start + rows.start
            else:
                # This process's rows are all padding: it evaluates stand-ins for them.
                part, first, mine = slice(0, 1), start, 1
            local = {name: _tree_map(lambda a, p=part: a[p], col) for name, col in columns.items()}
            out = self.spread.gather(
                self._evaluate(local, mine, rows.stop - rows.start, first, report=False)
            )
            self._on_done(count)
        return jax.tree_util.tree_map(lambda a: np.asarray(a)[:count], out)

    def _evaluate(
        self, columns: dict[str, Any], count: int, padded: int, start: int, report: bool
    ) -> Any:
        """The chunk's results on this process's devices, as NumPy arrays of ``padded`` rows."""
        import jax

        from .. import _api as api

        def pad(a: Any) -> Any:
            return np.concatenate([a, np.repeat(a[-1:], padded - count, axis=0)])

        per_point = self.plan.per_point is not None
        extra = self.plan.extra
        if per_point:
            extra = _tree_map(lambda a: a[start : start + count], extra)
        if padded > count:
            columns = {name: _tree_map(pad, col) for name, col in columns.items()}
            if per_point:
                extra = _tree_map(pad, extra)
        sharded = self.spread is not None
        out = None
        with api.guard_user_code(self.problem.function), jax.default_device(self.problem.device):
            if self.compiled:
                shared = self._shared
                if per_point:
                    target = self.spread.sharded if sharded else self.problem.device
                    shared = _tree_map(lambda a: jax.device_put(a, target), extra)
                try:
                    out = self._batched(self._cast(columns, sharded), shared)
                except jax.errors.ConcretizationTypeError:
                    self.compiled = False
                    self._on_fallback()
            if out is None:
                # Point by point, on the problem's own device.
                values = self._cast(columns, False)
                if per_point:
                    extra = _tree_map(lambda a: jax.device_put(a, self.problem.device), extra)
                each = []
                for i in range(count):
                    each.append(
                        self.plan.point_fn(
                            _tree_map(lambda a, i=i: a[i], values),
                            _tree_map(lambda a, i=i: a[i], extra) if per_point else extra,
                        )
                    )
                    if report:
                        self._on_done(1)
                out = jax.tree_util.tree_map(
                    lambda *xs: pad(np.stack([np.asarray(x) for x in xs])), *each
                )
            else:
                jax.block_until_ready(out)
                if report:
                    self._on_done(count)
        return jax.tree_util.tree_map(np.asarray, out)


def chunk_size(problem: Any, plan: Plan, max_bytes: int) -> int:
    """Points per chunk (of one device): results, values and inputs of a chunk fit in
    ``max_bytes``."""
    import jax

    from .. import _api as api

    inputs = sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(problem.values))
    per_point = api._itemsize(problem) * (plan.entries + problem.m + inputs)
    return int(max(1, min(MAX_CHUNK, max_bytes // max(per_point, 1))))


class _NpyStream:
    """A stacked ``.npy`` written chunk by chunk: the header for ``total`` points, then rows."""

    def __init__(self, write: Callable[[bytes], None], total: int) -> None:
        self._write = write
        self._total = total
        self._started = False

    def add(self, result: Any) -> None:
        if isinstance(result, dict):
            raise UsageError(
                "the result has several parts (" + ", ".join(result) + "); .npy holds one array",
                hint="write .npz (--output result.npz) or choose one argument with --wrt",
            )
        array = np.ascontiguousarray(result)
        if not self._started:
            header = {
                "descr": np.lib.format.dtype_to_descr(array.dtype),
                "fortran_order": False,
                "shape": (self._total, *array.shape[1:]),
            }
            buffer = io.BytesIO()
            np.lib.format.write_array_header_1_0(buffer, header)
            self._write(buffer.getvalue())
            self._started = True
        self._write(array.tobytes())


def _vector_count_message(vectors: int, points: int) -> str:
    return f"--v holds {vectors} vectors (one per point) but the batch has {points} points"


def padded(count: int, chunk: int, slots: int = 1) -> int:
    """Round a chunk up to a power of two (at most ``chunk``) so few shapes are compiled; spread
    over ``slots`` devices, each device's share is rounded so (``count`` ≤ ``slots · chunk``).

    >>> padded(5, 64), padded(5, 64, slots=3), padded(40, 16, slots=3)
    (8, 6, 48)
    """
    share = -(-count // slots)
    return slots * max(share, min(chunk, 1 << max(share - 1, 0).bit_length()))


def chunks(count: int, chunk: int, slots: int = 1) -> Iterator[tuple[int, int, int]]:
    """``(start, points, rows)`` of the calls that evaluate ``count`` points in chunks of at most
    ``chunk`` points, ``slots`` chunks per call (one per device; the rows of a call split evenly
    over the devices). Each chunk is padded as one device alone would pad it, so every point is
    computed by the same program whatever the number of devices.

    >>> list(chunks(10, 4)), list(chunks(10, 4, slots=2))
    ([(0, 4, 4), (4, 4, 4), (8, 2, 2)], [(0, 8, 8), (8, 2, 4)])
    """
    whole = count - count % chunk
    for start in range(0, whole, slots * chunk):
        yield start, min(slots * chunk, whole - start), slots * chunk
    if whole < count:
        yield whole, count - whole, slots * padded(count - whole, chunk)


# --- the run ----------------------------------------------------------------------------------


@dataclass
class _Collected:
    values: list[Any] = dataclasses.field(default_factory=list)
    results: list[Any] = dataclasses.field(default_factory=list)
    lines: list[str] = dataclasses.field(default_factory=list)
    rows: list[Any] = dataclasses.field(default_factory=list)
    count: int = 0
    nonfinite: int = 0


def run(
    function: Any,
    command: str,
    batch: str,
    *,
    wrt: Sequence[str] | None,
    mode: str = "auto",
    vector: Callable[[Any], Any] | None = None,
    dtype: str = "float64",
    device: str = "auto",
    max_bytes: int = 1 << 30,
    fmt: str | None = None,
    output: str | None = None,
    quiet: bool = False,
    allow_nonfinite: bool = False,
    scale: Any = None,
) -> None:
    """Evaluate ``command`` at every point of ``batch`` and write JSON Lines, a table or a file.

    ``scale`` (a `scaleout.ScaleOut`) spreads the chunks over devices and processes; in a
    distributed run every process reads the batch and computes its share, and process 0 alone
    writes.

    JSON Lines from stdin to stdout are written chunk by chunk as they are computed; every other
    output is written once, when the whole batch is done (files atomically).
    """
    from .. import _api as api
    from .. import _render as render
    from .. import _runtime as runtime
    from .._load import values
    from .._operations import scaleout
    from ..results import DerivativeResult, count_nonfinite

    if fmt is None:
        fmt = (
            render.format_for_path(output)
            if output
            else ("table" if runtime.stdout_is_terminal() else "json")
        )
    if fmt not in BATCH_FORMATS:
        raise UsageError(
            f"a batch can be written as {', '.join(BATCH_FORMATS)}, not {fmt!r}",
            hint="--format json writes one JSON object per point",
        )
    if fmt in render.BINARY_FORMATS and output is None and runtime.stdout_is_terminal():
        raise UsageError(
            f"refusing to write binary {fmt} to a terminal",
            hint=f"redirect stdout or use --output result.{fmt}",
        )
    params = function.params
    if not params:
        raise UsageError(f"{function.source} takes no arguments; there is nothing to differentiate")
    distributed = scale is not None and scale.distributed
    if distributed and batch == "-":
        raise UsageError(
            "--distributed splits a batch that every process reads; stdin is one process's",
            hint="write the points to a file that every process can read: --batch points.jsonl",
        )
    chunking = _Chunking()
    total: int | None = None  # known in advance for array files, not for streams
    if batch == "-" or batch.lower().endswith((".jsonl", ".ndjson")):
        where = "stdin" if batch == "-" else f"--batch file {batch!r}"
        if batch == "-":
            unreadable = runtime.stdin_problem()
            if unreadable is not None:
                raise UsageError(
                    f"--batch - reads JSON Lines from stdin, but {unreadable}",
                    hint="pipe the points in (… | jaccli … --batch -) or give a file: --batch FILE",
                )
            stream = sys.stdin
        else:
            handle, _ = values.open_regular(batch, "--batch")
            stream = io.TextIOWrapper(handle, encoding="utf-8-sig")
        blocks = _stream_blocks(
            _LineReader(stream, owned=batch != "-"), where, params, function.source, chunking
        )
    else:
        columns = read_arrays(batch, params, function.source)
        total = _batch_length(columns, f"--batch file {batch!r}")
        blocks = _array_blocks(columns, total, chunking)
    if distributed and total is None:
        # The processes evaluate the same chunks in step: read the whole file first.
        chunking.size = MAX_CHUNK
        columns = _concatenate(list(blocks))
        total = _batch_length(columns, f"--batch file {batch!r}")
        blocks = _array_blocks(columns, total, chunking)

    # Only a stream from stdin is written as it goes (SPEC §6): a file is read whole first, so
    # a malformed line in it leaves stdout empty.
    streaming = fmt == "json" and output is None and batch == "-"
    # A stacked .npy of a known number of points is written chunk by chunk, never held whole.
    npy_file = fmt == "npy" and output is not None and total is not None
    got = _Collected()
    problem = evaluator = info = the_plan = None
    warned: list[str] = []
    overflow: ShapeError | None = None

    def fallback() -> None:
        warned.append(_FALLBACK)
        if not quiet:
            sys.stderr.write(f"jaccli: warning: {_FALLBACK}\n")
            sys.stderr.flush()

    progress = render.Progress(
        f"{command} at {total:,} points" if total else command,
        total,
        enabled=not quiet and fmt != "json" and runtime.stderr_is_terminal(),
    )
    with contextlib.ExitStack() as stack:
        stack.callback(progress.close)

        def setup(first: dict[str, Any]) -> None:
            nonlocal problem, the_plan, evaluator, info
            problem = api.prepare(function, first, wrt, dtype=dtype, device=device)
            the_plan = plan(problem, command, mode, max_bytes, vector(problem) if vector else None)
            spread = scaleout.spread(problem.device, scale)
            evaluator = Evaluator(
                problem,
                the_plan,
                fallback,
                progress.advance,
                # The same on every process of a distributed run: a terminal on one process's
                # stdout and not on another's changes the format between JSON and a table only.
                values=fmt in ("json", "table"),
                spread=spread,
            )
            chunking.size = chunk_size(problem, the_plan, max_bytes)
            info = problem.info()
            if total is not None:
                if the_plan.per_point is not None and total != the_plan.per_point:
                    raise ShapeError(_vector_count_message(the_plan.per_point, total))
                # Equal chunks, the last one padded to the same size: one compiled shape.
                pieces = -(-total // chunking.size)
                chunking.size = -(-total // pieces)
            # A block holds one chunk for each device (of every process), of the size one device
            # alone would evaluate, so that the results do not depend on the split.
            chunking.slots = 1 if spread is None else spread.multiple
            chunking.size *= chunking.slots

        if total is not None:
            setup(_row(columns, 0))
        for block in blocks:
            if problem is None:
                setup(_row(block, 0))
            count = _batch_length(block, "the batch")
            if the_plan.per_point is not None and got.count + count > the_plan.per_point:
                # The points that have a vector are still evaluated; the run stops after them.
                overflow = ShapeError(
                    f"--v holds {the_plan.per_point} vectors, but the batch has more points",
                    hint="give one vector per point, or one vector for all of them",
                )
                count = the_plan.per_point - got.count
                if count == 0:
                    raise overflow
                block = {
                    name: _tree_map(lambda a, k=count: a[:k], col) for name, col in block.items()
                }
            size = (
                chunking.size
                if total is not None
                else padded(count, chunking.size // chunking.slots, chunking.slots)
            )
            value, raw = evaluator(block, count, size, got.count)
            result = the_plan.shape(raw)
            got.nonfinite += count_nonfinite(value) + count_nonfinite(result)
            if not scaleout.writes():
                pass  # a distributed run's results are written by process 0
            elif fmt in ("json", "table"):
                lines = []
                for i in range(count):
                    if fmt == "table" and len(got.rows) >= TABLE_ROWS:
                        break
                    value_i = value[i]
                    result_i = _tree_map(lambda a, i=i: a[i], result)
                    bad = count_nonfinite(value_i) + count_nonfinite(result_i)
                    warnings = list(problem.warnings) + (
                        [_FALLBACK] if not evaluator.compiled else []
                    )
                    if bad:
                        warnings.append(
                            f"{bad} non-finite entr{'y' if bad == 1 else 'ies'} (NaN or inf), "
                            "written as null in JSON"
                        )
                    record = DerivativeResult(
                        command=command,
                        function=info,
                        at=_row(block, i),
                        value=value_i,
                        mode=the_plan.mode,
                        mode_reason=the_plan.reason,
                        result=result_i,
                        wrt=problem.wrt,
                        dtype=problem.dtype,
                        device=problem.device_name,
                        warnings=tuple(warnings),
                        v=the_plan.v
                        if the_plan.per_point is None
                        else _tree_map(lambda a, j=got.count + i: a[j], the_plan.v),
                        holomorphic=the_plan.holomorphic,
                        nonfinite=bad,
                    )
                    if fmt == "table":
                        got.rows.append((got.count + i, record))
                        continue
                    data = record.to_dict()
                    data = {"jaccli": data.pop("jaccli"), "index": got.count + i, **data}
                    lines.append(json.dumps(data, allow_nan=False, ensure_ascii=False) + "\n")
                if streaming:
                    runtime.write_stdout("".join(lines))
                else:
                    got.lines.extend(lines)
            elif npy_file:
                if got.count == 0:
                    assert output is not None and total is not None
                    npy = _NpyStream(stack.enter_context(runtime.atomic_writer(output)), total)
                npy.add(result)
            else:
                got.values.append(value)
                got.results.append(result)
            got.count += count
            if overflow is not None:
                break

    scaleout.finish()
    assert problem is not None and the_plan is not None
    if overflow is not None:
        raise overflow
    if overflow is None and the_plan.per_point is not None and got.count != the_plan.per_point:
        raise ShapeError(_vector_count_message(the_plan.per_point, got.count))
    if not scaleout.writes():
        return
    if npy_file:
        data: str | bytes = b""
    elif fmt == "json":
        data = "".join(got.lines)
    elif fmt == "table":
        import shutil

        color = output is None and runtime.stdout_is_terminal() and "NO_COLOR" not in os.environ
        data = render.to_batch_table_text(
            [record for _, record in got.rows],
            [index for index, _ in got.rows],
            got.count,
            color=color,
            width=shutil.get_terminal_size((100, 24)).columns,
        )
    else:
        stacked = DerivativeResult(
            command=command,
            function=info,
            at={},
            value=np.concatenate(got.values),
            mode=the_plan.mode,
            mode_reason=the_plan.reason,
            result=_tree_map(lambda *xs: np.concatenate(xs), *got.results),
            wrt=problem.wrt,
            dtype=problem.dtype,
            device=problem.device_name,
        )
        data = render.render_batch(stacked, fmt)
    if output:
        if not npy_file:
            runtime.atomic_write(output, data.encode("utf-8") if isinstance(data, str) else data)
        if not quiet:
            sys.stderr.write(
                f"jaccli: wrote {command} at {got.count} points to {render.escape(output)}\n"
            )
    elif not streaming:
        runtime.write_stdout(data)
    if got.nonfinite:
        message = (
            f"the results have {got.nonfinite} non-finite entr"
            f"{'y' if got.nonfinite == 1 else 'ies'} (NaN or inf)"
        )
        if not quiet:
            sys.stderr.write(f"jaccli: warning: {message}, written as null in JSON\n")
        if not allow_nonfinite:
            raise NotCleanError(message, hint="pass --allow-nonfinite to accept them")
