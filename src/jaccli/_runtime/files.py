"""Atomic output files: a temp file in the target's directory, renamed over it when whole.
Where Linux's ``O_TMPFILE`` is available the temp file has no name until it is whole, so a
process killed while writing leaves nothing behind.

Temp files still being written are tracked so that signal and timeout handlers can remove them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass

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


@dataclass(frozen=True)
class OutputFile:
    """A file to write, fixed before the user's code runs (which may ``chdir``)."""

    name: str
    """As the user gave it, for messages."""
    path: str
    """Where it is written: relative names joined to the working directory of the start."""


def output_file(name: str) -> OutputFile:
    """``name`` resolved against the working directory now, once.

    The join is lexical only (no ``..`` folded, no symlink followed): what the name means is
    decided when it is written, as a shell's ``>`` would, just not from another directory.
    """
    try:
        return OutputFile(name, os.path.join(os.getcwd(), name))
    except OSError:  # the working directory was removed: the name is all there is
        return OutputFile(name, name)


def _write_failed(path: str, exc: OSError) -> UsageError:
    return UsageError(
        f"cannot write {path!r}: {exc.strerror or exc}",
        hint="check that the directory exists and is writable",
    )


def atomic_write(path: str | os.PathLike | OutputFile, data: bytes) -> None:
    """Write `data` to `path` so that readers see the old file or the new one, never half.

    The bytes go to a temp file in the same directory, are flushed to disk, then renamed over
    the target (for a symlink, the file it points at). `/dev/stdout`, `/dev/stderr` and
    `/dev/fd/N` are written to our own descriptor, and an existing target that is not a
    regular file (`/dev/null`, a FIFO) is written directly: a device or pipe cannot be
    replaced by rename, and renaming onto `/dev/stdout` would replace the system's symlink
    instead of writing to our output. What a shell's ``>`` would refuse is refused: a
    read-only file, and a symlink another user planted in a sticky shared directory.

    Args:
        path: the file to write (an `OutputFile` is written to its resolved path and named as
            the user gave it).
        data: its new contents.

    Raises UsageError naming the path and the reason when the file cannot be written.
    """
    with atomic_writer(path) as write:
        write(data)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike | OutputFile) -> Iterator[Callable[[bytes], None]]:
    """`atomic_write` for contents that arrive in pieces: yields ``write(bytes)``.

    The file appears, whole, when the block ends without an error; after an error (or an
    interrupt) nothing is left behind. Streams and devices get the pieces at the end, at once.
    """
    name, target = (
        (path.name, path.path) if isinstance(path, OutputFile) else (os.fspath(path),) * 2
    )
    stream = _STREAM_PATH.fullmatch(target)
    real = target if stream else _landing(target, name)
    try:
        info = os.stat(real)
    except FileNotFoundError:
        info = None
    except OSError as exc:
        raise _write_failed(name, exc) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UsageError(f"cannot write {name!r}: it is a directory", hint="name a file")
    if stream or (info is not None and not stat.S_ISREG(info.st_mode)):
        pieces: list[bytes] = []
        yield pieces.append
        data = b"".join(pieces)
        if stream:
            _write_stream(name, stream, data)
        else:
            _write_direct(real, name, data)
        return
    _refuse_read_only(real, name, info)
    with _renamed_into_place(real, name, info) as write:
        yield write


# os.access asks as the effective user where the platform can, as open() would.
_EFFECTIVE = os.access in os.supports_effective_ids


def _refuse_read_only(path: str, name: str, info: os.stat_result | None) -> None:
    """Refuse a regular file a shell's ``>`` would refuse. A file without any write permission
    bit counts as read-only for root too (who may write anything), so that ``chmod a-w``
    protects a file whoever runs jaccli."""
    if info is None or not stat.S_ISREG(info.st_mode):
        return
    if not info.st_mode & 0o222 or not os.access(path, os.W_OK, effective_ids=_EFFECTIVE):
        raise UsageError(
            f"cannot write {name!r}: the file is read-only",
            hint="a shell's > would refuse it too: make it writable or name another file",
        )


def refuse_unwritable(file: OutputFile) -> None:
    """Refuse, before any work, an output file that `atomic_write` would refuse at the end:
    a read-only file, or a symlink another user planted in a sticky directory."""
    if _STREAM_PATH.fullmatch(file.path):
        return
    real = _landing(file.path, file.name)
    try:
        info = os.stat(real)
    except OSError:
        return  # a missing file is created; other failures are reported when writing
    _refuse_read_only(real, file.name, info)


