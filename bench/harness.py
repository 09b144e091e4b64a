"""Run tools in fresh processes, time them, and check their answers against each other.

A `Suite` is one benchmark: a problem, the input file, the tools, and the goals. `measure`
runs every tool ``repeat`` times end to end, interleaved (one run of each tool, then the next
round, each round in a rotated order) so that a slow spell of a noisy machine is spread over all
tools instead of landing on one. Each run is a fresh process timed from outside, imports and
file I/O included (started through `bench/tools/spawn.py`, so that its peak memory is its own). Then one more process per tool times warm, compute-only calls in process.
The outputs of the last round are compared with the exact Jacobian and with one another.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib.util
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

Argv = Callable[[Path, Path, Path], list[str]]


@dataclass(frozen=True)
class Tool:
    """One way to compute the benchmark's answer.

    Attributes:
        key: short name for ``--tools`` and the results file.
        label: the name in the table.
        end_to_end: the command for one end-to-end run, given (points, output, timings).
        warm: the command for the compute-only run (the tool script with ``--warm R``
            appended), or None to take the compute phase of the end-to-end runs (tools with
            nothing to compile or warm up).
        requires: modules that must be importable, else the row says "not installed".
        subset: run on the first ``--subset`` points only and extrapolate (slow tools).
        atol: the largest error against the exact Jacobian that still counts as correct.
    """

    key: str
    label: str
    end_to_end: Argv
    warm: Argv | None
    requires: tuple[str, ...] = ()
    subset: bool = False
    atol: float = 1e-12


@dataclass(frozen=True)
class Goal:
    """A target ratio: ``metric[numerator] / metric[denominator]`` at most or at least ``bound``."""

    text: str
    metric: str  # "wall" or "compute"
    numerator: str
    denominator: str
    bound: float
    at_most: bool


@dataclass(frozen=True)
class Suite:
    """A benchmark ready to run: the tools, the inputs they read, and the goals."""

    name: str
    title: str
    problem: Any  # the module in bench.problems
    points: Path
    subset_points: Path
    tools: Sequence[Tool]
    floor: str  # the key of the tool the ratios divide by
    goals: Sequence[Goal]


@dataclass
class Run:
    """One finished process."""

    wall: float
    cpu: float  # user + system seconds, all threads: steadier than wall on a busy machine
    returncode: int
    max_rss_mib: float
    stderr: str
    timings: dict[str, Any] | None


@dataclass
class Measured:
    """Everything measured for one tool; seconds throughout."""

    key: str
    label: str
    status: str = "ok"  # "ok", "not installed" or "failed: ..."
    points: int = 0
    extrapolated_to: int | None = None
    walls: list[float] = dataclasses.field(default_factory=list)
    cpus: list[float] = dataclasses.field(default_factory=list)
    computes: list[float] = dataclasses.field(default_factory=list)
    phases: list[dict[str, float]] = dataclasses.field(default_factory=list)
    max_rss_mib: float = 0.0
    error_vs_exact: float | None = None
    correct: bool | None = None
    output: Path | None = None

    @property
    def wall(self) -> float | None:
        """Median end-to-end wall time, extrapolated to the full batch for subset tools."""
        if not self.walls:
            return None
        wall = statistics.median(self.walls)
        compute = statistics.median(self.computes) if self.computes else None
        if self.extrapolated_to and compute is not None:
            wall += compute * (self.extrapolated_to / self.points - 1)
        return wall

    @property
    def cpu(self) -> float | None:
        """Median CPU time of the end-to-end runs (not extrapolated: subset runs only)."""
        return statistics.median(self.cpus) if self.cpus and not self.extrapolated_to else None

    @property
    def compute(self) -> float | None:
        """Median compute-only time, extrapolated to the full batch for subset tools."""
        if not self.computes:
            return None
        compute = statistics.median(self.computes)
        return compute * self.extrapolated_to / self.points if self.extrapolated_to else compute

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("output")
        data["median_wall"] = self.wall
        data["median_cpu"] = self.cpu
        data["median_compute"] = self.compute
        return data


def script(module: str, problem: str) -> Argv:
    """The end-to-end command of a `bench.tools` script."""

    def argv(points: Path, output: Path, timings: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            f"bench.tools.{module}",
            "--problem",
            problem,
            "--points",
            str(points),
            "--output",
            str(output),
            "--timings",
            str(timings),
        ]

    return argv


def installed(modules: Sequence[str]) -> bool:
    """Whether every module can be imported (found without importing the module itself)."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in modules)
    except ModuleNotFoundError:  # the parent package of a dotted name is missing
        return False


