"""The one output decision, for one point and a batch alike: the format (``text`` is the
table's other name), colour, width, destination, the refusal of binary output on a terminal, the
notes on stderr, and the exit status of a finished result."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .. import _runtime as runtime
from ..errors import NotCleanError, UsageError


@dataclass(frozen=True)
class Output:
    """Where and how a command's results are written."""

    format: str
    path: str | None
    color: bool
    width: int
    quiet: bool
    allow_nonfinite: bool
    file: runtime.OutputFile | None = None
    """``path`` resolved before the user's code runs (it may change the working directory)."""
    plot: runtime.OutputFile | None = None
    """The ``--plot`` file, resolved the same way."""

    @property
    def shows_value(self) -> bool:
        """Whether the output shows the function's value: array files and CSV hold the
        derivative only, and at scale computing the value beside it costs as much again."""
        return self.format not in ("npy", "npz", "csv")

    def note(self, message: str) -> None:
        """A note on stderr (``jaccli: …``), unless quiet."""
        if not self.quiet:
            sys.stderr.write(f"jaccli: {message}\n")
            sys.stderr.flush()

    def warn(self, message: str) -> None:
        from .. import _render as render

        self.note(f"warning: {render.escape(message)}")

    def write(self, data: str | bytes | Iterable[bytes | memoryview], what: str) -> None:
        """The whole output, whole or in pieces: to the file (atomically) or to stdout."""
        from .. import _render as render

        whole = isinstance(data, str | bytes)
        if self.file:
            if whole:
                data = [data.encode("utf-8") if isinstance(data, str) else data]
            with runtime.atomic_writer(self.file) as write:
                for piece in data:
                    write(piece)
            self.note(f"wrote {what} to {render.escape(self.path)}")
        else:
            self.to_stdout(data if whole else b"".join(data))

    def to_stdout(self, data: str | bytes) -> None:
        """Write to stdout, in what its encoding can carry (ASCII, under LANG=C or
        ``PYTHONIOENCODING=ascii``): JSON with ``\\u`` escapes, tables in ASCII."""
        from .. import _render as render

        if isinstance(data, str):
            encoding = getattr(sys.stdout, "encoding", None)
            data = render.for_encoding(data, encoding, is_json=self.format == "json")
        runtime.write_stdout(data, "--output")


@contextlib.contextmanager
def routed_warnings(quiet: bool) -> Iterator[None]:
    """Python warnings while a command runs (NumPy's RuntimeWarnings, a library's or the
    user's function's UserWarnings): one ``jaccli: warning:`` line per distinct message, user
    text escaped, instead of two lines with a source quote each; none with ``--quiet``.
    Deprecations speak to developers, not users, and are dropped. JAX's log is quieted too."""
    import logging
    import warnings

    from .. import _render as render

    seen: set[str] = set()

    def show(message: Any, category: type, *args: Any, **kwargs: Any) -> None:
        text = f"{message} ({category.__name__})"
        if text not in seen:
            seen.add(text)
            sys.stderr.write(f"jaccli: warning: {render.escape(text)}\n")
            sys.stderr.flush()

    jax_log = logging.getLogger("jax")
    level = jax_log.level
    with warnings.catch_warnings():
        # The filters in place (jaccli's own, Python's) still apply; these go in front of them.
        for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
            warnings.simplefilter("ignore", category)
        if quiet:
            warnings.simplefilter("ignore")
        warnings.showwarning = show
        if quiet:
            jax_log.setLevel(logging.ERROR)
        try:
            yield
        finally:
            jax_log.setLevel(level)


def decide(
    fmt: str | None,
    path: str | None,
    quiet: bool,
    allow_nonfinite: bool,
    plot: str | None = None,
) -> Output:
    """The output of a command: ``--format``, else the ``--output`` file's suffix, else a table
    on a terminal and JSON otherwise. Binary formats are refused on a terminal, before any work.
    The files (``--output``, ``--plot``) are resolved here, before the user's code runs."""
    from .. import _render as render

    fmt = "table" if fmt == "text" else fmt
    if fmt is not None and fmt not in render.FORMATS:
        raise UsageError(f"--format must be one of {', '.join(render.FORMATS)}, got {fmt!r}")
    if fmt is None:
        if path:
            fmt = render.format_for_path(path)
        else:
            fmt = "table" if runtime.stdout_is_terminal() else "json"
    if fmt in render.BINARY_FORMATS and path is None and runtime.stdout_is_terminal():
        raise UsageError(
            f"refusing to write binary {fmt} to a terminal",
            hint=f"redirect stdout or use --output result.{fmt}",
        )
    color = path is None and runtime.stdout_is_terminal() and "NO_COLOR" not in os.environ
    width = runtime.stdout_columns()
    files = [runtime.output_file(name) if name else None for name in (path, plot)]
    for file in files:
        if file is not None:
            runtime.refuse_unwritable(file)
    return Output(fmt, path, color, width, quiet, allow_nonfinite, file=files[0], plot=files[1])


def emit(output: Output, result: Any) -> None:
    """Render a finished result, write it (and its ``--plot``), and set the exit status."""
    data = rendered(result, output)
    for warning in result.warnings:
        output.warn(warning)
    if output.plot:
        draw(result, output.plot, output)
    output.write(data, result.command)
    report = getattr(result, "check_report", None)
    if report is not None and not report["passed"]:
        from .._check import FAILING_KINDS

        failed = [r["name"] for r in report["references"] if r["passed"] is False]
        kinds = [d["kind"] for d in report["diagnoses"] if d["kind"] in FAILING_KINDS]
        parts = [f"{', '.join(failed)} disagreed with AD"] if failed else []
        parts += [f"diagnosed {', '.join(kinds)}"] if kinds else []
        raise NotCleanError(
            "the check failed: " + ("; ".join(parts) or "no reference could be compared"),
            hint="the references and diagnoses above say where and why",
        )
    refuse_nonfinite(output, getattr(result, "nonfinite", 0), "the result has")


def rendered(result: Any, output: Output) -> str | bytes | Iterable[bytes | memoryview]:
    """The output of a finished result; a derivative's .npy in pieces, to be written without
    a copy of the array in memory."""
    from .. import _render as render
    from ..results import DerivativeResult, SparseJacobian

    plain = isinstance(result, DerivativeResult) and not isinstance(result.result, SparseJacobian)
    if output.format == "npy" and plain:
        return render.npy_pieces(result)
    return render.render(result, output.format, color=output.color, width=output.width)


def refuse_nonfinite(output: Output, count: int, what: str) -> None:
    """Exit 1 for ``count`` NaN or inf entries, unless ``--allow-nonfinite``."""
    if count and not output.allow_nonfinite:
        from .._operations import nonfinite_entries

        raise NotCleanError(
            f"{what} {nonfinite_entries(count)}",
            hint="pass --allow-nonfinite to accept them",
        )


def draw(result: Any, plot: runtime.OutputFile, output: Output) -> None:
    """The ``--plot`` picture of a result, written atomically."""
    from .. import _render as render
    from .._render import plots

    runtime.atomic_write(plot, plots.figure(result, plots.plot_format(plot.name)))
    output.note(f"wrote the chart to {render.escape(plot.name)}")
