"""The supervisor of a distributed run: the process the user started watches the one that computes.

JAX's distributed runtime ends a process with SIGABRT and a C++ stack trace when another process
of the run dies or the coordinator cannot be reached in time: its health checks are fatal by
design, so they cannot be caught in Python. So that such a run still ends with one line on stderr
and exit code 4, `supervise_distributed` forks before JAX starts. The child computes, and reports
its own errors as every jaccli run does; the parent only waits, returns the child's exit code,
and, when the child was ended by a signal, says why, read from the runtime's log.

In the child, Python's ``sys.stdout`` and ``sys.stderr`` keep writing to the user's stdout and
stderr, while file descriptors 1 and 2 (where the native runtime writes its log, and Gloo its
connection notes, which would corrupt JSON on stdout) go to a pipe that the parent reads. With
``--traceback`` the parent shows that log.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import signal
import sys
from typing import Any

from ..errors import DistributedError
from .signals import Interrupted, Terminated
from .streams import flush_standard_streams
from .supervision import fork_watched

LOG_LIMIT = 1 << 20
_JOINED_LINE = re.compile(rb"^jaccli-joined (\d+) (\d+)$", re.MULTILINE)
_worker = False
_exit_code: int | None = None


def supervise_distributed(scale: Any, show_log: bool) -> int | None:
    """Fork: return None in the child (which goes on to compute), and the child's exit code in
    the parent once the child has ended.

    A supervisor ended by --timeout or SIGKILL takes the child with it (Linux), so that no worker
    is left behind. Where the platform has no fork, the run goes on unsupervised (None).

    Raises:
        DistributedError: in the parent, when the child was ended by a signal (exit 4).
    """
    log = bytearray()

    def become_worker(log_fd: int) -> None:
        global _worker
        _worker = True
        _become_worker(log_fd)

    def keep(chunk: bytes) -> None:
        log.extend(chunk)
        del log[:-LOG_LIMIT]

    ended = fork_watched(become_worker, keep, end_with_parent=True)
    if ended is None:
        return None
    if show_log:
        sys.stderr.write(log.decode(errors="replace"))
    if ended.signum is None:
        return ended.exit_code
    message, hint = cause(bytes(log), ended.signum, scale)
    raise DistributedError(message, hint=hint)


def _become_worker(log_fd: int) -> None:
    """Point fds 1 and 2 at the log pipe, and Python's stdout and stderr at the user's."""
    for name, fd in (("stdout", 1), ("stderr", 2)):
        stream = getattr(sys, name)
        try:
            kept = os.dup(fd)
        except OSError:  # started with this descriptor closed
            continue
        setattr(
            sys,
            name,
            open(  # noqa: SIM115  (it replaces sys.stdout/sys.stderr for the rest of the run)
                kept,
                "w",
                encoding=getattr(stream, "encoding", None) or "utf-8",
                errors=getattr(stream, "errors", None) or "strict",
                buffering=1 if name == "stderr" else -1,
            ),
        )
        os.dup2(log_fd, fd)
    os.close(log_fd)


def announce_joined(process: int, processes: int) -> None:
    """Tell the supervisor who this process is in the run (for its messages)."""
    if _worker:
        with contextlib.suppress(OSError):
            os.write(2, f"\njaccli-joined {process} {processes}\n".encode())


def worker_failed(exc: BaseException) -> None:
    """Note that the worker's command failed with ``exc``. Once its error is reported, the worker
    then exits at once, without waiting at the runtime's shutdown barrier for processes that
    are still computing (they would abort it after the timeout, and the supervisor would report
    a lost process instead of this error)."""
    global _exit_code
    if not _worker:
        return
    if isinstance(exc, (KeyboardInterrupt, Interrupted)):
        code = 130
    elif isinstance(exc, Terminated):
        code = 143
    elif isinstance(exc, BrokenPipeError):
        code = 141
    else:
        found = getattr(exc, "exit_code", None)
        code = found if isinstance(found, int) else 3
    if code == 0:
        return
    if _exit_code is None:
        # Registered last, so it runs first, before JAX's own exit handlers.
        atexit.register(_leave)
    _exit_code = code


def _leave() -> None:
    flush_standard_streams()
    os._exit(_exit_code if _exit_code is not None else 3)


def cause(log: bytes, signum: int, scale: Any) -> tuple[str, str]:
    """The one-line message and hint for a worker ended by ``signum``, from its native log;
    ``scale.labels`` names the options in them (``--traceback`` on the command line)."""
    text = log.decode(errors="replace")
    found = _JOINED_LINE.findall(log)
    timeout = f"{scale.timeout:g} s"
    name = scale.labels
    hint = (
        "every process reports its own error on its own stderr; rerun with "
        f"{name('traceback')} to see JAX's log"
    )
    status = re.search(r"absl::Status: ([A-Z_]+): ([^\n\[]*)", text)
    if not found:
        who = "this process" if scale.process_id is None else f"process {scale.process_id}"
        at = f" at {scale.coordinator}" if scale.coordinator else ""
        if status and status.group(1) == "DEADLINE_EXCEEDED":
            message = (
                f"not every process joined the distributed run at the coordinator{at} within "
                f"{timeout} ({who} gave up)"
                if scale.process_id == 0
                else f"{who} could not join the distributed run: no answer from the "
                f"coordinator{at} within {timeout}"
            )
            return (
                message,
                f"start every process (e.g. srun -n N jaccli ... {name('distributed')}); check "
                "that the coordinator's HOST:PORT is reachable from every host, or raise "
                f"{name('distributed_timeout')}",
            )
        detail = f"{status.group(1)}: {status.group(2).strip()}" if status else _name(signum)
        return f"{who} could not join the distributed run: {detail}", hint
    process, processes = (int(x) for x in found[-1])
    who = f"process {process} of {processes}"
    silent = re.search(r"stopped sending heartbeats\):\s*\n?([\d,\s]+?)\s*\n", text)
    if silent:
        ranks = ", ".join(silent.group(1).replace(",", " ").split())
        return (
            f"the distributed run lost process {ranks}: it stopped responding for {timeout} "
            f"({who} gave up)",
            hint,
        )
    if "Failed to send RPC to coordination service" in text:
        return f"the distributed run lost its coordinator, process 0 ({who} gave up)", hint
    if status and "barrier" in status.group(2).lower():
        return (
            f"the distributed run ended unevenly: not every process reached the end within "
            f"{timeout} ({who} gave up)",
            hint,
        )
    if status:
        detail = f"{status.group(1)}: {status.group(2).strip()}"
        return f"the distributed run failed on {who}: {detail}", hint
    return f"the distributed run failed: {who} was ended by {_name(signum)}", hint


def _name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"
