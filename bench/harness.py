"""Run tools in fresh processes, time them, and check their answers against each other.

A `Suite` is one benchmark: a problem, the input file, the tools, and the goals. `measure`
runs every tool ``repeat`` times end to end, interleaved (`bench.process.rounds`), each run a
fresh process timed from outside, imports and file I/O included (`bench.process.spawn`). Then
one more process per tool times warm, compute-only calls in process. The outputs of the last
round are compared with the exact Jacobian and with one another. `run_jobs` is the measuring
loop itself, for benchmarks whose tools follow the same timing protocol (`bench.dgsm`).
"""

from __future__ import annotations

import dataclasses
import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import process
from bench.process import Spawned

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

    problem: Any  # the module in bench.problems
    points: Path
    subset_points: Path
    tools: Sequence[Tool]
    floor: str  # the key of the tool the ratios divide by
    goals: Sequence[Goal]


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
        options = ["--problem", problem, "--points", points]
        return process.script(module, *options, "--output", output, "--timings", timings)

    return argv


def run_timed(
    argv: Sequence[Any], timings: Path, stdout: Path | None = None
) -> tuple[Spawned, dict[str, Any] | None]:
    """Run one command to completion, and read the phase timings it wrote to ``timings``.

    Its standard output is discarded, or written to ``stdout`` (a tool that prints its result).
    """
    timings.unlink(missing_ok=True)
    done = process.spawn(argv, process.environment(), stdout)
    return done, json.loads(timings.read_text()) if timings.exists() else None


@dataclass(frozen=True)
class Job:
    """One tool's commands: ``end_to_end`` writes ``output`` (its standard output, with
    ``stdout``); ``warm`` is the compute-only command (``--warm R`` is appended), or None to
    take the compute phase of the end-to-end runs (tools with nothing to compile)."""

    got: Measured
    end_to_end: Sequence[Any]
    output: Path
    warm: Sequence[Any] | None = None
    stdout: bool = False


def run_jobs(
    jobs: Sequence[Job], repeat: int, timings: Path, log: Callable[[str], None], width: int = 26
) -> None:
    """Run every job ``repeat`` times end to end, interleaved, then once warm; a failure ends
    a job (its status says why)."""
    for round_, job in process.rounds(jobs, repeat):
        got = job.got
        if got.status != "ok":
            continue
        job.output.unlink(missing_ok=True)
        done, times = run_timed(job.end_to_end, timings, job.output if job.stdout else None)
        if done.returncode != 0:
            got.status = f"failed: {process.reason(done)}"
            log(f"  {got.label}: {got.status}")
            continue
        got.walls.append(done.wall)
        got.cpus.append(done.cpu)
        got.max_rss_mib = max(got.max_rss_mib, done.max_rss_mib)
        if times:
            got.phases.append(times["phases"])
        log(
            f"  round {round_ + 1}/{repeat}  {got.label:<{width}} {done.wall:8.3f} s  "
            f"cpu {done.cpu:.3f} s"
        )
    for job in jobs:
        got = job.got
        if got.status != "ok":
            continue
        if job.warm is None:
            got.computes = [phases["compute"] for phases in got.phases]
            continue
        done, times = run_timed([*job.warm, "--warm", repeat], timings)
        if done.returncode != 0 or not times:
            got.status = f"failed: {process.reason(done)}"
            log(f"  {got.label} (compute only): {got.status}")
            continue
        got.computes = times["warm"]
        log(f"  compute only   {got.label:<{width}} {statistics.median(got.computes):8.3f} s")


def measure(suite: Suite, repeat: int, workdir: Path, log: Callable[[str], None]) -> list[Measured]:
    """Run every tool of ``suite`` ``repeat`` times end to end, then once warm; check outputs."""
    points_of = {
        False: len(np.load(suite.points, mmap_mode="r")),
        True: len(np.load(suite.subset_points, mmap_mode="r")),
    }
    timings = workdir / "timings.json"
    measured, jobs = [], []
    for tool in suite.tools:
        got = Measured(tool.key, tool.label, points=points_of[tool.subset])
        measured.append(got)
        if tool.subset and points_of[True] < points_of[False]:
            got.extrapolated_to = points_of[False]
        if not process.installed(tool.requires):
            got.status = "not installed"
            continue
        inputs = suite.subset_points if tool.subset else suite.points
        got.output = workdir / f"{tool.key}.npy"
        warm = tool.warm(inputs, workdir / "unused.npy", timings) if tool.warm else None
        jobs.append(Job(got, tool.end_to_end(inputs, got.output, timings), got.output, warm))
    run_jobs(jobs, repeat, timings, log)
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
