"""Ending a run on a signal or at its deadline, with cleanup and the exit code SPEC §6 gives.

SIGTERM becomes `Terminated` (exit 143) and Ctrl-C `Interrupted` (exit 130), so that `cli.main`
removes half-written files and says why before it ends.

The console script runs the command in a supervised child (`parent.supervise`), whose parent
reports the signal and keeps the --timeout deadline from outside. Where the command runs in one
process (no fork, or a call from Python), the deadline is a watchdog thread rather than SIGALRM,
because Python signal handlers only run between bytecodes, and the work being bounded may sit
for minutes inside XLA's compiler or a long-running C call. When the deadline passes, the
watchdog writes the error, removes any half-written output file, and ends the process with exit
code 4 (a C call that holds the GIL keeps that thread from running too).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .channel import in_child
from .files import remove_partial_files

# How long a signal's exception has to end the run before the process is ended without it.
SIGNAL_GRACE_SECONDS = 2.0


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM so cleanup runs and the exit code is 143."""


class Interrupted(BaseException):
    """Raised in the main thread on Ctrl-C (SIGINT) so cleanup runs and the exit code is 130.

    Not a KeyboardInterrupt: typer's command runner turns that into a bare exit 130 before
    `cli.main` could remove half-written files and say "interrupted".
    """


@contextlib.contextmanager
def deadline(seconds: float | None, on_expire: Callable[[], None]) -> Iterator[None]:
    """Run the body with a wall-clock limit; ``on_expire`` reports and cleans up, then exit 4."""
    if not seconds:
        yield
        return
    finished = threading.Event()

    def watch() -> None:
        if not finished.wait(seconds):
            try:
                on_expire()
            finally:
                os._exit(4)

    watcher = threading.Thread(target=watch, name="jaccli-deadline", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        finished.set()


@contextlib.contextmanager
def terminate_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM into `Terminated` and Ctrl-C (SIGINT) into `Interrupted` while the body runs,
    and make sure that neither is lost (main thread only).

    A signal's exception is raised wherever the main thread happens to be, and that can be a
    garbage-collection callback (JAX registers one) or a ``__del__``, where Python prints
    "Exception ignored" and carries on: the run would go on to the end and exit 0. So each
    signal also starts `_end_after_grace`, which ends the process if the exception did not.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    ending: list[int] = []

    def on_sigterm(signum: int, frame: Any) -> None:
        if not ending:  # once: Ctrl-C reaches a supervised child twice, from the terminal
            _begin_ending(ending, signum)  # and from its parent; cleanup must not be cut short
            _end_after_grace(143, "jaccli: terminated\n")
            raise Terminated()

    def on_sigint(signum: int, frame: Any) -> None:
        if not ending:
            _begin_ending(ending, signum)
            _end_after_grace(130, "jaccli: interrupted\n")
            raise Interrupted()

    def quiet_lost_signal(unraisable: Any) -> None:
        # A signal's exception lost in a callback: the watchdog above ends the run; Python's
        # "Exception ignored ... Traceback" would only be noise on stderr.
        if isinstance(unraisable.exc_value, (KeyboardInterrupt, Interrupted, Terminated)):
            return
        previous_hook(unraisable)

    previous_hook = sys.unraisablehook
    sys.unraisablehook = quiet_lost_signal
    previous_term = signal.signal(signal.SIGTERM, on_sigterm)
    # Leave SIGINT alone where the shell ignores it (a background job) or it was reset.
    previous_int = signal.getsignal(signal.SIGINT)
    if callable(previous_int):
        signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        signal.signal(signal.SIGTERM, previous_term)
        if callable(previous_int):
            signal.signal(signal.SIGINT, previous_int)


def _begin_ending(ending: list[int], signum: int) -> None:
    """Note that the run is ending on ``signum``. A supervised child then says nothing more: its
    parent reports the signal, and what the interrupted code might print on its way out (a
    library's traceback of the signal's exception) is noise."""
    ending.append(signum)
    if in_child():
        with contextlib.suppress(OSError):
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, 2)
            os.close(null)


def _end_after_grace(code: int, message: str) -> None:
    """End the process with ``code`` unless it has ended by itself within the grace period,
    doing what `cli.main` does for a signal: remove half-written files and say so."""

    def watch() -> None:
        time.sleep(SIGNAL_GRACE_SECONDS)
        # Still here: the exception was lost (or the interpreter is slow to shut down, in which
        # case cli.main has already cleaned up and reported).
        if not sys.is_finalizing():
            remove_partial_files()
            with contextlib.suppress(Exception):
                sys.stderr.write(message)
                sys.stderr.flush()
        os._exit(code)

    threading.Thread(target=watch, name="jaccli-signal", daemon=True).start()
