"""Process-level settings and guards for the command line: JAX's persistent compilation cache,
the --timeout deadline and termination signals.

The deadline is a watchdog thread rather than SIGALRM because Python signal handlers only run
between bytecodes, and the work being bounded may sit for minutes inside XLA's compiler or a
long-running C call. When the deadline passes, the watchdog writes the error, removes any
half-written output file, and ends the process with exit code 4.

A thread still needs the GIL, and a C call that holds it (a huge integer power, a SymPy
routine in C, an extension module) would keep the watchdog from ever running. So the console
script runs the command in a child process under `supervise`: the parent only waits, and ends
the child from outside if it outlives the deadline by `SUPERVISOR_GRACE_SECONDS`.
"""

from __future__ import annotations

import contextlib
import errno
import importlib.util
import os
import select
import signal
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ..errors import UsageError

CACHE_BYTES = 1 << 30


def cache_directory() -> str:
    """Where compiled programs are kept: ``$JACCLI_CACHE_DIR``, else ``jaccli/jax`` in the user's
    cache directory (``$XDG_CACHE_HOME``, else ``~/.cache``)."""
    explicit = os.environ.get("JACCLI_CACHE_DIR")
    if explicit:
        return os.path.expanduser(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaccli", "jax")


def use_compilation_cache(enabled: bool = True) -> str | None:
    """Turn on JAX's persistent compilation cache for this process, so that a repeated run loads
    its compiled programs instead of compiling them again; returns the directory, or None.

    Off with ``enabled=False`` (``--no-cache``) or ``JACCLI_NO_CACHE=1``; the user's own
    ``JAX_COMPILATION_CACHE_DIR`` wins. It works through JAX's environment variables, so it must
    run before JAX is imported (after that, it does nothing). A directory that cannot be created
    or written leaves the cache off: it only saves time, and a read-only home must not fail a run.
    """
    if not enabled or os.environ.get("JACCLI_NO_CACHE", "") not in ("", "0"):
        return None
    if "jax" in sys.modules:
        return None
    directory = os.environ.get("JAX_COMPILATION_CACHE_DIR") or cache_directory()
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return None
    if not os.access(directory, os.W_OK | os.X_OK):
        return None
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", directory)
    # jaccli's programs are small and compile in well under JAX's default threshold of 1 s,
    # but loading one still saves most of a cold run's compile time.
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    if _installed("filelock"):
        # JAX bounds the cache only with filelock installed; without it, a bound is an error.
        os.environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(CACHE_BYTES))
        _mend_cache_entries(directory)
    # The cache only saves time: a failed read or write (another jaccli evicting the same entry
    # at the same moment) costs a compile, and is not worth a warning on every run.
    warnings.filterwarnings(
        "ignore", message="Error (reading|writing) persistent compilation cache entry"
    )
    return directory


def _mend_cache_entries(directory: str) -> None:
    """Give every cached program that lacks its access-time file one that makes it the oldest.

    A run ended between JAX writing ``KEY-cache`` and ``KEY-atime`` (Ctrl-C, --timeout, two runs
    evicting at once) leaves a program without its access time. JAX's bounded cache then fails
    every later write with FileNotFoundError (jax-ml/jax#39880, fixed after JAX 0.10.2), so the
    cache would stop growing for good. Access time 0 is what JAX's fix gives such an entry too.
    """
    try:
        names = set(os.listdir(directory))
    except OSError:
        return
    for name in names:
        key = name.removesuffix("-cache")
        if key != name and f"{key}-atime" not in names:
            path = os.path.join(directory, f"{key}-atime")
            with contextlib.suppress(OSError), open(path, "xb") as atime:
                atime.write((0).to_bytes(8, "little"))


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: a module blocked with sys.modules[name] = None
        return False


class Terminated(BaseException):
    """Raised in the main thread on SIGTERM so cleanup runs and the exit code is 143."""


class Interrupted(BaseException):
    """Raised in the main thread on Ctrl-C (SIGINT) so cleanup runs and the exit code is 130.

    Not a KeyboardInterrupt: typer's command runner turns that into a bare exit 130 before
    `cli.main` could remove half-written files and say "interrupted".
    """


