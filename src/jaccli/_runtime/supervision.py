"""Supervision of a child process: fork, and have the parent only watch the child.

`fork_watched` is the one fork-and-watch primitive: `parent.supervise` builds on it for every
command-line run, and `distributed.supervise_distributed` for --distributed. The parent stays
light (it never imports JAX), so it can always act: a C call that holds the GIL, a native call
that never returns, a crash or a signal in the child cannot keep it from ending the run on time.
`fork_server` is the other way round: a child that works for its parent (`check`'s SymPy
reference) and never outlives it.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from .channel import set_parent
from .streams import flush_standard_streams

# How long a child has to end by itself after a signal was passed on, before it is killed.
SIGNAL_GRACE_SECONDS = 1.0
# Bytes waiting for stdout beyond which the parent stops reading the child's pipe.
_OUTBOX_LIMIT = 8 << 20


@dataclass(frozen=True)
class ChildEnd:
    """How a child of `fork_watched` ended: its wait status, whether the deadline did it, the
    signal the parent received and passed on (if any), and a failed write to stdout.

    >>> ChildEnd(status=3 << 8, expired=False).exit_code
    3
    >>> ended = ChildEnd(status=signal.SIGKILL, expired=True)
    >>> ended.signum == signal.SIGKILL, ended.exit_code
    (True, 137)
    """

    status: int
    expired: bool
    signalled: int | None = None
    output_error: OSError | None = None

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
    outbox: bytearray | None = None,
) -> ChildEnd | None:
    """Fork, with a pipe from the child to the parent; the parent only watches the child.

    In the child, ``in_child`` gets the pipe's write end, and None is returned: the child goes
    on with the program. None is returned too, without forking, where the platform has no fork.
    The parent passes whatever arrives on the pipe to ``on_data``, writes what ``on_data`` puts
    in ``outbox`` to stdout, and returns how the child ended once it has, and the outbox is
    written. Past ``deadline`` (a `time.monotonic` time) it ends the child with SIGKILL, unless a
    finished result is on its way to stdout. SIGTERM and SIGINT are passed on to the child, which
    has `SIGNAL_GRACE_SECONDS` to end before it is killed; what was waiting for stdout is then
    dropped. With ``end_with_parent``, the kernel ends the child when the parent ends (Linux), so
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
        set_parent(parent)
        if end_with_parent:
            _end_with_parent(parent)
        in_child(write_fd)
        return None
    os.close(write_fd)
    watch = _Watch(pid, read_fd, on_data, deadline, bytearray() if outbox is None else outbox)
    try:
        with _passing_signals_on(pid, watch.received) as wake:
            return watch.run(wake)
    finally:
        watch.close()


@contextlib.contextmanager
def _passing_signals_on(pid: int, received: list[int]) -> Iterator[int | None]:
    """SIGTERM and SIGINT go on to the child and are noted in ``received``; yields a descriptor
    that becomes readable when one arrives (None off the main thread, where none is caught)."""
    if threading.current_thread() is not threading.main_thread():
        yield None
        return

    def pass_on(signum: int, frame: Any) -> None:
        received.append(signum)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signum)

    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    # SIGINT stays ignored where the shell ignores it (a background job).
    previous = {
        sig: signal.signal(sig, pass_on)
        for sig in (signal.SIGTERM, signal.SIGINT)
        if signal.getsignal(sig) is not signal.SIG_IGN
    }
    old_wakeup = signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    try:
        yield wake_read
    finally:
        signal.set_wakeup_fd(old_wakeup)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(wake_read)
        os.close(wake_write)


