"""Start the commands a benchmark measures, each in a fresh process, and time them from outside.

Every run goes through `bench/tools/spawn.py`, a small process of its own that starts the
command and reports its wall time, CPU time and peak memory (see that script for why). The
runs of a benchmark are interleaved: one run of everything per round, in an order rotated each
round (`rounds`), so that a slow spell of a busy machine lands on all of them.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
SPAWN = ROOT / "bench" / "tools" / "spawn.py"

Item = TypeVar("Item")


@dataclass
class Spawned:
    """One finished process, as `bench/tools/spawn.py` saw it."""

    wall: float
    cpu: float  # user + system seconds, all threads: steadier than wall on a busy machine
    max_rss_mib: float
    returncode: int
    stderr: str
    timed_out: bool


def installed(modules: Sequence[str]) -> bool:
    """Whether every module can be imported (found without importing the module itself)."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in modules)
    except ModuleNotFoundError:  # the parent package of a dotted name is missing
        return False


def environment(
    extra: Mapping[str, str] | None = None, cleared: Collection[str] = ()
) -> dict[str, str]:
    """This process's environment without ``cleared``, with ``bench`` importable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in cleared}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def jaccli_command() -> list[str]:
    """The installed console script (beside this interpreter), else ``python -m jaccli``."""
    beside = Path(sys.executable).with_name("jaccli")
    return [str(beside)] if beside.exists() else [sys.executable, "-m", "jaccli"]


def script(module: str, *args: Any) -> list[str]:
    """The command of a `bench.tools` script."""
    return [sys.executable, "-m", f"bench.tools.{module}", *(str(a) for a in args)]


def spawn(
    argv: Sequence[Any],
    env: Mapping[str, str],
    stdout: Path | None = None,
    timeout: float | None = None,
) -> Spawned:
    """Run one command to completion (or, past ``timeout``, stop it): wall, CPU, peak memory.

    Its standard output is discarded, or written to ``stdout`` (a tool that prints its result).
    """
    return spawn_together([argv], env, stdout, timeout)[0]


def spawn_together(
    commands: Sequence[Sequence[Any]],
    env: Mapping[str, str],
    stdout: Path | None = None,
    timeout: float | None = None,
) -> list[Spawned]:
    """Start every command at once (the processes of one distributed run) and wait for all."""
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        out = stack.enter_context(open(stdout or os.devnull, "wb"))
        errs = [stack.enter_context(tempfile.TemporaryFile()) for _ in commands]
        reports = [folder / f"spawned{i}.json" for i in range(len(commands))]
        start = time.perf_counter()
        procs = [
            subprocess.Popen(
                [sys.executable, "-I", "-S", str(SPAWN), str(report), *map(str, argv)],
                cwd=ROOT,
                env=dict(env),
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            for argv, report, err in zip(commands, reports, errs, strict=True)
        ]
        stopped = threading.Event()

        def stop() -> None:
            # SIGABRT first: Python's fault handler (PYTHONFAULTHANDLER) writes every thread's
            # stack to stderr; then SIGKILL to whatever is left of the run.
            stopped.set()
            for proc in procs:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGABRT)  # the helper passes it on
            time.sleep(5)
            for proc in procs:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, stop) if timeout else None
        if timer:
            timer.start()
        try:
            for proc in procs:
                proc.wait()
        finally:
            if timer:
                timer.cancel()
        outside = time.perf_counter() - start
        return [
            _finished(proc, report, err, outside, stopped.is_set())
            for proc, report, err in zip(procs, reports, errs, strict=True)
        ]


def _finished(
    proc: subprocess.Popen[bytes], report: Path, err: Any, outside: float, timed_out: bool
) -> Spawned:
    """What the helper wrote about its command (or, if it was killed itself, what is known)."""
    err.seek(0)
    stderr = err.read().decode(errors="replace")
    if not report.exists():
        return Spawned(outside, 0.0, 0.0, proc.returncode or -9, stderr, timed_out)
    seen = json.loads(report.read_text())
    rss = seen["maxrss_kib"] / 1024
    return Spawned(seen["wall"], seen["cpu"], rss, seen["returncode"], stderr, timed_out)


def reason(done: Spawned, timeout: float | None = None) -> str:
    """Why a run failed, for its row: its exit status and the last line it wrote to stderr."""
    if done.timed_out:
        return f"still running after {timeout:g} s (stopped; its stacks are in the log)"
    lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
    return f"exit {done.returncode}: {lines[-1] if lines else 'no message'}"


def rounds(items: Sequence[Item], repeat: int) -> Iterator[tuple[int, Item]]:
    """``(round, item)`` for ``repeat`` rounds of every item, each round in an order rotated by
    one, so that a slow spell of the machine does not land on one item only."""
    for round_ in range(repeat):
        shift = round_ % max(len(items), 1)
        for item in [*items[shift:], *items[:shift]]:
            yield round_, item
