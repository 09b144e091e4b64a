"""Atomic output files: a temp file in the target's directory, renamed over it when whole.

Temp files still being written are tracked so that signal and timeout handlers can remove them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
from collections.abc import Callable, Iterator

from ..errors import UsageError
from .channel import announce_temp_file, in_child, parent_gone
from .streams import flush_standard_streams, write_stdout

TEMP_PREFIX = ".jaccli-"
_STREAM_PATH = re.compile(r"/dev/(?P<name>stdout|stderr)|(?:/dev/fd|/proc/self/fd)/(?P<fd>\d+)")

# Temp files being written right now; signal and timeout handlers remove them on the way out.
_IN_FLIGHT: set[str] = set()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _default_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _write_failed(path: str, exc: OSError) -> UsageError:
    return UsageError(
        f"cannot write {path!r}: {exc.strerror or exc}",
        hint="check that the directory exists and is writable",
    )


def atomic_write(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    The bytes go to a temp file in the same directory, are flushed to disk, then renamed over
    the target (for a symlink, the file it points at). `/dev/stdout`, `/dev/stderr` and
    `/dev/fd/N` are written to our own descriptor, and an existing target that is not a
    regular file (`/dev/null`, a FIFO) is written directly: a device or pipe cannot be
    replaced by rename, and renaming onto `/dev/stdout` would replace the system's symlink
    instead of writing to our output.

    Args:
        path: the file to write.
        data: its new contents.

    Raises UsageError naming the path and the reason when the file cannot be written.
    """
    with atomic_writer(path) as write:
        write(data)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[Callable[[bytes], None]]:
    """`atomic_write` for contents that arrive in pieces: yields ``write(bytes)``.

    The file appears, whole, when the block ends without an error; after an error (or an
    interrupt) nothing is left behind. Streams and devices get the pieces at the end, at once.
    """
    target = os.fspath(path)
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _write_failed(target, exc) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UsageError(f"cannot write {target!r}: it is a directory", hint="name a file")
    stream = _STREAM_PATH.fullmatch(target)
    if stream or (info is not None and not stat.S_ISREG(info.st_mode)):
        pieces: list[bytes] = []
        yield pieces.append
        data = b"".join(pieces)
        if stream:
            _write_stream(target, stream, data)
        else:
            _write_direct(target, data)
        return
    real = os.path.realpath(target)
    # Replace the file a symlink points at, not the symlink itself.
    directory = os.path.dirname(real) or "."
    import tempfile  # here, not above: every run imports this module, few write a file

    try:
        fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
    except OSError as exc:
        raise _write_failed(target, exc) from None
    _IN_FLIGHT.add(temp)
    announce_temp_file(temp, True)
    try:
        try:
            os.fchmod(fd, stat.S_IMODE(info.st_mode) if info is not None else _default_mode())
            yield functools.partial(_write_all, fd)
            os.fsync(fd)
        finally:
            os.close(fd)
        if parent_gone():
            # The run this process belonged to is over (its parent was killed): writing now
            # would surprise whoever has moved on.
            _remove(temp)
            os._exit(4)
        os.replace(temp, real)
    except OSError as exc:
        _remove(temp)
        raise _write_failed(target, exc) from None
    except BaseException:
        _remove(temp)
        raise
    finally:
        _IN_FLIGHT.discard(temp)
        announce_temp_file(temp, False)


def _write_stream(path: str, stream: re.Match, data: bytes) -> None:
    # Opening /proc/self/fd/1 anew would start at offset 0 (clobbering `>>`); use our own fd.
    fd = {"stdout": 1, "stderr": 2}.get(stream["name"]) or int(stream["fd"])
    if fd == 1 and in_child():
        write_stdout(data)  # a supervised child's descriptor 1 is its stderr
        return
    flush_standard_streams()
    try:
        _write_all(fd, data)
    except OSError as exc:
        raise _write_failed(path, exc) from None


def _write_direct(path: str, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _write_failed(path, exc) from None


def _remove(temp: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(temp)


def remove_partial_files() -> None:
    """Delete temp files of writes still in progress (for signal and timeout handlers)."""
    for temp in list(_IN_FLIGHT):
        _remove(temp)
        _IN_FLIGHT.discard(temp)


def shown_path(path: str) -> str:
    """A path as messages show it: relative to the working directory when it is inside it.

    >>> shown_path(os.path.join(os.getcwd(), "f.py")), shown_path("/elsewhere/f.py")
    ('f.py', '/elsewhere/f.py')
    """
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive, on Windows
        return path
    return path if relative.startswith(os.pardir) else relative
