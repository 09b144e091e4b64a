"""The parent of a command-line run: it forks before JAX loads, runs the command in the child,
and owns what leaves the run.

- stdout. The child's file descriptor 1 is its stderr, so nothing the user's function writes
  (``print``, ``os.write(1, ...)``, ``jax.debug.print`` from XLA's threads) reaches stdout. Its
  results come to the parent through `channel`, and go out whole or not at all.
- Signals. SIGTERM and SIGINT are passed on to the child, which is killed if it has not ended
  within `supervision.SIGNAL_GRACE_SECONDS` (a native call may not return for minutes); the run
  then ends with 143 or 130, nothing more on stdout, and no half-written file.
- The --timeout deadline, kept from outside, where a C call that holds the GIL cannot stop it.
- The end. A child ended by a signal crashed; one that exited without reporting its exit code
  was ended by its function (``os._exit``); each is one error line and exit 3.
- The child dies with the parent (`supervision.fork_watched`), and never renames a file into
  place once its parent is gone (`files`); what it was half-way through writing is removed by
  the keeper of `leftovers`, even when the parent is killed outright.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Callable

from ..errors import FunctionError, JaccliError, ResourceError
from .channel import EXIT, STDOUT, WRITING, WRITTEN, Frames, attach
from .leftovers import Leftovers
from .signals import Interrupted, Terminated
from .streams import flush_standard_streams, stdout_failure
from .supervision import ChildEnd, fork_watched

# The pid of this process once it has supervised a child (a forked child is another pid).
_SUPERVISOR: list[int] = []


def supervise(seconds: float | None, timed_out: Callable[[], JaccliError]) -> int | None:
    """Run the rest of the program in a child process; return None in the child, which goes on
    with the command. In the parent, return the exit code the child reported, once its results
    are on stdout, or raise what ended the run: `Terminated` or `Interrupted` for a signal,
    ``timed_out()`` past ``seconds``, a `FunctionError` when the child crashed or was ended by
    its function, a `ResourceError` when it was killed, the failure to write stdout.

    Returns None without forking where fork is missing or unsafe (JAX already loaded, with its
    threads).
    """
    if "jax" in sys.modules:
        return None
    stdout = _standard_streams()
    frames = Frames()
    outbox = bytearray()
    writing = Leftovers()
    reported: list[int] = []

    def on_data(chunk: bytes) -> None:
        for kind, payload in frames.feed(chunk):
            if kind == STDOUT:
                outbox.extend(payload)
            elif kind in (WRITING, WRITTEN):
                (writing.begun if kind == WRITING else writing.finished)(os.fsdecode(payload))
            elif kind == EXIT:
                reported.append(int(payload))

    def become_child(fd: int) -> None:
        attach(fd, *stdout)
        # From here on, whatever is written to file descriptor 1 goes to stderr.
        os.dup2(2, 1)
        with contextlib.suppress(AttributeError, ValueError):
            sys.stdout.reconfigure(line_buffering=True)

    deadline = None if seconds is None else time.monotonic() + seconds
    try:
        ended = fork_watched(become_child, on_data, deadline, end_with_parent=True, outbox=outbox)
        if ended is None:
            return None
        clean = _clean(ended, reported)
        if not clean:
            writing.remove()
    finally:
        writing.close()
    _SUPERVISOR.append(os.getpid())
    if clean:
        return reported[-1]
    raise _failure(ended, reported[-1] if reported else None, timed_out)


def _clean(ended: ChildEnd, reported: list[int]) -> bool:
    """Whether the child ended the run itself, with the exit code it reported. Past the
    deadline, a child that had already reported was only shutting down."""
    clean = not (ended.signalled or ended.output_error)
    return clean and bool(reported) and reported[-1] not in (130, 143)


def end_supervisor(code: int) -> None:
    """End a supervising parent at once with ``code`` once it has reported: it holds nothing
    that needs the interpreter's shutdown, which would only add to the run's time."""
    if os.getpid() in _SUPERVISOR:
        flush_standard_streams()
        os._exit(code)


def _failure(
    ended: ChildEnd, reported: int | None, timed_out: Callable[[], JaccliError]
) -> BaseException:
    """What ended a run whose child did not end cleanly, as the exception that reports it."""
    if ended.signalled is not None:
        return Terminated() if ended.signalled == signal.SIGTERM else Interrupted()
    if ended.output_error is not None:
        return stdout_failure(ended.output_error)
    if ended.expired:
        return timed_out()
    code = reported if reported is not None else ended.exit_code
    if code in (130, 143):  # the child itself was sent the signal
        return Interrupted() if code == 130 else Terminated()
    if ended.signum == signal.SIGKILL:
        return ResourceError(
            "the computation was killed (SIGKILL), most likely by the system for using too much "
            "memory",
            hint="differentiate fewer inputs or a smaller point, or use jvp/vjp",
        )
    if ended.signum is not None:
        return FunctionError(
            f"the function crashed the process ({_signal_name(ended.signum)})",
            hint="native code under it (an extension module, ctypes, or XLA) failed; "
            "no result was written",
        )
    return FunctionError(
        f"the function ended the process (exit status {code}) before jaccli could finish",
        hint="os._exit() or a C library's exit() ends the process at once; raise an exception "
        "to report a failure",
    )


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _standard_streams() -> tuple[bool, bool, int | None]:
    """Stdout as it is (a terminal, closed, its width); a closed standard descriptor is opened
    on /dev/null, so that no pipe of the parent's takes its number."""
    closed = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            closed.append(fd)
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
    tty = 1 not in closed and os.isatty(1)
    columns = None
    if tty:
        with contextlib.suppress(OSError):
            columns = os.get_terminal_size(1).columns
    return tty, 1 in closed, columns