@dataclass
class Spawned:
    """One finished process, as `bench/tools/spawn.py` saw it."""

    wall: float
    cpu: float  # user + system seconds, all threads
    max_rss_mib: float
    returncode: int
    stderr: str
    timed_out: bool


SPAWN = ROOT / "bench" / "tools" / "spawn.py"


def spawn(
    argv: Sequence[str],
    env: dict[str, str],
    stdout: Path | None = None,
    timeout: float | None = None,
) -> Spawned:
    """Run one command to completion (or, past ``timeout``, stop it): wall, CPU, peak memory.

    The command is started by `bench/tools/spawn.py`, a small process of its own, so that its
    peak memory is its own and not this process's (see that script). Its standard output is
    discarded, or written to ``stdout``.
    """
    with (
        tempfile.TemporaryDirectory() as folder,
        tempfile.TemporaryFile() as err,
        open(stdout, "wb") if stdout else open(os.devnull, "wb") as out,
    ):
        report = Path(folder) / "spawned.json"
        helper = [sys.executable, "-I", "-S", str(SPAWN), str(report), *map(str, argv)]
        start = time.perf_counter()
        proc = subprocess.Popen(
            helper, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True
        )
        stopped = threading.Event()

        def stop() -> None:
            # SIGABRT first: Python's fault handler (PYTHONFAULTHANDLER) writes every thread's
            # stack to stderr; then SIGKILL to whatever is left of the run.
            stopped.set()
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGABRT)  # the helper passes it on
                time.sleep(5)
                os.killpg(proc.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, stop) if timeout else None
        if timer:
            timer.start()
        try:
            proc.wait()
        finally:
            if timer:
                timer.cancel()
        outside = time.perf_counter() - start
        err.seek(0)
        stderr = err.read().decode(errors="replace")
        seen = json.loads(report.read_text()) if report.exists() else None
    if seen is None:  # the helper itself was killed
        return Spawned(outside, 0.0, 0.0, proc.returncode or -9, stderr, stopped.is_set())
    return Spawned(
        seen["wall"],
        seen["cpu"],
        seen["maxrss_kib"] / 1024,
        seen["returncode"],
        stderr,
        stopped.is_set(),
    )


def run_process(argv: Sequence[str], timings: Path, stdout: Path | None = None) -> Run:
    """Run one command to completion; wall time from start to exit, and its peak memory.

    Its standard output is discarded, or written to ``stdout`` (a tool that prints its result).
    """
    timings.unlink(missing_ok=True)
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    )
    done = spawn(argv, env, stdout)
    data = json.loads(timings.read_text()) if timings.exists() else None
    return Run(done.wall, done.cpu, done.returncode, done.max_rss_mib, done.stderr, data)


def _failure(run: Run) -> str:
    lines = [line for line in run.stderr.strip().splitlines() if line.strip()]
    return f"failed: exit {run.returncode}: {lines[-1] if lines else 'no message'}"