def stdout_is_terminal() -> bool:
    """Whether stdout is a terminal; False when the process started with stdout closed."""
    return sys.stdout is not None and sys.stdout.isatty()


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
    `deadline`). The parent waits and returns the exit code to end with: the child's, 128+N
    if a signal N ended it, or 4 after it had to end the child with SIGKILL — in which case
    ``on_expire`` is called with the files the child was still writing, to remove them and
    report. Returns None without forking where fork is missing or unsafe (JAX already loaded,
    with its threads).
    """
    if not hasattr(os, "fork") or "jax" in sys.modules:
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
    code = os.waitstatus_to_exitcode(ended.status)
    return code if code >= 0 else 128 - code


@dataclass(frozen=True)
class ChildEnd:
    """How a child of `fork_watched` ended: its wait status, and whether the deadline did it."""

    status: int
    expired: bool


def fork_watched(
    in_child: Callable[[int], None],
    on_data: Callable[[bytes], None],
    deadline: float | None = None,
) -> ChildEnd | None:
    """Fork, with a pipe from the child to the parent; the parent only watches the child.

    In the child, ``in_child`` gets the pipe's write end, and None is returned: the child goes
    on with the program. The parent passes whatever arrives on the pipe to ``on_data`` until the
    child has ended, and returns how it ended; past ``deadline`` (a `time.monotonic` time) it
    ends the child with SIGKILL first. While it waits, SIGTERM is passed on to the child and
    SIGINT is ignored: Ctrl-C reaches the whole foreground process group, the child included
    (as ``system()`` does).
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
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


# How long a signal's exception has to end the run before the process is ended without it.
SIGNAL_GRACE_SECONDS = 2.0


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

    def on_sigterm(signum: int, frame: Any) -> None:
        _end_after_grace(143, "jaccli: terminated\n")
        raise Terminated()

    def on_sigint(signum: int, frame: Any) -> None:
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
    # Leave SIGINT alone where Python did not install its own handler (ignored by the shell).
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is signal.default_int_handler:
        signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        signal.signal(signal.SIGTERM, previous_term)
        if previous_int is signal.default_int_handler:
            signal.signal(signal.SIGINT, previous_int)


def _end_after_grace(code: int, message: str) -> None:
    """End the process with ``code`` unless it has ended by itself within the grace period,
    doing what `cli.main` does for a signal: remove half-written files and say so."""

    def watch() -> None:
        time.sleep(SIGNAL_GRACE_SECONDS)
        # Still here: the exception was lost (or the interpreter is slow to shut down, in which
        # case cli.main has already cleaned up and reported).
        if not sys.is_finalizing():
            from .._runtime import files

            files.remove_partial_files()
            with contextlib.suppress(Exception):
                sys.stderr.write(message)
                sys.stderr.flush()
        os._exit(code)

    threading.Thread(target=watch, name="jaccli-signal", daemon=True).start()


class ReaderGone(BrokenPipeError):
    """stdout's reader went away (``| head -1``): `cli.main` ends quietly with exit 141.

    It carries no errno on purpose: typer's command runner turns an OSError whose errno is EPIPE
    into a bare exit 1 before `cli.main` sees it, and 1 means "computed, but not clean".
    """


def write_stdout(data: str | bytes) -> None:
    """Write finished output to stdout in one go and flush it.

    A reader that went away (EPIPE) surfaces as `ReaderGone` for `cli.main` to end quietly;
    any other write failure (a full disk, /dev/full, stdout closed) is an error with a non-zero
    exit. Either way stdout is pointed at /dev/null afterwards so the interpreter's final flush
    stays silent.
    """
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        raise UsageError(
            "cannot write the result to stdout: stdout is closed",
            hint="give stdout somewhere to go, or write a file with --output FILE",
        )
    try:
        sys.stdout.flush()
        buffer = getattr(sys.stdout, "buffer", None)
        if buffer is None:  # a text-only stream put in place by the caller
            sys.stdout.write(data if isinstance(data, str) else data.decode())
            sys.stdout.flush()
            return
        if isinstance(data, str):
            data = data.encode(sys.stdout.encoding or "utf-8", sys.stdout.errors or "strict")
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
        silence_stdout()
        if isinstance(exc, BrokenPipeError):
            raise ReaderGone("the reader of stdout went away") from None
        raise UsageError(
            f"cannot write the result to stdout: {exc.strerror or exc}",
            hint="check the disk or the pipe stdout goes to",
        ) from None


def silence_stdout() -> None:
    """Point file descriptor 1 at /dev/null (after a failed write nothing more can go there)."""
    try:
        fd = sys.stdout.fileno()
    except (OSError, ValueError, AttributeError):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
