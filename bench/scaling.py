"""The scale-out benchmark: per-sample Jacobians of r2r3 on 1, 2 and 4 devices and 1 and 2 processes.

The batch benchmark's problem (R² → R³, ``bench/problems/r2r3.py``) at 10⁶ points by default,
through ``jaccli jacobian --batch points.npy --output J.npy`` in each layout:

* one process with 1, 2 or 4 CPU devices (``JAX_NUM_CPU_DEVICES=N``, ``--devices N``);
* 2 processes on localhost with one device each (``--distributed --coordinator 127.0.0.1:PORT
  --num-processes 2 --process-id I``), and 2 processes with 2 devices each.

*wall* is the whole run timed from outside (for several processes, started at once, the
longest of them); *cpu* is the user + system time of all its processes. *compute* is
measured in one more run per layout (``bench/tools/scaling_evaluator.py``): warm passes of the
batch evaluator over the points already in memory, gathering included. Throughput is points per
second of compute. Every layout's ``J.npy`` is compared bit for bit with one device's.

CPU devices share the machine's cores: on a 2-core machine, two devices can at best halve the
time; more devices than cores only add overhead. See BENCHMARKS.md for a projection to GPUs.
"""

from __future__ import annotations

import argparse
import functools
import json
import socket
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench import process, report
from bench.problems import r2r3

REPEAT = 3  # runs per layout (--repeat)


@dataclass(frozen=True)
class Tool:
    """One layout: how many processes, and how many CPU devices each one has."""

    key: str
    label: str
    processes: int
    devices: int


@dataclass
class Measured:
    """The runs of one layout; seconds throughout."""

    key: str
    label: str
    processes: int
    devices: int
    status: str = "ok"
    walls: list[float] = field(default_factory=list)
    cpus: list[float] = field(default_factory=list)
    computes: list[float] = field(default_factory=list)
    identical: bool | None = None

    @property
    def wall(self) -> float | None:
        return statistics.median(self.walls) if self.walls else None

    @property
    def cpu(self) -> float | None:
        return statistics.median(self.cpus) if self.cpus else None

    @property
    def compute(self) -> float | None:
        return statistics.median(self.computes) if self.computes else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "processes": self.processes,
            "devices_per_process": self.devices,
            "status": self.status,
            "walls": self.walls,
            "cpus": self.cpus,
            "computes": self.computes,
            "median_wall": self.wall,
            "median_cpu": self.cpu,
            "median_compute": self.compute,
            "identical_to_one_device": self.identical,
        }


