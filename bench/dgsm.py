"""The DGSM benchmark: AD gradients (jaccli) against SALib's finite differences, 100 inputs.

Derivative-based global sensitivity measures ν_i = E[(∂f/∂x_i)²] of `bench/problems/dgsm100.py`,
f(x) = exp(Σ c_j x_j) with c_j = 2/(j+1) on [0, 1]¹⁰⁰, from 10⁴ base samples. ν_i, Var f and
the normalised index have closed forms, so every tool's accuracy is measured, not only its speed:

* jaccli, command line: ``jaccli sensitivity bench/problems/dgsm100.py --at @zeros100.npy
  --bounds x=0:1 --method dgsm --samples 10000 --format json``, the JSON read from stdout.
  8 independently scrambled Sobol' sequences, one AD gradient per point (10⁴ gradients), 95 %
  intervals from Student's t over the 8 (before issue 15: one sequence, 1000 bootstrap resamples).
* jaccli, Python API: ``jaccli.sensitivity(f, np.zeros(100), bounds={"x": (0, 1)},
  method="dgsm", samples=10_000)`` in a fresh process (``bench/tools/sensitivity_jaccli.py``); its
  compute-only figure is a warm call (the second and later ones in one process).
* SALib 1.6: ``finite_diff.sample`` (N·(D+1) = 1,010,000 points: each base point, then each
  input moved by δ·x_j), ``f_numpy`` on all rows at once, ``dgsm.analyze`` with the same 1000
  bootstrap resamples as jaccli once drew (``bench/tools/dgsm_salib.py``). With its default step δ = 0.01
  and with δ = 10⁻⁴, and once with all its defaults (δ = 0.01, 100 resamples).

As in the batch benchmark, every run is a fresh process timed from outside, the rounds are
interleaved in a rotated order, figures are medians, and the ratios divide by jaccli: wall
times by the command line's, compute times by the API's warm call. SALib compiles nothing, so
its compute figure is the sample + evaluate + analyze phases of its end-to-end runs.

Accuracy, per tool: the largest relative error over the inputs of ν and of the DGSM index
against the closed forms; the *derivative error*, ν against the same estimator with exact
gradients on the tool's own points (which takes the sampling error out and leaves the
differentiation error); and the widest 95 % half-width of ν, relative (the size of
the sampling error the tool reports for itself).

Goal (from the DGSM issue): jaccli at least 20× faster than SALib's finite differences, at
equal or better accuracy.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import machine, process, report
from bench.harness import Goal, Job, Measured, evaluate, run_jobs
from bench.problems import dgsm100

Argv = Callable[[argparse.Namespace, Path, Path, Path], list[str]]  # (args, workdir, out, timings)
WALL_FLOOR = "jaccli-cli"
COMPUTE_FLOOR = "jaccli-api"
PHASES = ("setup", "sample", "evaluate", "analyze", "compute", "write")
# The accuracy columns of the table, from `accuracy`.
ACCURACY = ("vi_error", "dgsm_error", "derivative_error", "vi_conf_relative")


@dataclass(frozen=True)
class Tool:
    """One way to compute the DGSM indices.

    Attributes:
        key: short name for ``--tools`` and the results file.
        label: the name in the table.
        argv: the end-to-end command, given (args, workdir, output, timings).
        sampler: whose sample it draws, ``"jaccli"`` or ``"salib"`` (for the derivative error).
        requires: modules that must be importable, else the row says "not installed".
        stdout: the tool prints its result (the output file is its standard output).
        warm: the command also times warm calls with ``--warm R`` (the compute-only figure);
            otherwise compute comes from the end-to-end runs' phases, or is not measured.
    """

    key: str
    label: str
    argv: Argv
    sampler: str
    requires: tuple[str, ...]
    stdout: bool = False
    warm: bool = False


@dataclass
class DgsmMeasured(Measured):
    """`harness.Measured` plus what a DGSM run reports: its evaluations and its accuracy."""

    evaluations: str = ""
    accuracy: dict[str, float | None] = dataclasses.field(default_factory=dict)

    @property
    def vi_error(self) -> float | None:
        """The largest relative error of ν over the inputs (for the accuracy goals)."""
        return self.accuracy.get("vi_error")

    @property
    def derivative_error(self) -> float | None:
        """The largest relative error of ν from the derivatives alone (the sample's taken out)."""
        return self.accuracy.get("derivative_error")


def cli_argv(method: str) -> Argv:
    """The command line of ``jaccli sensitivity --method METHOD`` on the 100-input problem."""

    def argv(args: argparse.Namespace, workdir: Path, output: Path, timings: Path) -> list[str]:
        return [
            *process.jaccli_command(),
            "sensitivity",
            str(Path(dgsm100.__file__).resolve()),
            "--at",
            f"@{workdir / f'zeros{args.inputs}.npy'}",
            "--bounds",
            f"x={dgsm100.LOW:g}:{dgsm100.HIGH:g}",
            "--method",
            method,
            "--samples",
            str(args.samples),
            "--seed",
            str(args.seed),
            "--format",
            "json",
            "--quiet",
        ]

    return argv


def script_argv(module: str, *extra: str) -> Argv:
    """The command line of a ``bench/tools`` script with the sample options and the files."""

    def argv(args: argparse.Namespace, workdir: Path, output: Path, timings: Path) -> list[str]:
        options = ["--inputs", args.inputs, "--samples", args.samples, "--seed", args.seed]
        return process.script(module, *options, "--output", output, "--timings", timings, *extra)

    return argv


def tools() -> list[Tool]:
    """jaccli (command line and API) and SALib's finite differences at two steps."""
    jaccli = ("jaccli", "jax")
    salib = ("SALib",)
    return [
        Tool(
            "jaccli-cli",
            "jaccli sensitivity (CLI)",
            cli_argv("dgsm"),
            "jaccli",
            jaccli,
            stdout=True,
        ),
        Tool(
            "jaccli-api",
            "jaccli.sensitivity (API)",
            script_argv("sensitivity_jaccli"),
            "jaccli",
            jaccli,
            warm=True,
        ),
        Tool(
            "salib", "SALib, δ = 0.01", script_argv("dgsm_salib", "--delta", "0.01"), "salib", salib
        ),
        Tool(
            "salib-1e-4",
            "SALib, δ = 1e-4",
            script_argv("dgsm_salib", "--delta", "1e-4"),
            "salib",
            salib,
        ),
        Tool(
            "salib-defaults",
            "SALib, δ = 0.01, 100 resamples",
            script_argv("dgsm_salib", "--delta", "0.01", "--resamples", "100"),
            "salib",
            salib,
        ),
    ]


def _goals(ratio: float) -> tuple[Goal, ...]:
    goals = []
    for key, name in (("salib", "SALib δ = 0.01"), ("salib-1e-4", "SALib δ = 1e-4")):
        goals += [
            Goal(
                f"{name} ÷ jaccli ≥ {ratio:g}×, end to end (wall ÷ the CLI's wall)",
                "wall",
                key,
                WALL_FLOOR,
                ratio,
                False,
            ),
            Goal(
                f"{name} ÷ jaccli ≥ {ratio:g}×, compute (÷ the API's warm call)",
                "compute",
                key,
                COMPUTE_FLOOR,
                ratio,
                False,
            ),
            Goal(
                f"jaccli's derivative error ≤ {name}'s (jaccli ÷ SALib ≤ 1)",
                "derivative_error",
                COMPUTE_FLOOR,
                key,
                1.0,
                True,
            ),
            Goal(
                f"jaccli's ν error ≤ {name}'s, sampling error included (jaccli ÷ SALib ≤ 1)",
                "vi_error",
                COMPUTE_FLOOR,
                key,
                1.0,
                True,
            ),
        ]
    return tuple(goals)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench dgsm``."""
    parser.add_argument("--samples", type=int, default=10_000, help="base samples N (10⁴)")
    parser.add_argument("--inputs", type=int, default=dgsm100.N_IN, help="inputs n (100)")
    parser.add_argument("--seed", type=int, default=0, help="seed of jaccli's sample (0)")
    parser.add_argument("--goal", type=float, default=20.0, help="speed-up goal (20)")


# --- accuracy ---------------------------------------------------------------------------------


def _base_points(sampler: str, n: int, samples: int, seed: int) -> np.ndarray:
    """The base points the tool differentiates at, drawn again here, in [LOW, HIGH]ⁿ."""
    if sampler == "jaccli":
        from jaccli._sensitivity import replicated_sobol_points  # internal: follow it if it moves

        unit = replicated_sobol_points(samples, n, seed)[0]
    else:
        from SALib.sample import sobol_sequence

        unit = sobol_sequence.sample(samples + 1024, n)[1024:]  # finite_diff's skip_values
    return dgsm100.LOW + (dgsm100.HIGH - dgsm100.LOW) * unit


def accuracy(output: dict[str, Any], sampler: str, args: argparse.Namespace) -> dict[str, Any]:
    """Errors of one tool's indices against the closed forms, and its derivative error."""
    n = args.inputs
    indices = output["indices"]
    vi, dgsm, conf = (np.asarray(indices[k], dtype=np.float64) for k in ("vi", "dgsm", "vi_conf"))
    exact_vi, exact_dgsm = dgsm100.exact_vi(n), dgsm100.exact_dgsm(n)
    got: dict[str, Any] = {
        "vi_error": float(np.max(np.abs(vi / exact_vi - 1))),
        "dgsm_error": float(np.max(np.abs(dgsm / exact_dgsm - 1))),
        "vi_conf_relative": float(np.max(conf / vi)),
        "variance_error": abs(float(output["variance"]) / dgsm100.variance(n) - 1),
        "derivative_error": None,
    }
    try:
        points = _base_points(sampler, n, args.samples, args.seed)
    except ImportError:  # jaccli's internal sampler moved: no derivative error, the rest stands
        return got
    # The points drawn again must be the tool's: its sample variance must match.
    if np.isclose(dgsm100.f_numpy(points).var(), float(output["variance"]), rtol=1e-9):
        got["derivative_error"] = float(np.max(np.abs(vi / dgsm100.sample_vi(points) - 1)))
    return got


# --- measuring --------------------------------------------------------------------------------


def measure(
    args: argparse.Namespace, chosen: Sequence[Tool], workdir: Path, log: Callable[[str], None]
) -> list[DgsmMeasured]:
    """Run every tool ``args.repeat`` times end to end, interleaved, then jaccli's API warm."""
    np.save(workdir / f"zeros{args.inputs}.npy", np.zeros(args.inputs))
    timings = workdir / "timings.json"
    measured, jobs = [], []
    for tool in chosen:
        got = DgsmMeasured(tool.key, tool.label, points=args.samples)
        measured.append(got)
        if not process.installed(tool.requires):
            got.status = "not installed"
            continue
        output = workdir / f"{tool.key}.json"
        argv = tool.argv(args, workdir, output, timings)
        warm = tool.argv(args, workdir, workdir / "unused.json", timings) if tool.warm else None
        jobs.append(Job(got, argv, output, warm, tool.stdout))
    run_jobs(jobs, args.repeat, timings, log, width=32)
    samplers = {tool.key: tool.sampler for tool in chosen}
    for job in jobs:
        got = job.got
        if got.status != "ok":
            continue
        try:
            output = json.loads(job.output.read_text())
        except (OSError, ValueError) as exc:
            got.status = f"failed: unreadable result: {exc}"
            continue
        sampler = samplers[got.key]
        got.evaluations = f"{output['evaluations']:,} {'∇f' if sampler == 'jaccli' else 'f'}"
        got.accuracy = accuracy(output, sampler, args)
    return measured


# --- reporting --------------------------------------------------------------------------------

HEADER = (
    "tool",
    "evaluations",
    "wall s",
    "wall range s",
    "cpu s",
    "compute s",
    "wall ÷ jaccli",
    "cpu ÷ jaccli",
    "compute ÷ jaccli",
    "peak MiB",
    "ν max rel error",
    "DGSM max rel error",
    "derivative error",
    "ν 95% CI ±",
)


def table(measured: Sequence[DgsmMeasured]) -> str:
    """One row per tool; wall and cpu ÷ the CLI's, compute ÷ the API's warm call."""
    by_key = {got.key: got for got in measured}
    wall_floor = by_key.get(WALL_FLOOR) or by_key.get(COMPUTE_FLOOR)
    compute_floor = by_key.get(COMPUTE_FLOOR)

    def cells(got: DgsmMeasured) -> tuple[str, ...]:
        a = got.accuracy
        return (
            got.label,
            got.evaluations,
            report.seconds(got.wall),
            report.spread(got.walls),
            report.seconds(got.cpu),
            report.seconds(got.compute),
            report.ratio(got.wall, wall_floor.wall if wall_floor else None),
            report.ratio(got.cpu, wall_floor.cpu if wall_floor else None),
            report.ratio(got.compute, compute_floor.compute if compute_floor else None),
            f"{got.max_rss_mib:.0f}",
            *(report.error(a.get(name)) for name in ACCURACY),
        )

    return report.table(HEADER, measured, cells, lambda got: (got.label, "–"))


def text(record: dict[str, Any], measured: Sequence[DgsmMeasured]) -> str:
    """The whole report: context lines, the main table, phases and goals."""
    note = (
        f"medians of {record['options']['repeat']} fresh processes per tool; wall = the whole "
        "process; cpu = its user + system time; compute = jaccli: warm API calls in process, "
        "SALib: sample + evaluate + analyze; wall and cpu ÷ the jaccli CLI's, compute ÷ the "
        "jaccli API's; errors are relative, largest over the inputs; derivative error = ν "
        "against exact gradients on the tool's own points; ν 95% CI ± = the tool's own "
        "half-width, relative"
    )
    # "compute" is all of the work after setup (sample + evaluate + analyze): counted once.
    phases = report.phases_table(measured, PHASES, ("setup", "compute", "write"), points=False)
    sections = [
        ("", table(measured)),
        ("phases of the end-to-end runs (medians, s)", phases),
        ("goals", report.goals_text(record["goals"])),
    ]
    return report.document(record, note, sections)


def main(
    args: argparse.Namespace, chosen: Sequence[Tool], results: Path, log: Callable[[str], None]
) -> int:
    """Measure, print the report, write the results file; 1 when a tool failed."""
    title = (
        f"DGSM of dgsm100 (exp(c·x), {args.inputs} inputs on [0, 1]) from {args.samples:,} "
        "base samples: AD gradients against SALib's finite differences"
    )
    libraries = (*machine.LIBRARIES, "SALib")
    with report.Benchmark("dgsm", title, args, log, libraries) as bench:
        measured = measure(args, chosen, bench.workdir, log)
    record = bench.record(
        floors={"wall": WALL_FLOOR, "compute": COMPUTE_FLOOR},
        exact={
            "variance": dgsm100.variance(args.inputs),
            "mean_square": dgsm100.mean_square(args.inputs),
            "vi": dgsm100.exact_vi(args.inputs).tolist(),
            "dgsm": dgsm100.exact_dgsm(args.inputs).tolist(),
        },
        tools=[got.to_dict() for got in measured],
        goals=[evaluate(goal, measured) for goal in _goals(args.goal)],
    )
    bench.publish(results, record, text(record, measured))
    return 1 if any(got.status.startswith("failed") for got in measured) else 0