def _landing(target: str, name: str) -> str:
    """The file a write to ``target`` replaces: for a symlink, the file it points at.

    A symlink in a sticky, world-writable directory (``/tmp``) is followed only if this user or
    the directory's owner owns it, as the kernel's ``protected_symlinks`` lets a shell's ``>``:
    a link planted there by someone else would otherwise aim our rename at their choice of file.
    """
    path = target
    for _ in range(40):  # the kernel's own limit on a chain of links
        try:
            info = os.lstat(path)
        except OSError:
            break
        if not stat.S_ISLNK(info.st_mode):
            break
        _refuse_foreign_link(path, info, name)
        path = os.path.join(os.path.dirname(path), os.readlink(path))
    return os.path.realpath(path)


def _refuse_foreign_link(link: str, info: os.stat_result, name: str) -> None:
    directory = os.path.dirname(link) or "."
    try:
        shared = os.stat(directory)
    except OSError:
        return
    sticky = shared.st_mode & stat.S_ISVTX and shared.st_mode & stat.S_IWOTH
    if sticky and info.st_uid not in (os.geteuid(), shared.st_uid):
        raise UsageError(
            f"refusing to write {name!r}: it is a symlink that another user owns in the shared "
            f"directory {directory!r}",
            hint="anyone can plant a link there; remove it or write somewhere else",
        )


@contextlib.contextmanager
def _renamed_into_place(
    real: str, name: str, info: os.stat_result | None
) -> Iterator[Callable[[bytes], None]]:
    directory = os.path.dirname(real) or "."
    fd, temp = _unnamed_file(directory), None
    try:
        if fd is None:
            import tempfile  # here, not above: every run imports this module, few write a file

            fd, temp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".tmp", dir=directory)
            _track(temp)
    except OSError as exc:
        raise _write_failed(name, exc) from None
    try:
        try:
            os.fchmod(fd, stat.S_IMODE(info.st_mode) if info is not None else _default_mode())
            yield functools.partial(_write_all, fd)
            os.fsync(fd)
            if parent_gone():
                # The run this process belonged to is over (its parent was killed): writing now
                # would surprise whoever has moved on.
                if temp is not None:
                    _remove(temp)
                os._exit(4)
            if temp is None:
                temp = _named(fd, directory)
        finally:
            os.close(fd)
        os.replace(temp, real)
    except OSError as exc:
        if temp is not None:
            _remove(temp)
        raise _write_failed(name, exc) from None
    except BaseException:
        if temp is not None:
            _remove(temp)
        raise
    finally:
        if temp is not None:
            _IN_FLIGHT.discard(temp)
            announce_temp_file(temp, False)


def _unnamed_file(directory: str) -> int | None:
    """A file in ``directory`` without a name yet (Linux's ``O_TMPFILE``), or None where the
    platform or the file system has none: a process killed while writing it leaves nothing."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or not os.path.isdir("/proc/self/fd"):  # the name is given through /proc
        return None
    try:
        return os.open(directory, flag | os.O_WRONLY | os.O_CLOEXEC, 0o600)
    except OSError:  # EOPNOTSUPP and kin; a real fault shows again on the named path
        return None


def _named(fd: int, directory: str) -> str:
    """Give the whole unnamed file ``fd`` a temp name in ``directory`` (announced first, so that
    whoever cleans up after a kill knows it), to be renamed over the target."""
    import secrets

    # linkat(AT_SYMLINK_FOLLOW) of /proc/self/fd/N, which os.link asks for only with a dir fd.
    descriptors = os.open("/proc/self/fd", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for _ in range(100):
            temp = os.path.join(directory, f"{TEMP_PREFIX}{secrets.token_hex(6)}.tmp")
            _track(temp)
            try:
                os.link(str(fd), temp, src_dir_fd=descriptors, follow_symlinks=True)
                return temp
            except FileExistsError:
                _IN_FLIGHT.discard(temp)
                announce_temp_file(temp, False)
    finally:
        os.close(descriptors)
    raise FileExistsError(f"no free temp name in {directory}")


def _track(temp: str) -> None:
    _IN_FLIGHT.add(temp)
    announce_temp_file(temp, True)


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


def _write_direct(path: str, name: str, data: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _write_failed(name, exc) from None


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