def tools() -> list[Tool]:
    """The layouts, one device in one process first (the ratios divide by it)."""
    return [
        Tool("d1", "1 process × 1 device", 1, 1),
        Tool("d2", "1 process × 2 devices", 1, 2),
        Tool("d4", "1 process × 4 devices", 1, 4),
        Tool("p2", "2 processes × 1 device", 2, 1),
        Tool("p2d2", "2 processes × 2 devices", 2, 2),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench scaling``."""
    parser.add_argument("--n", type=int, default=1_000_000, help="points (default 10⁶)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the points (default 0)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(tool: Tool, command: Callable[[int], list[str]]) -> tuple[float, float, str | None]:
    """Start the layout's processes (``command(rank)`` each) at once and wait for all of them:
    the longest one's wall time, their CPU time, and why the first that failed failed."""
    env = process.environment({"JAX_NUM_CPU_DEVICES": str(tool.devices)})
    done = process.spawn_together([command(rank) for rank in range(tool.processes)], env)
    failed = next((process.reason(run) for run in done if run.returncode != 0), None)
    return max(run.wall for run in done), sum(run.cpu for run in done), failed


def _distributed(tool: Tool, port: int, rank: int) -> list[str]:
    if tool.processes == 1:
        return []
    return [
        "--coordinator",
        f"127.0.0.1:{port}",
        "--num-processes",
        str(tool.processes),
        "--process-id",
        str(rank),
    ]


def _cli(tool: Tool, source: str, points: Path, output: Path, port: int, rank: int) -> list[str]:
    argv = [*process.jaccli_command(), "jacobian", source, "--batch", str(points)]
    argv += ["--output", str(output), "--quiet", "--devices", str(tool.devices)]
    if tool.processes > 1:
        argv += ["--distributed", *_distributed(tool, port, rank)]
    return argv


def _warm(tool: Tool, points: Path, repeat: int, timings: Path, port: int, rank: int) -> list[str]:
    options = ["--points", points, "--devices", tool.devices, "--warm", repeat]
    return process.script(
        "scaling_evaluator", *options, "--timings", timings, *_distributed(tool, port, rank)
    )


def measure(
    args: argparse.Namespace, chosen: Sequence[Tool], workdir: Path, log: Callable[[str], None]
) -> list[Measured]:
    """End-to-end runs, interleaved and rotated round by round, then one warm run per layout."""
    points = workdir / "points.npy"
    np.save(points, r2r3.points(args.n, args.seed))
    results = {t.key: Measured(t.key, t.label, t.processes, t.devices) for t in chosen}
    outputs = {t.key: workdir / f"{t.key}.npy" for t in chosen}
    source = str(Path(r2r3.__file__).resolve())
    for round_, tool in process.rounds(chosen, args.repeat):
        got = results[tool.key]
        if got.status != "ok":
            continue
        command = functools.partial(_cli, tool, source, points, outputs[tool.key], _free_port())
        wall, cpu, failed = _run(tool, command)
        if failed:
            got.status = f"failed: {failed}"
            log(f"  {tool.label}: {got.status}")
            continue
        got.walls.append(wall)
        got.cpus.append(cpu)
        log(f"  round {round_ + 1}/{args.repeat}  {tool.label:<26} {wall:8.3f} s  cpu {cpu:.3f} s")
    for tool in chosen:
        got = results[tool.key]
        if got.status != "ok":
            continue
        timings = workdir / f"{tool.key}-warm.json"
        warm = functools.partial(_warm, tool, points, args.repeat, timings, _free_port())
        _, _, failed = _run(tool, warm)
        if failed or not timings.exists():
            got.status = f"failed (compute only): {failed or 'no timings'}"
            log(f"  {tool.label}: {got.status}")
            continue
        got.computes = json.loads(timings.read_text())["warm"]
        log(f"  compute only   {tool.label:<26} {statistics.median(got.computes):8.3f} s")
    reference = outputs[chosen[0].key]
    for tool in chosen:
        got = results[tool.key]
        if got.status == "ok" and reference.exists() and outputs[tool.key].exists():
            got.identical = bool(np.array_equal(np.load(reference), np.load(outputs[tool.key])))
    return [results[t.key] for t in chosen]


HEADER = (
    "layout",
    "points",
    "wall s",
    "wall range s",
    "cpu s",
    "compute s",
    "throughput (compute)",
    "wall speed-up",
    "compute speed-up",
    "same bits as 1 device",
)


def _speedup(floor: float | None, value: float | None) -> str:
    return "–" if value is None or not floor else f"{floor / value:.2f}×"


def table(measured: Sequence[Measured], n: int) -> str:
    """One row per layout; speed-ups are the first layout's time ÷ this one's."""
    floor = measured[0] if measured else None

    def cells(got: Measured) -> tuple[str, ...]:
        throughput = f"{n / got.compute / 1e6:.2f} M points/s" if got.compute else "–"
        return (
            got.label,
            f"{n:,}",
            report.seconds(got.wall, digits=3),
            report.spread(got.walls),
            report.seconds(got.cpu, digits=3),
            report.seconds(got.compute, digits=3),
            throughput,
            _speedup(floor.wall if floor else None, got.wall),
            _speedup(floor.compute if floor else None, got.compute),
            {True: "yes", False: "NO", None: "–"}[got.identical],
        )

    return report.table(HEADER, measured, cells, lambda got: (got.label, f"{n:,}"))


def main(
    args: argparse.Namespace, chosen: Sequence[Tool], results: Path, log: Callable[[str], None]
) -> int:
    """Measure, print the table, write the results file; 1 when a layout failed or differed."""
    title = (
        f"Per-sample Jacobians of r2r3 (R² → R³) at {args.n:,} points, spread over CPU devices "
        "and processes"
    )
    with report.Benchmark("scaling", title, args, log) as bench:
        measured = measure(args, chosen, bench.workdir, log)
    record = bench.record(layouts=[got.to_dict() for got in measured])
    note = f"medians of {args.repeat} runs per layout"
    bench.publish(results, record, report.document(record, note, [("", table(measured, args.n))]))
    broken = [g for g in measured if g.status != "ok" or g.identical is False]
    return 1 if broken else 0