def measure(suite: Suite, repeat: int, workdir: Path, log: Callable[[str], None]) -> list[Measured]:
    """Run every tool of ``suite`` ``repeat`` times end to end, then once warm; check outputs."""
    points_of = {
        False: len(np.load(suite.points, mmap_mode="r")),
        True: len(np.load(suite.subset_points, mmap_mode="r")),
    }
    results = {tool.key: Measured(tool.key, tool.label) for tool in suite.tools}
    active = []
    for tool in suite.tools:
        got = results[tool.key]
        got.points = points_of[tool.subset]
        if tool.subset and points_of[True] < points_of[False]:
            got.extrapolated_to = points_of[False]
        if installed(tool.requires):
            active.append(tool)
        else:
            got.status = "not installed"
    timings = workdir / "timings.json"
    for round_ in range(repeat):
        shift = round_ % max(len(active), 1)
        for tool in active[shift:] + active[:shift]:
            got = results[tool.key]
            if got.status != "ok":
                continue
            inputs = suite.subset_points if tool.subset else suite.points
            got.output = workdir / f"{tool.key}.npy"
            run = run_process(tool.end_to_end(inputs, got.output, timings), timings)
            if run.returncode != 0:
                got.status = _failure(run)
                log(f"  {tool.label}: {got.status}")
                continue
            got.walls.append(run.wall)
            got.cpus.append(run.cpu)
            got.max_rss_mib = max(got.max_rss_mib, run.max_rss_mib)
            if run.timings:
                got.phases.append(run.timings["phases"])
            log(
                f"  round {round_ + 1}/{repeat}  {tool.label:<26} {run.wall:8.3f} s  cpu {run.cpu:.3f} s"
            )
    for tool in active:
        got = results[tool.key]
        if got.status != "ok":
            continue
        if tool.warm is None:
            got.computes = [phases["compute"] for phases in got.phases]
            continue
        inputs = suite.subset_points if tool.subset else suite.points
        argv = [*tool.warm(inputs, workdir / "unused.npy", timings), "--warm", str(repeat)]
        run = run_process(argv, timings)
        if run.returncode != 0 or not run.timings:
            got.status = _failure(run)
            log(f"  {tool.label} (compute only): {got.status}")
            continue
        got.computes = run.timings["warm"]
        log(f"  compute only   {tool.label:<26} {statistics.median(got.computes):8.3f} s")
    measured = [results[tool.key] for tool in suite.tools]
    _check(suite, measured)
    return measured


def _check(suite: Suite, measured: Sequence[Measured]) -> None:
    """Each tool's largest error against the exact Jacobian, and whether it is within atol."""
    x = np.load(suite.points)
    tools = {tool.key: tool for tool in suite.tools}
    for got in measured:
        if got.status != "ok" or got.output is None:
            continue
        jacobians = np.load(got.output)
        exact = suite.problem.exact_jacobian(x[: len(jacobians)])
        if jacobians.shape != exact.shape:
            got.status = f"failed: wrote shape {jacobians.shape}, expected {exact.shape}"
            got.correct = False
            continue
        got.error_vs_exact = float(np.max(np.abs(jacobians - exact)))
        got.correct = got.error_vs_exact <= tools[got.key].atol


def differences(measured: Sequence[Measured]) -> dict[str, dict[str, float]]:
    """Max |J_a − J_b| for each pair of tools that ran, on the points both computed."""
    outputs = {
        got.key: np.load(got.output, mmap_mode="r")
        for got in measured
        if got.status == "ok" and got.output is not None and got.output.exists()
    }
    table: dict[str, dict[str, float]] = {}
    for a, ja in outputs.items():
        table[a] = {}
        for b, jb in outputs.items():
            n = min(len(ja), len(jb))
            table[a][b] = float(np.max(np.abs(np.asarray(ja[:n]) - np.asarray(jb[:n]))))
    return table


def evaluate(goal: Goal, measured: Sequence[Measured]) -> dict[str, Any]:
    """The goal's ratio and whether it is met (None when a side was not measured)."""
    by_key = {got.key: got for got in measured}
    top = getattr(by_key.get(goal.numerator), goal.metric, None)
    bottom = getattr(by_key.get(goal.denominator), goal.metric, None)
    ratio = top / bottom if top is not None and bottom else None
    met = None if ratio is None else (ratio <= goal.bound if goal.at_most else ratio >= goal.bound)
    return {"goal": goal.text, "ratio": ratio, "bound": goal.bound, "met": met}
