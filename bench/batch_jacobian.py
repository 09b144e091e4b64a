"""The batch benchmark: per-sample Jacobians of a small R² → R³ function at 10⁶ points.

Every tool reads the same ``(N, 2)`` ``.npy`` (fixed seed) and writes the stacked ``(N, 3, 2)``
Jacobians to ``.npy``:

* jaccli: ``jaccli jacobian bench/problems/r2r3.py --batch points.npy --output J.npy``
* raw JAX, the floor: ``jax.jit(jax.vmap(jax.jacfwd(f)))`` in a minimal script
* PyTorch: ``torch.func.vmap(torch.func.jacfwd(f))``
* SciPy: ``scipy.differentiate.jacobian``, vectorised over all points
* numdifftools: ``numdifftools.Jacobian`` point by point, on a subset, extrapolated

Goals (from the batch issue): jaccli within 1.2× the wall time of raw JAX, and at least 5× faster
than ``torch.func``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench import harness, process, report
from bench.harness import Goal, Measured, Suite, Tool, script
from bench.problems import r2r3

PROBLEM = "r2r3"
TOOLS = ("jaccli", "jax", "torch", "scipy", "numdifftools")


def _jaccli(points: Path, output: Path, timings: Path) -> list[str]:
    source = str(Path(r2r3.__file__).resolve())
    command = ["jacobian", source, "--batch", str(points), "--output", str(output), "--quiet"]
    return [*process.jaccli_command(), *command]


def tools() -> list[Tool]:
    """Every tool of this benchmark, the floor (raw JAX) among them."""
    return [
        Tool(
            "jaccli",
            "jaccli --batch",
            _jaccli,
            script("jaccli_evaluator", PROBLEM),
            requires=("jaccli", "jax"),
        ),
        Tool(
            "jax",
            "raw JAX jit(vmap(jacfwd))",
            script("jax_floor", PROBLEM),
            script("jax_floor", PROBLEM),
            requires=("jax",),
        ),
        Tool(
            "torch",
            "torch.func vmap(jacfwd)",
            script("torch_func", PROBLEM),
            script("torch_func", PROBLEM),
            requires=("torch",),
        ),
        Tool(
            "scipy",
            "scipy.differentiate",
            script("scipy_differentiate", PROBLEM),
            None,
            requires=("scipy.differentiate",),
            atol=1e-9,
        ),
        Tool(
            "numdifftools",
            "numdifftools (loop)",
            script("numdifftools_loop", PROBLEM),
            None,
            requires=("numdifftools",),
            subset=True,
            atol=1e-9,
        ),
    ]


GOALS = (
    Goal("jaccli wall time ≤ 1.2× raw JAX (jaccli ÷ JAX)", "wall", "jaccli", "jax", 1.2, True),
    Goal("the same in CPU time, steadier on a busy machine", "cpu", "jaccli", "jax", 1.2, True),
    Goal(
        "jaccli ≥ 5× faster than torch.func, wall (torch ÷ jaccli)",
        "wall",
        "torch",
        "jaccli",
        5.0,
        False,
    ),
    Goal(
        "jaccli ≥ 5× faster than torch.func, compute only (torch ÷ jaccli)",
        "compute",
        "torch",
        "jaccli",
        5.0,
        False,
    ),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench batch``."""
    parser.add_argument("--n", type=int, default=1_000_000, help="points (default 10⁶)")
    parser.add_argument(
        "--subset",
        type=int,
        default=2_000,
        help="points for the tools that loop point by point (default 2000), extrapolated to --n",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the points (default 0)")


def suite(args: argparse.Namespace, workdir: Path, chosen: Sequence[Tool]) -> Suite:
    """Write the points (and the subset) into ``workdir`` and describe the run."""
    points = r2r3.points(args.n, args.seed)
    full = workdir / "points.npy"
    subset = workdir / "points-subset.npy"
    np.save(full, points)
    np.save(subset, points[: min(args.subset, args.n)])
    return Suite(
        problem=r2r3,
        points=full,
        subset_points=subset,
        tools=chosen,
        floor="jax",
        goals=GOALS,
    )


HEADER = (
    "tool",
    "points",
    "wall s",
    "wall range s",
    "cpu s",
    "compute s",
    "wall ÷ floor",
    "cpu ÷ floor",
    "compute ÷ floor",
    "peak MiB",
    "max error",
)


def table(measured: Sequence[Measured], floor_key: str) -> str:
    """One row per tool; ``~`` marks figures extrapolated from a subset."""
    floor = next((got for got in measured if got.key == floor_key), None)

    def cells(got: Measured) -> tuple[str, ...]:
        estimated = got.extrapolated_to is not None
        points = f"{got.points:,}" + (f" of {got.extrapolated_to:,} ~" if estimated else "")
        return (
            got.label,
            points,
            report.seconds(got.wall, estimated),
            report.spread(got.walls) if not estimated else "–",
            report.seconds(got.cpu),
            report.seconds(got.compute, estimated),
            report.ratio(got.wall, floor.wall if floor else None, estimated),
            report.ratio(got.cpu, floor.cpu if floor else None),
            report.ratio(got.compute, floor.compute if floor else None, estimated),
            f"{got.max_rss_mib:.0f}",
            report.error(got.error_vs_exact, got.correct),
        )

    return report.table(HEADER, measured, cells, lambda got: (got.label, f"{got.points:,}"))


def differences_table(differences: dict[str, dict[str, float]]) -> str:
    """Max |J_a − J_b| between tools, on the points both computed."""
    keys = list(differences)
    body = [(a, *(f"{differences[a][b]:.1e}" for b in keys)) for a in keys]
    return report.markdown(("max abs ΔJ", *keys), body)


def text(record: dict[str, Any], measured: Sequence[Measured], floor_label: str) -> str:
    """The whole report: context lines, the main table, phases, agreement and goals."""
    note = (
        f"medians of {record['options']['repeat']} fresh processes per tool; wall = the whole "
        "process (start-up, imports, read, compute, write); cpu = its user + system time; "
        f"compute = warm, in process; ratios ÷ {floor_label}; ~ = extrapolated from the subset; "
        "max error = largest absolute difference from the exact Jacobian"
    )
    sections = [
        ("", table(measured, record["floor"])),
        ("phases of the end-to-end runs (medians, s)", report.phases_table(measured)),
        ("agreement between tools", differences_table(record["differences"])),
        ("goals", report.goals_text(record["goals"])),
    ]
    return report.document(record, note, sections)


def main(
    args: argparse.Namespace, chosen: Sequence[Tool], results: Path, log: Callable[[str], None]
) -> int:
    """Measure, print the report, write the results file; 1 when a tool failed or was wrong."""
    title = f"Per-sample Jacobians of r2r3 (R² → R³) at {args.n:,} points, .npy in and out"
    with report.Benchmark("batch", title, args, log) as bench:
        built = suite(args, bench.workdir, chosen)
        measured = harness.measure(built, args.repeat, bench.workdir, log)
        differences = harness.differences(measured)
    record = bench.record(
        floor=built.floor,
        tools=[got.to_dict() for got in measured],
        differences=differences,
        goals=[harness.evaluate(goal, measured) for goal in built.goals],
    )
    floor_label = next(tool.label for tool in tools() if tool.key == built.floor)
    bench.publish(results, record, text(record, measured, floor_label))
    broken = [got for got in measured if got.status.startswith("failed") or got.correct is False]
    return 1 if broken else 0
