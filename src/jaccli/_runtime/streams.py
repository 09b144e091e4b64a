"""The standard streams: whether they are terminals, and writing finished output to stdout.

Results go to stdout in one write, so that a reader that leaves early (``| head -1``), a full
disk or a closed stdout each end the run the way SPEC §6 asks, not with a traceback. In a
supervised child (`parent.supervise`) they go to the parent, which writes them; the child's
file descriptor 1 is its stderr.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sys

from ..errors import UsageError
from . import channel


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal; False when the process started with stdout closed."""
    if channel.in_child():
        return channel.stdout_state()[0]
    return sys.stdout is not None and sys.stdout.isatty()


def stdout_columns() -> int:
    """The width of the terminal stdout goes to (100 where it is none)."""
    columns = channel.stdout_state()[2] if channel.in_child() else None
    return columns or shutil.get_terminal_size((100, 24)).columns


def stderr_is_terminal() -> bool:
    """Whether stderr is a terminal (for progress bars); False when stderr is closed."""
    return sys.stderr is not None and sys.stderr.isatty()


def stdin_problem() -> str | None:
    """Why stdin cannot be read as a stream of points (closed, or a terminal), or None."""
    if sys.stdin is None:
        return "stdin is closed"
    if sys.stdin.isatty():
        return "stdin is a terminal"
    return None


def flush_standard_streams() -> None:
    """Flush Python's stdout and stderr, ignoring streams that are closed or broken.

    Needed before the process forks or writes to file descriptors 1 and 2 directly, so that
    what Python still holds comes out first, and only once.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()


class ReaderGone(BrokenPipeError):
    """stdout's reader went away (``| head -1``): `cli.main` ends quietly with exit 141.

    It carries no errno on purpose: typer's command runner turns an OSError whose errno is EPIPE
    into a bare exit 1 before `cli.main` sees it, and 1 means "computed, but not clean".
    """


def write_stdout(data: str | bytes, output: str | None = None) -> None:
    """Write finished output to stdout in one go and flush it; ``output``, where the caller has
    one, names the option that writes a file instead (``--output`` on the command line).

    A reader that went away (EPIPE) surfaces as `ReaderGone` for `cli.main` to end quietly;
    any other write failure (a full disk, /dev/full, stdout closed) is an error with a non-zero
    exit. Either way stdout is pointed at /dev/null afterwards so the interpreter's final flush
    stays silent.
    """
    closed = channel.stdout_state()[1] if channel.in_child() else sys.stdout is None
    if closed:  # started with stdout closed (`>&-`)
        raise UsageError(
            "cannot write the result to stdout: stdout is closed",
            hint="give stdout somewhere to go"
            + (f", or write a file with {output} FILE" if output else ""),
        )
    if channel.in_child():
        if isinstance(data, str):
            data = data.encode(*_encoding())
        channel.send(channel.STDOUT, data)
        return
    try:
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # a text-only stream put in place by the caller
            sys.stdout.write(data if isinstance(data, str) else data.decode())
            sys.stdout.flush()
            return
        if isinstance(data, str):
            data = data.encode(*_encoding())
        # Under PYTHONUNBUFFERED=1 (python -u) `buffer` is the raw file, whose write may take
        # only part of the bytes, as when a pipe's reader leaves mid-write; a text write would
        # drop the rest silently and end with exit 0. Write until every byte is taken.
        view = memoryview(data)
        while view:
            written = buffer.write(view)
            if written is None:  # a non-blocking stdout that is full
                raise BlockingIOError(errno.EAGAIN, "stdout is non-blocking and full")
            view = view[written:]
        buffer.flush()
    except OSError as exc:
        raise stdout_failure(exc) from None


def _encoding() -> tuple[str, str]:
    stream = sys.stdout
    return (
        getattr(stream, "encoding", None) or "utf-8",
        getattr(stream, "errors", None) or "strict",
    )


def stdout_failure(exc: OSError) -> Exception:
    """The error for a failed write to stdout, which is pointed at /dev/null: `ReaderGone` when
    the reader went away, else a `UsageError` with the reason."""
    silence_stdout()
    if isinstance(exc, BrokenPipeError):
        return ReaderGone("the reader of stdout went away")
    return UsageError(
        f"cannot write the result to stdout: {exc.strerror or exc}",
        hint="check the disk or the pipe stdout goes to",
    )


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null (after a failed write nothing more can go there)."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
