"""The half-written files of a supervised run, removed even when its parent is killed outright.

The child tells its parent (`parent.supervise`) the names of the temp files it is writing. The
parent removes them when it has to end the child; but ``kill -9`` of the parent ends the child
too (the kernel's parent-death signal), and neither can clean up. So once a first temp file is
begun, the parent forks a keeper: a small process that holds the names, and removes them when
its pipe from the parent closes without the parent having said the run is over. A run that
writes no file forks no keeper.
"""

from __future__ import annotations

import contextlib
import os
import signal

# Messages to the keeper: a name begun, a name finished, the run is over.
_BEGUN, _FINISHED, _OVER = b"+", b"-", b"."


class Leftovers:
    """The temp files a child is half-way through writing, as its parent knows them."""

    def __init__(self) -> None:
        self.paths: set[str] = set()
        self.keeper: tuple[int, int] | None = None  # its pid, and its pipe's write end

    def begun(self, path: str) -> None:
        """``path`` is being written."""
        self.paths.add(path)
        self._tell(_BEGUN + os.fsencode(path))

    def finished(self, path: str) -> None:
        """``path`` was renamed into place or removed by the child."""
        self.paths.discard(path)
        self._tell(_FINISHED + os.fsencode(path))

    def remove(self) -> None:
        """Remove the files still half-written (the child was ended before it finished them)."""
        for path in self.paths:
            with contextlib.suppress(OSError):
                os.unlink(path)
        self.paths.clear()

    def close(self) -> None:
        """The run is over: the keeper leaves without removing anything."""
        if self.keeper is not None:
            self._tell(_OVER)
            pid, fd = self.keeper
            self.keeper = None
            os.close(fd)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)

    def _tell(self, message: bytes) -> None:
        framed = len(message).to_bytes(4, "big") + message
        if self.keeper is None:
            if message[:1] == _BEGUN:
                self.keeper = _start_keeper(framed)
            return
        with contextlib.suppress(OSError):
            os.write(self.keeper[1], framed)


def _start_keeper(first: bytes) -> tuple[int, int] | None:
    """Fork the keeper with the ``first`` message already in its pipe (a ``kill -9`` just after
    the fork must not find the keeper without the name); return its pid and the write end of
    its pipe (None without fork)."""
    if not hasattr(os, "fork"):
        return None
    read_fd, write_fd = os.pipe()
    os.write(write_fd, first)
    pid = os.fork()
    if pid:
        os.close(read_fd)
        return pid, write_fd
    try:
        _keep(read_fd)
    finally:
        os._exit(0)


def _keep(read_fd: int) -> None:
    """The keeper's life: note names until the pipe closes; remove those left unless the
    parent said the run is over."""
    # Signals are the parent's to handle (Ctrl-C reaches the whole process group), and the
    # keeper holds none of the run's descriptors, so that no reader waits for it.
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.closerange(3, read_fd)
    os.closerange(read_fd + 1, 1 << 16)
    paths: set[bytes] = set()
    pending = b""
    while True:
        chunk = os.read(read_fd, 1 << 16)
        if not chunk:
            break
        pending += chunk
        while len(pending) >= 4 and len(pending) >= 4 + int.from_bytes(pending[:4], "big"):
            end = 4 + int.from_bytes(pending[:4], "big")
            kind, name = pending[4:5], pending[5:end]
            pending = pending[end:]
            if kind == _OVER:
                return
            (paths.add if kind == _BEGUN else paths.discard)(name)
    for name in paths:
        with contextlib.suppress(OSError):
            os.unlink(name)
