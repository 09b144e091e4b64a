"""The child's side of a supervised run: the one pipe on which it tells its parent everything.

Under `parent.supervise`, the command runs in a child process and the parent owns what leaves
the run: the child's results for stdout, the names of the files it is half-way through writing
(for the parent to remove if the child has to be ended), and the exit code the child chose. Each
goes through the pipe as one frame: a kind byte, the payload's length, the payload. A frame cut
short (the child ended mid-write) is dropped by the parent, so a result goes out whole or not at
all.
"""

from __future__ import annotations

import contextlib
import os
import struct
import threading
from dataclasses import dataclass

# Frame kinds.
STDOUT, WRITING, WRITTEN, EXIT = b"o", b"+", b"-", b"x"
_HEADER = struct.Struct(">cQ")
_lock = threading.Lock()


@dataclass
class _Child:
    fd: int | None = None
    parent: int | None = None
    stdout_tty: bool = False
    stdout_closed: bool = False
    stdout_columns: int | None = None


_CHILD = _Child()


def attach(
    fd: int | None, stdout_tty: bool, stdout_closed: bool, stdout_columns: int | None
) -> None:
    """Make this process a supervised child that reports on ``fd``; what its stdout was, the
    parent has, and the child only knows about it."""
    _CHILD.fd = fd
    _CHILD.stdout_tty, _CHILD.stdout_closed = stdout_tty, stdout_closed
    _CHILD.stdout_columns = stdout_columns


def set_parent(pid: int | None) -> None:
    """Note the process this one was forked from (`parent_gone` compares with it)."""
    _CHILD.parent = pid


def in_child() -> bool:
    """Whether this process runs a command for a supervising parent."""
    return _CHILD.fd is not None


def parent_gone() -> bool:
    """Whether the process this one was forked from has ended (a forked child only)."""
    return _CHILD.parent is not None and os.getppid() != _CHILD.parent


def stdout_state() -> tuple[bool, bool, int | None]:
    """The real stdout, as it was when the child was forked: a terminal, closed, its width."""
    return _CHILD.stdout_tty, _CHILD.stdout_closed, _CHILD.stdout_columns


def send(kind: bytes, payload: bytes) -> None:
    """One frame to the parent; nothing where there is no parent, or it is gone (the kernel
    then ends this process: `supervision.fork_watched` asks it to)."""
    if _CHILD.fd is None:
        return
    data = memoryview(_HEADER.pack(kind, len(payload)) + payload)
    with _lock, contextlib.suppress(OSError):
        while data:
            data = data[os.write(_CHILD.fd, data) :]


def announce_temp_file(path: str, writing: bool) -> None:
    """Tell the parent (if any) that ``path`` is a half-written file, or no longer one."""
    send(WRITING if writing else WRITTEN, os.fsencode(path))


def report_exit(code: int) -> None:
    """Tell the parent (if any) the exit code this run chose, before the interpreter shuts down:
    a child that ends without saying so was ended by its function or crashed."""
    send(EXIT, str(code).encode())


class Frames:
    """The parent's reading of the pipe: frames reassembled from the chunks that arrive."""

    def __init__(self) -> None:
        self.pending = bytearray()

    def feed(self, chunk: bytes) -> list[tuple[bytes, bytes]]:
        """The frames completed by ``chunk``, as (kind, payload)."""
        self.pending.extend(chunk)
        frames = []
        while len(self.pending) >= _HEADER.size:
            kind, length = _HEADER.unpack_from(self.pending)
            end = _HEADER.size + length
            if len(self.pending) < end:
                break
            frames.append((kind, bytes(self.pending[_HEADER.size : end])))
            del self.pending[:end]
        return frames