class _Watch:
    """The parent's loop: the child's pipe in, stdout out, the child's end, signals, deadline."""

    def __init__(
        self,
        pid: int,
        read_fd: int,
        on_data: Callable[[bytes], None],
        deadline: float | None,
        outbox: bytearray,
    ) -> None:
        self.pid, self.read_fd, self.on_data = pid, read_fd, on_data
        self.deadline, self.outbox = deadline, outbox
        self.received: list[int] = []
        self.exited = _exit_watch(pid)
        self.status: int | None = None
        self.expired = False
        self.error: OSError | None = None
        self.kill_at: float | None = None
        self.reading = True
        self.chunk = _write_size(1)

    def run(self, wake: int | None) -> ChildEnd:
        while True:
            self._enforce_limits()
            if self.status is None:
                done, status = os.waitpid(self.pid, os.WNOHANG)
                if done:
                    self._ended(status)
            if self.status is not None and not self._writing():
                signalled = self.received[0] if self.received else None
                return ChildEnd(self.status, self.expired, signalled, self.error)
            self._wait(wake)

    def close(self) -> None:
        for fd in (self.read_fd, self.exited):
            if fd is not None:
                os.close(fd)

    def _writing(self) -> bool:
        return bool(self.outbox) and self.error is None and not self.received

    def _enforce_limits(self) -> None:
        now = time.monotonic()
        if self.received:
            self.outbox.clear()
            if self.kill_at is None:
                self.kill_at = now + SIGNAL_GRACE_SECONDS
        if self.status is not None:
            return
        if self.error is not None or (self.kill_at is not None and now >= self.kill_at):
            self._kill()
        elif self.deadline is not None and now >= self.deadline and not self.outbox:
            self.expired = True
            self._kill()

    def _kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        self._ended(os.waitpid(self.pid, 0)[1])

    def _ended(self, status: int) -> None:
        self.status = status
        if self.reading:
            # Read what is already in the pipe, without waiting for processes the child forked
            # that may still hold it.
            while self.reading and select.select([self.read_fd], [], [], 0)[0]:
                self._read()
            self.reading = False

    def _read(self) -> None:
        chunk = os.read(self.read_fd, 1 << 16)
        if chunk:
            self.on_data(chunk)
        else:
            self.reading = False  # the child closed the pipe: it is exiting

    def _wait(self, wake: int | None) -> None:
        now = time.monotonic()
        limits = []
        if self.status is None:
            # The deadline waits while a finished result is being written.
            deadline = None if self.outbox else self.deadline
            limits = [when - now for when in (self.kill_at, deadline) if when is not None]
            if self.exited is None:
                limits.append(0.05)  # without a pidfd to wait on, look at the child every 50 ms
        readable = [wake] if wake is not None else []
        if self.reading and len(self.outbox) < _OUTBOX_LIMIT:
            readable.append(self.read_fd)
        if self.status is None and self.exited is not None:
            readable.append(self.exited)
        writable = [1] if self._writing() else []
        ready, ready_to_write, _ = select.select(
            readable, writable, [], max(0.0, min(limits)) if limits else None
        )
        if wake is not None and wake in ready:
            with contextlib.suppress(BlockingIOError):
                os.read(wake, 512)
        if self.read_fd in ready:
            self._read()
        if ready_to_write:
            self._write()

    def _write(self) -> None:
        try:
            written = os.write(1, self.outbox[: self.chunk])
        except BlockingIOError:  # a non-blocking stdout that select called ready too early
            return
        except OSError as exc:
            self.error = exc
            return
        del self.outbox[:written]


def _write_size(fd: int) -> int:
    """How much one write to ``fd`` may take without blocking once select says it is ready: a
    pipe's page, or 64 KiB for a file or a terminal."""
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        return 1 << 16
    return select.PIPE_BUF if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else 1 << 16


def _exit_watch(pid: int) -> int | None:
    """A descriptor that becomes readable when process ``pid`` exits (Linux), else None."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def fork_server(serve: Callable[[int, int], None]) -> tuple[int, int, int] | None:
    """Fork a child that serves this process over two pipes, and ends with it.

    The child keeps the standard streams and its two pipes only (no descriptor of this process
    stays open in it), ignores SIGINT (Ctrl-C reaches the whole process group; this process
    decides when the child ends), is ended by the kernel when this process ends (Linux), runs
    ``serve(inbox, outbox)`` and exits at once: no handler of this process's runs in it at exit.

    Returns:
        ``(pid, inbox, outbox)``: the child's pid, the descriptor to read its answers from and
        the one to write to it; None where the platform has no fork.
    """
    if not hasattr(os, "fork"):
        return None
    flush_standard_streams()
    parent = os.getpid()
    down_read, down_write = os.pipe()
    up_read, up_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            _end_with_parent(parent)
            low, high = sorted((down_read, up_write))
            os.closerange(3, low)
            os.closerange(low + 1, high)
            os.closerange(high + 1, _descriptor_limit())
            serve(down_read, up_write)
        except BaseException:  # the parent sees the pipe close, and does the work itself
            code = 1
        finally:
            os._exit(code)
    os.close(down_read)
    os.close(up_write)
    return pid, up_read, down_write


def _descriptor_limit() -> int:
    try:
        return int(os.sysconf("SC_OPEN_MAX"))
    except (AttributeError, ValueError, OSError):
        return 1 << 16


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
