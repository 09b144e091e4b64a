"""SymPy's exact derivative of a function at its point, for `check`: in this process, or in a
process of its own that imports SymPy while this one imports JAX.

Importing SymPy costs about a third of a second, as much as the rest of a small check. So the
console, before it loads the function (and JAX), forks a process for it (`start`); that process
imports SymPy on another core while this one imports JAX, traces the function and computes the
other references. The traced program crosses as plain data (`conversion.Traced`, `portable`),
an expression as its parse (`conversion.Written`).
What only this process can do, binding a primitive on constant operands and naming the user's
line, the other one asks of it, and this one answers while it waits for the result
(`Pending.result`). The SymPy process stops itself after `limits.MAX_CPU_SECONDS` of CPU.

The result is the same as here: a program the other process cannot read (`NotPortable`), or a
process that cannot start or fails, gives the work back, and it is done here. Where SymPy is in
this process already (a program that calls jaccli, a test run) nothing is started.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pickle
import signal
import struct
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import IO, Any

import numpy as np

from . import limits
from .conversion import Traced, Written, at_point, preload, sympy_form
from .limits import SymbolicTooLarge, SymbolicUnavailable, fewer_inputs_hint
from .portable import Host, NotPortable

_LENGTH = struct.Struct("<Q")

_worker: _Worker | None = None


def start() -> None:
    """Make SymPy ready for `exact_at`: start its process (`launch`), unless SymPy is in this
    process already (then the derivatives are computed here at no import cost) or one was
    started; where no process can start, import SymPy here now."""
    if _worker is None and "sympy" not in sys.modules and not launch():
        preload()


def launch() -> bool:
    """Start a SymPy process for the next `exact_at` (one is kept); False where none can start:
    no fork on this platform, or JAX already imported (a fork after JAX has started its threads
    may deadlock in the child)."""
    global _worker
    if _worker is None and "jax" not in sys.modules:
        try:
            _worker = _Worker.fork()
        except OSError:
            return False
    return _worker is not None


def exact_derivative(sym: Any, order: int) -> np.ndarray:
    """SymPy's Jacobian (``order=2``: Hessian) of a `SymbolicFunction`, at its point."""
    from .differentiation import hessian, jacobian
    from .evaluation import evaluate

    matrix = jacobian(sym).matrix if order == 1 else hessian(sym).matrix
    return evaluate(matrix, sym.point)


class Pending:
    """SymPy's derivative of a function at its point, under way (`exact_at`).

    ``where`` says where it was computed, once it was: ``"process"`` (the SymPy process) or
    ``"here"``.
    """

    def __init__(self, compute: Callable[[], np.ndarray], worker: _Worker | None = None) -> None:
        self._compute = compute
        self._worker = worker
        self.where = ""

    def result(self) -> np.ndarray:
        """The derivative's values, row-major as SymPy's matrix lays them out.

        Raises:
            SymbolicUnavailable: SymPy cannot stand for the function (the reason says why).
        """
        if self._worker is not None:
            try:
                values = self._worker.result()
                self.where = "process"
                return values
            except SymbolicUnavailable:
                self.where = "process"
                raise
            except _GiveBack:
                pass
            finally:
                self.close()
        self.where = "here"
        return self._compute()

    def close(self) -> None:
        """End the SymPy process, if this derivative was sent to it (a check that stops early
        leaves no process computing behind it)."""
        worker, self._worker = self._worker, None
        if worker is not None:
            worker.close()


def exact_at(problem: Any, order: int) -> Pending:
    """Start SymPy's Jacobian (``order=2``: Hessian) of ``problem``'s function at its point: a
    file's function is traced now; it, or an expression, is sent to the SymPy process where one
    runs (`start`)."""
    try:
        target, host = at_point(problem)
    except SymbolicUnavailable as exc:
        refusal = exc

        def refuse() -> np.ndarray:
            raise refusal

        return Pending(refuse)

    def here() -> np.ndarray:
        return exact_derivative(sympy_form(target, host), order)

    global _worker
    worker, _worker = _worker, None  # one request each: a later one is computed here
    if worker is None or worker.owner != os.getpid():  # none, or a forked parent's
        return Pending(here)
    if not worker.submit(target, order, host):
        worker.close()
        return Pending(here)
    return Pending(here, worker)


class _GiveBack(Exception):
    """The other process did not compute the derivative: it is computed here."""


