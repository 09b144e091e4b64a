"""Supervision of a child process: fork, and have the parent only watch the child.

`fork_watched` is the one fork-and-watch primitive; `supervise` builds on it for --timeout, and
`distributed.supervise_distributed` for --distributed.

A thread still needs the GIL, and a C call that holds it (a huge integer power, a SymPy routine
in C, an extension module) would keep the --timeout watchdog of `signals.deadline` from ever
running. So the console script runs the command in a child process under `supervise`: the parent
only waits, and ends the child from outside if it outlives the deadline by
`SUPERVISOR_GRACE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .streams import flush_standard_streams

# How long past --timeout the supervisor waits for the child's own watchdog before ending it.
SUPERVISOR_GRACE_SECONDS = 1.0

# Under `supervise`, the child's end of the pipe on which it names its half-written files.
_ANNOUNCE_FD: int | None = None


def announce_temp_file(path: str, writing: bool) -> None:
    """Tell the supervisor (if any) that ``path`` is a half-written file, or no longer one."""
    if _ANNOUNCE_FD is None:
        return
    record = ("+" if writing else "-").encode() + os.fsencode(path) + b"\0"
    # One record is far below PIPE_BUF, so the write is atomic; a gone supervisor is harmless.
    with contextlib.suppress(OSError):
        os.write(_ANNOUNCE_FD, record)


def supervise(seconds: float, on_expire: Callable[[list[str]], None]) -> int | None:
    """Run the rest of the program in a child process that cannot outlive ``seconds``.

    Returns None in the child, which goes on with the command (and keeps its own, gentler
    `signals.deadline`). The parent waits and returns the exit code to end with: the child's,
    128+N if a signal N ended it, or 4 after it had to end the child with SIGKILL — in which
    case ``on_expire`` is called with the files the child was still writing, to remove them and
    report. Returns None without forking where fork is missing or unsafe (JAX already loaded,
    with its threads).
    """
    if "jax" in sys.modules:
        return None
    writing: set[str] = set()
    pending = bytearray()

    def announce_to(fd: int) -> None:
        global _ANNOUNCE_FD
        _ANNOUNCE_FD = fd

    def read_records(chunk: bytes) -> None:
        pending.extend(chunk)
        *records, rest = bytes(pending).split(b"\0")
        pending[:] = rest
        for record in records:
            path = os.fsdecode(record[1:])
            (writing.add if record[:1] == b"+" else writing.discard)(path)

    ended = fork_watched(
        announce_to, read_records, time.monotonic() + seconds + SUPERVISOR_GRACE_SECONDS
    )
    if ended is None:
        return None
    if ended.expired:
        on_expire(sorted(writing))
        return 4
    return ended.exit_code


@dataclass(frozen=True)
class ChildEnd:
    """How a child of `fork_watched` ended: its wait status, and whether the deadline did it.

    >>> ChildEnd(status=3 << 8, expired=False).exit_code
    3
    >>> ended = ChildEnd(status=signal.SIGKILL, expired=True)
    >>> ended.signum == signal.SIGKILL, ended.exit_code
    (True, 137)
    """

    status: int
    expired: bool

    @property
    def signum(self) -> int | None:
        """The signal that ended the child, or None where it exited by itself."""
        return os.WTERMSIG(self.status) if os.WIFSIGNALED(self.status) else None

    @property
    def exit_code(self) -> int:
        """The child's exit code, or 128+N where signal N ended it (as a shell reports it)."""
        code = os.waitstatus_to_exitcode(self.status)
        return code if code >= 0 else 128 - code


def fork_watched(
    in_child: Callable[[int], None],
    on_data: Callable[[bytes], None],
    deadline: float | None = None,
    end_with_parent: bool = False,
) -> ChildEnd | None:
    """Fork, with a pipe from the child to the parent; the parent only watches the child.

    In the child, ``in_child`` gets the pipe's write end, and None is returned: the child goes
    on with the program. None is returned too, without forking, where the platform has no fork.
    The parent passes whatever arrives on the pipe to ``on_data`` until the child has ended, and
    returns how it ended; past ``deadline`` (a `time.monotonic` time) it ends the child with
    SIGKILL first. While it waits, SIGTERM is passed on to the child and SIGINT is ignored:
    Ctrl-C reaches the whole foreground process group, the child included (as ``system()``
    does). With ``end_with_parent``, the kernel ends the child when the parent ends (Linux), so
    that a parent ended by SIGKILL leaves no child behind.
    """
    if not hasattr(os, "fork"):
        return None
    flush_standard_streams()
    parent = os.getpid()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        if end_with_parent:
            _end_with_parent(parent)
        in_child(write_fd)
        return None
    os.close(write_fd)

    def pass_on(signum: int, frame: Any) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, pass_on),
        signal.SIGINT: signal.signal(signal.SIGINT, signal.SIG_IGN),
    }
    exited = _exit_watch(pid)
    try:
        return _watch(pid, read_fd, exited, on_data, deadline)
    finally:
        for fd in (read_fd, exited):
            if fd is not None:
                os.close(fd)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _watch(
    pid: int,
    read_fd: int,
    exited: int | None,
    on_data: Callable[[bytes], None],
    deadline: float | None,
) -> ChildEnd:
    reading = True
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        if left is not None and left <= 0:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
            _drain(read_fd, on_data)
            return ChildEnd(status, expired=True)
        # Without a pidfd to wait on, look at the child every 50 ms.
        wait = left if exited is not None else min(left or 0.05, 0.05)
        watched = ([read_fd] if reading else []) + ([exited] if exited is not None else [])
        try:
            ready, _, _ = select.select(watched, [], [], wait)
        except InterruptedError:
            continue
        if read_fd in ready:
            chunk = os.read(read_fd, 1 << 16)
            if chunk:
                on_data(chunk)
                continue
            reading = False  # the child closed the pipe: it is exiting
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            _drain(read_fd, on_data)
            return ChildEnd(status, expired=False)


def _drain(fd: int, on_data: Callable[[bytes], None]) -> None:
    """Read what is already in the pipe, without waiting for writers that may still hold it."""
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        on_data(chunk)


def _exit_watch(pid: int) -> int | None:
    """A descriptor that becomes readable when process ``pid`` exits (Linux), else None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _end_with_parent(parent: int) -> None:
    """Have the kernel end this child with its parent (Linux); exit 4 at once if the parent
    has already ended."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(Exception):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(4)
