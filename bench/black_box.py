"""The black-box benchmark: Sobol' indices of a 20 ms simulator, serially, with --workers and on
a local Dask cluster.

``jaccli sensitivity bench/problems/sleepy.py --bounds=-pi:pi --method sobol --samples N``
(N = 256 by default: N·(n+2) = 1,280 runs of 20 ms, 25.6 s of waiting) in each layout:

* ``serial``: one process, point by point (the default, ``--workers 1``);
* ``w4``, ``w8``: ``--workers 4`` and ``--workers 8``, local processes;
* ``dask8``: ``--dask ADDRESS`` on a ``LocalCluster`` of 8 single-threaded worker processes on
  127.0.0.1, started once before the rounds (a cluster outlives the runs it serves).

The model sleeps, as a simulator waiting on I/O or on another program would, so more workers
than cores still help. *wall* is the whole command timed from outside, JAX's start-up, the
workers' start and the SALib analysis included; every layout's indices are compared bit for bit
with the serial run's.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import process, report
from bench.problems import sleepy

REPEAT = 3


@dataclass(frozen=True)
class Tool:
    """One layout: the options that spread the runs."""

    key: str
    label: str
    options: tuple[str, ...]


@dataclass
class Measured:
    key: str
    label: str
    status: str = "ok"
    walls: list[float] = field(default_factory=list)
    identical: bool | None = None

    @property
    def wall(self) -> float | None:
        return statistics.median(self.walls) if self.walls else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "status": self.status,
            "walls": self.walls,
            "median_wall": self.wall,
            "identical_to_serial": self.identical,
        }


def tools() -> list[Tool]:
    """The layouts, serial first (the ratios divide by it)."""
    return [
        Tool("serial", "1 process (serial)", ()),
        Tool("w4", "--workers 4", ("--workers", "4")),
        Tool("w8", "--workers 8", ("--workers", "8")),
        Tool("dask8", "--dask (LocalCluster, 8 workers)", ("--dask", "{address}")),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench black_box``."""
    parser.add_argument("--samples", type=int, default=256, help="Sobol' base sample (256)")
    parser.add_argument("--quick", action="store_true", help="32 samples, one round")


def _cluster(chosen: Sequence[Tool]) -> Any:
    """A LocalCluster for the Dask layout, or None when it is not chosen."""
    if not any(t.key.startswith("dask") for t in chosen):
        return None
    from distributed import LocalCluster

    return LocalCluster(n_workers=8, threads_per_worker=1, host="127.0.0.1", dashboard_address=None)


def measure(
    args: argparse.Namespace, chosen: Sequence[Tool], workdir: Path, log: Callable[[str], None]
) -> list[Measured]:
    """Rounds of every layout in turn; then the indices compared with the serial run's."""
    samples = 32 if args.quick else args.samples
    source = str(Path(sleepy.__file__).resolve())
    results = {t.key: Measured(t.key, t.label) for t in chosen}
    outputs = {t.key: workdir / f"{t.key}.json" for t in chosen}
    cluster = _cluster(chosen)
    address = cluster.scheduler_address if cluster is not None else ""
    try:
        for round_, tool in process.rounds(chosen, args.repeat):
            got = results[tool.key]
            if got.status != "ok":
                continue
            argv = [*process.jaccli_command(), "sensitivity", source, "--bounds=-pi:pi"]
            argv += ["--method", "sobol", "--samples", str(samples), "--quiet"]
            argv += ["--output", str(outputs[tool.key])]
            argv += [option.format(address=address) for option in tool.options]
            done = process.spawn(argv, process.environment())
            if done.returncode != 0:
                got.status = f"failed: {process.reason(done)}"
                log(f"  {tool.label}: {got.status}")
                continue
            got.walls.append(done.wall)
            log(f"  round {round_ + 1}/{args.repeat}  {tool.label:<34} {done.wall:8.3f} s")
    finally:
        if cluster is not None:
            cluster.close()
    reference = outputs[chosen[0].key]
    for tool in chosen:
        got = results[tool.key]
        if got.status == "ok" and reference.exists() and outputs[tool.key].exists():
            a, b = (json.loads(p.read_text()) for p in (reference, outputs[tool.key]))
            got.identical = a["indices"] == b["indices"]
    return [results[t.key] for t in chosen]


HEADER = ("layout", "runs", "wall s", "wall range s", "÷ serial", "same indices as serial")


def table(measured: Sequence[Measured], runs: int) -> str:
    """One row per layout; ÷ serial is this layout's wall time over the serial one's."""
    floor = measured[0].wall if measured else None

    def cells(got: Measured) -> tuple[str, ...]:
        share = f"{got.wall / floor:.2f}" if got.wall and floor else "–"
        same = {True: "yes", False: "NO", None: "–"}[got.identical]
        return (
            got.label,
            f"{runs:,}",
            report.seconds(got.wall, digits=2),
            report.spread(got.walls),
            share,
            same,
        )

    return report.table(HEADER, measured, cells, lambda got: (got.label, f"{runs:,}"))


def main(
    args: argparse.Namespace, chosen: Sequence[Tool], results: Path, log: Callable[[str], None]
) -> int:
    """Measure, print the table, write the results file; 1 when a layout failed or differed."""
    samples = 32 if args.quick else args.samples
    runs = samples * 5
    title = (
        f"Sobol' indices of a 20 ms black box (Ishigami), N = {samples} ({runs:,} runs): "
        "serial, --workers, --dask"
    )
    with report.Benchmark("black_box", title, args, log) as bench:
        measured = measure(args, chosen, bench.workdir, log)
    record = bench.record(samples=samples, runs=runs, layouts=[m.to_dict() for m in measured])
    note = f"medians of {args.repeat} runs per layout"
    bench.publish(results, record, report.document(record, note, [("", table(measured, runs))]))
    broken = [m for m in measured if m.status != "ok" or m.identical is False]
    return 1 if broken else 0