class _Worker:
    """This process's end of the SymPy process, which answers one request."""

    def __init__(self, pid: int, inbox: int, outbox: int) -> None:
        self.owner = os.getpid()
        self.pid = pid
        self.inbox = os.fdopen(inbox, "rb")
        self.outbox = os.fdopen(outbox, "wb")
        self.host: Host | None = None
        self.sender: threading.Thread | None = None
        self.sender_failed = False
        atexit.register(self.close)  # for a program that calls jaccli; the console exits at
        # once, and the kernel ends the SymPy process with it

    @classmethod
    def fork(cls) -> _Worker | None:
        """The SymPy process, forked from this one before JAX is imported; None without fork."""
        from .._runtime import fork_server

        ends = fork_server(serve)
        return cls(*ends) if ends is not None else None

    def submit(self, target: Written | Traced, order: int, host: Host | None) -> bool:
        """Send a request; False (and nothing sent) where it cannot cross."""
        try:
            payload = pickle.dumps((target, order))
        except Exception:  # a value no pickle takes: the derivative is computed here
            return False

        def send() -> None:
            # In a thread: the other process reads it once SymPy is in, and a large program
            # fills the pipe before then.
            try:
                _write_bytes(self.outbox, payload)
            except OSError:
                self.sender_failed = True

        self.host = host
        self.sender = threading.Thread(target=send, daemon=True)
        self.sender.start()
        return True

    def result(self) -> np.ndarray:
        """The answer to the request, answering the other process's questions meanwhile."""
        assert self.sender is not None
        host = self.host
        self.sender.join()
        if self.sender_failed:
            self.close()
            raise _GiveBack
        try:
            while True:
                kind, *body = _read(self.inbox)
                if kind == "bind" and host is not None:
                    _write(self.outbox, _answer(host.bind, *body))
                elif kind == "line" and host is not None:
                    _write(self.outbox, ("value", host.source_line(*body)))
                elif kind == "done":
                    return body[0]
                elif kind == "refused":
                    raise _refusal(*body)
                else:  # "give back": what it cannot read, or a failure of its own
                    raise _GiveBack
        except (OSError, EOFError, pickle.UnpicklingError, ValueError):
            self.close()
            raise _GiveBack from None
        finally:
            self.sender = self.host = None

    def close(self) -> None:
        if self.pid:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        for pipe in (self.inbox, self.outbox):
            with contextlib.suppress(OSError):
                pipe.close()


def _answer(compute: Callable[..., Any], *args: Any) -> tuple[Any, ...]:
    try:
        return ("value", compute(*args))
    except SymbolicUnavailable as exc:
        return _refused(exc)


def _refused(exc: SymbolicUnavailable) -> tuple[Any, ...]:
    return ("refused", isinstance(exc, SymbolicTooLarge), exc.reason, exc.hint, exc.located)


def _refusal(too_large: bool, reason: str, hint: str | None, located: bool) -> SymbolicUnavailable:
    exc = (SymbolicTooLarge if too_large else SymbolicUnavailable)(reason, hint=hint)
    exc.located = located
    return exc


def _write(pipe: IO[bytes], message: Any) -> None:
    _write_bytes(pipe, pickle.dumps(message))


def _write_bytes(pipe: IO[bytes], payload: bytes) -> None:
    pipe.write(_LENGTH.pack(len(payload)) + payload)
    pipe.flush()


def _read(pipe: IO[bytes]) -> Any:
    head = pipe.read(_LENGTH.size)
    if len(head) < _LENGTH.size:
        raise EOFError("the SymPy process ended")
    (length,) = _LENGTH.unpack(head)
    payload = pipe.read(length)
    if len(payload) < length:
        raise EOFError("the SymPy process ended")
    return pickle.loads(payload)


class _AskingHost:
    """The `Host` of the SymPy process: it asks the process that traced the program."""

    def __init__(self, inbox: IO[bytes], outbox: IO[bytes]) -> None:
        self.inbox, self.outbox = inbox, outbox

    def _ask(self, *question: Any) -> Any:
        with _whole_messages():
            _write(self.outbox, question)
            kind, *body = _read(self.inbox)
        if kind == "refused":
            raise _refusal(*body)
        return body[0]

    def bind(self, index: int, values: Sequence[np.ndarray]) -> list[np.ndarray]:
        return self._ask("bind", index, list(values))

    def source_line(self, index: int) -> tuple[str, str]:
        return self._ask("line", index)


def serve(inbox_fd: int, outbox_fd: int) -> None:
    """The SymPy process: import SymPy, then answer one request (none if the other end closes
    first)."""
    import gc
    import traceback

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # nothing printed or warned reaches the user's streams
    os.dup2(devnull, 2)
    inbox, outbox = os.fdopen(inbox_fd, "rb"), os.fdopen(outbox_fd, "wb")
    gc.disable()
    preload()
    gc.freeze()  # SymPy's modules, walked by no later collection
    gc.enable()
    try:
        target, order = _read(inbox)
    except EOFError:
        return
    try:
        with _cpu_limit(limits.MAX_CPU_SECONDS, target.labels):
            derivative = exact_derivative(sympy_form(target, _AskingHost(inbox, outbox)), order)
        reply: tuple[Any, ...] = ("done", derivative)
    except NotPortable as exc:
        reply = ("give back", str(exc))
    except SymbolicUnavailable as exc:
        reply = _refused(exc)
    except Exception:  # a failure of this process: the other one does the work itself
        reply = ("give back", traceback.format_exc())
    _write(outbox, reply)


@contextlib.contextmanager
def _cpu_limit(seconds: float, labels: Any) -> Iterator[None]:
    """Refuse the work inside once this process has spent ``seconds`` of CPU on it (its waits
    for the other process's answers spend none): a `SymbolicTooLarge`, which the other process
    reports as the reference's reason. For the SymPy process only, whose state nobody reads
    after an interruption."""

    def out_of_time(signum: int, frame: Any) -> None:
        raise SymbolicTooLarge(
            f"SymPy's work took more than {seconds:g} s of CPU, and was stopped",
            hint=fewer_inputs_hint(labels),
        )

    if not hasattr(signal, "setitimer"):
        yield
        return
    previous = signal.signal(signal.SIGVTALRM, out_of_time)
    # Again every half second after the first: a refusal swallowed by a broad ``except`` inside
    # SymPy comes back.
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds, 0.5)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous)


@contextlib.contextmanager
def _whole_messages() -> Iterator[None]:
    """Hold the CPU limit's signal while a message is written or read, so that the other
    process never gets half of one."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGVTALRM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGVTALRM})
