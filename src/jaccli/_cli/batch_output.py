"""A batch's results, written as the output decided for it: JSON Lines (streamed when the points
come from stdin), a per-point table, per-point LaTeX, or stacked arrays (``.npy`` written chunk by
chunk when the number of points is known, CSV, ``.npz``, Matrix Market)."""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _render as render
from .. import _runtime as runtime
from .._operations import nonfinite_warning
from .._operations.batch import BatchRun, Chunk
from ..errors import UsageError
from .output import Output, refuse_nonfinite

TABLE_ROWS = 40


def write_batch(
    run: BatchRun,
    output: Output,
    writes: bool = True,
    finished: Callable[[], None] = lambda: None,
) -> None:
    """Evaluate ``run`` and write its results. ``finished`` runs once every point is evaluated
    (a distributed run's processes meet there); ``writes`` is False on the processes of a
    distributed run that leave the writing to process 0."""
    fmt = output.format
    streaming = fmt == "json" and output.path is None and run.batch.streamed
    npy_file = fmt == "npy" and output.path is not None and run.batch.total is not None
    lines: list[str] = []
    records: list[tuple[int, Any]] = []
    chunks: list[Chunk] = []
    with contextlib.ExitStack() as stack:
        npy = stack.enter_context(_NpyFile(output.file, run)) if npy_file and writes else None
        for chunk in run.chunks():
            if not writes:
                continue
            if fmt == "json":
                text = "".join(_json_lines(run, chunk))
                if streaming:
                    output.to_stdout(text)
                else:
                    lines.append(text)
            elif fmt in ("table", "latex"):
                for i in range(chunk.count):
                    if fmt == "table" and len(records) >= TABLE_ROWS:
                        break
                    records.append((chunk.start + i, run.point_result(chunk, i)))
            elif npy is not None:
                npy.add(chunk.result)
            else:
                chunks.append(chunk)
    finished()
    if not writes:
        return
    if not streaming:
        data = b"" if npy_file else _whole(run, output, lines, records, chunks)
        if npy_file:
            output.note(
                f"wrote {run.command} at {run.count} points to {render.escape(output.path)}"
            )
        else:
            output.write(data, f"{run.command} at {run.count} points")
    if run.nonfinite:
        output.warn(f"the results have {nonfinite_warning(run.nonfinite)}")
    refuse_nonfinite(output, run.nonfinite, "the results have")


def _json_lines(run: BatchRun, chunk: Chunk) -> list[str]:
    out = []
    for i in range(chunk.count):
        data = run.point_result(chunk, i).to_dict()
        data = {"jaccli": data.pop("jaccli"), "index": chunk.start + i, **data}
        out.append(json.dumps(data, allow_nan=False, ensure_ascii=False) + "\n")
    return out


def _whole(
    run: BatchRun,
    output: Output,
    lines: list[str],
    records: list[tuple[int, Any]],
    chunks: list[Chunk],
) -> str | bytes:
    """The output of a batch written once it is done."""
    fmt = output.format
    if fmt == "json":
        return "".join(lines)
    if fmt == "table":
        return render.to_batch_table_text(
            [record for _, record in records],
            [index for index, _ in records],
            run.count,
            color=output.color,
            width=output.width,
        )
    if fmt == "latex":
        return "".join(
            f"% point {index}\n{render.render(record, 'latex')}\n" for index, record in records
        )
    return render.render_batch(run.stacked_result(chunks), fmt)


class _NpyFile:
    """A stacked ``.npy`` written chunk by chunk: the header for ``total`` points, then rows."""

    def __init__(self, path: runtime.OutputFile | None, run: BatchRun) -> None:
        assert path is not None and run.batch.total is not None
        self._writer = runtime.atomic_writer(path)
        self._total = run.batch.total
        self._write: Callable[[bytes], None] | None = None
        self._started = False

    def __enter__(self) -> _NpyFile:
        self._write = self._writer.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        return self._writer.__exit__(*exc)

    def add(self, result: Any) -> None:
        assert self._write is not None
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
