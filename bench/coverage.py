"""Coverage of the confidence intervals of global sensitivity: how often a 95% interval holds the
exact index, and how wide it is beside the actual error, over many seeds.

Functions with closed-form indices — Ishigami on [−π, π]³, Sobol' G (a = 0, 1, 4.5, 9) on
[0, 1]⁴, and x₁x₂ on [0, 1]² — are evaluated in NumPy (values and exact gradients) on the samples
jaccli draws and analysed by jaccli's own estimators, for Sobol' (S1, ST) and DGSM (ν, DGSM):

* ``replicated``: jaccli's intervals, 8 independently scrambled Sobol' sequences of N/8 points,
  Student's t over them (`jaccli._sensitivity.replicates`).
* ``bootstrap``: what jaccli gave before, and what SALib gives: one scrambled sequence of N
  points, 1000 bootstrap resamples of its points as if they were independent, ±1.96 standard
  deviations. Its errors are also those of ``--replicates 1`` (one sequence, no interval).

Per function, method and way: the share of intervals that hold the truth, the mean half-width,
the root-mean-square error, and the mean error over the mean half-width (about 0.34 for an
interval that is as wide as it should be on t's 7 degrees of freedom, 0.41 for a normal one).
Nothing is timed.
"""

from __future__ import annotations

import argparse
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench import report

REPEAT = 1
PI = np.pi
G_A = np.array([0.0, 1.0, 4.5, 9.0])


@dataclass(frozen=True)
class Tool:
    """One way to give the intervals."""

    key: str
    label: str


def tools() -> list[Tool]:
    return [
        Tool("replicated", "8 scrambled replicates, Student's t (jaccli)"),
        Tool("bootstrap", "bootstrap of one scrambled sequence (before; SALib)"),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench coverage``."""
    parser.add_argument("--samples", type=int, default=1024, help="base samples N (1024)")
    parser.add_argument("--seeds", type=int, default=100, help="seeds per case (100)")
    parser.add_argument("--quick", action="store_true", help="N = 64, 4 seeds (a smoke run)")


def ishigami(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x1, x2, x3 = x.T
    value = np.sin(x1) + 7 * np.sin(x2) ** 2 + 0.1 * x3**4 * np.sin(x1)
    gradient = [
        np.cos(x1) * (1 + 0.1 * x3**4),
        14 * np.sin(x2) * np.cos(x2),
        0.4 * x3**3 * np.sin(x1),
    ]
    return value, np.stack(gradient, axis=1)


def g_function(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    factors = (np.abs(4 * x - 2) + G_A) / (1 + G_A)
    value = np.prod(factors, axis=1)
    return value, value[:, None] / factors * 4 * np.sign(4 * x - 2) / (1 + G_A)


def product(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return x[:, 0] * x[:, 1], x[:, ::-1].copy()


def truths() -> dict[str, dict[str, np.ndarray]]:
    """The exact indices of the three functions (Sobol' 1993; Ishigami 1990; DGSM by hand)."""
    v1, v2 = 0.1 * PI**4 / 5 + 0.01 * PI**8 / 50 + 0.5, 49 / 8
    v13 = 0.01 * PI**8 / 18 - 0.01 * PI**8 / 50
    variance = v1 + v2 + v13
    nu = np.array([0.5 * (1 + 0.2 * PI**4 / 5 + 0.01 * PI**8 / 9), 49 / 2, 0.08 * PI**6 / 7])
    ishigami_truth = {
        "S1": np.array([v1, v2, 0]) / variance,
        "ST": np.array([v1 + v13, v2, v13]) / variance,
        "vi": nu,
        "dgsm": 4 * nu / variance,
    }
    partial = 1 / (3 * (1 + G_A) ** 2)
    g_variance = np.prod(1 + partial) - 1
    others = np.array([np.prod(np.delete(1 + partial, i)) for i in range(4)])
    g_vi = 16 / (1 + G_A) ** 2 * others
    g_truth = {
        "S1": partial / g_variance,
        "ST": partial * others / g_variance,
        "vi": g_vi,
        "dgsm": g_vi / PI**2 / g_variance,
    }
    product_truth = {
        "S1": np.full(2, 3 / 7),
        "ST": np.full(2, 4 / 7),
        "vi": np.full(2, 1 / 3),
        "dgsm": np.full(2, 144 / (3 * 7 * PI**2)),
    }
    return {"ishigami": ishigami_truth, "g": g_truth, "product": product_truth}


Function = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
CASES: dict[str, tuple[Function, str, int]] = {
    "ishigami": (ishigami, "-pi:pi", 3),
    "g": (g_function, "0:1", 4),
    "product": (product, "0:1", 2),
}


def sobol_run(case: str, tool: str, samples: int, seed: int) -> dict[str, np.ndarray]:
    """S1 and ST with their half-widths on jaccli's sample, by ``tool``'s intervals."""
    from SALib.analyze import sobol as analyze

    from jaccli._load import parse_bounds
    from jaccli._sensitivity.saltelli import saltelli_points, sobol_indices
    from jaccli._sensitivity.sample import from_unit

    f, bounds, n = CASES[case]
    spec = {"num_vars": n, "names": [f"x{j}" for j in range(n)], "bounds": [[0.0, 1.0]] * n}
    replicates = 8 if tool == "replicated" else 1
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        unit, sizes = saltelli_points(samples, n, seed, replicates)
        y = f(from_unit(unit, [parse_bounds(bounds)[None]] * n))[0]
        if tool == "replicated":
            return {key: value[0] for key, value in sobol_indices(y[:, None], n, sizes).items()}
        found = analyze.analyze(spec, y, calc_second_order=False, num_resamples=1000, seed=seed + 1)
    return {key: np.asarray(found[key]) for key in ("S1", "S1_conf", "ST", "ST_conf")}


def dgsm_run(case: str, tool: str, samples: int, seed: int) -> dict[str, np.ndarray]:
    """ν and DGSM with their half-widths on jaccli's sample, by ``tool``'s intervals."""
    from jaccli._load import parse_bounds
    from jaccli._sensitivity.dgsm import dgsm_indices
    from jaccli._sensitivity.sample import from_unit, replicated_sobol_points

    f, bounds, n = CASES[case]
    distributions = [parse_bounds(bounds)[None]] * n
    unit, sizes = replicated_sobol_points(samples, n, seed, 8 if tool == "replicated" else 1)
    values, gradients = f(from_unit(unit, distributions))
    found = dgsm_indices(values[:, None], gradients[:, None, :], distributions, sizes)
    found = {key: value[0] for key, value in found.items()}
    if tool == "bootstrap":
        picks = np.random.default_rng(seed + 1).integers(samples, size=(1000, samples))
        constant = np.array([d.poincare for d in distributions])
        vi = (gradients**2)[picks].mean(axis=1)
        dgsm = constant * vi / values[picks].var(axis=1)[:, None]
        found["vi_conf"], found["dgsm_conf"] = 1.96 * vi.std(axis=0), 1.96 * dgsm.std(axis=0)
    return found


def study(case: str, method: str, tool: str, samples: int, seeds: int) -> dict[str, Any]:
    """Coverage, widths and errors of one function, method and way over ``seeds`` seeds."""
    truth = truths()[case]
    keys = ("S1", "ST") if method == "sobol" else ("vi", "dgsm")
    run = sobol_run if method == "sobol" else dgsm_run
    errors, halves = [], []
    for seed in range(seeds):
        found = run(case, tool, samples, seed)
        for key in keys:
            # Relative to the index's size for ν (whose scale is the function's), absolute else.
            scale = truth[key] if key == "vi" else 1.0
            errors.append(np.abs(found[key] - truth[key]) / scale)
            halves.append(found[f"{key}_conf"] / scale)
    error, half = np.concatenate(errors), np.concatenate(halves)
    return {
        "case": case,
        "method": method,
        "tool": tool,
        "intervals": int(error.size),
        "coverage": float(np.mean(error <= half)),
        "mean_half_width": float(np.mean(half)),
        "rms_error": float(np.sqrt(np.mean(error**2))),
        "error_over_half_width": float(np.mean(error) / np.mean(half)),
    }


def table(rows: Sequence[dict[str, Any]], labels: dict[str, str]) -> str:
    header = ("function", "method", "intervals", "coverage", "mean ±", "RMS error", "error ÷ ±")
    body = [
        (
            row["case"],
            row["method"],
            labels[row["tool"]],
            f"{row['coverage']:.1%} of {row['intervals']}",
            f"{row['mean_half_width']:.2e}",
            f"{row['rms_error']:.2e}",
            f"{row['error_over_half_width']:.2f}",
        )
        for row in rows
    ]
    return report.markdown(header, body)


def main(
    args: argparse.Namespace, chosen: Sequence[Tool], results: Path, log: Callable[[str], None]
) -> int:
    """Run the study, print its table, write the results file."""
    samples, seeds = (64, 4) if args.quick else (args.samples, args.seeds)
    title = (
        f"coverage of 95% intervals over {seeds} seeds at N = {samples:,} "
        "(ν errors relative, index errors absolute)"
    )
    with report.Benchmark("coverage", title, args, log) as bench:
        rows = []
        for case in CASES:
            for method in ("sobol", "dgsm"):
                for tool in chosen:
                    log(f"{case}, {method}: {tool.label}")
                    rows.append(study(case, method, tool.key, samples, seeds))
    record = bench.record(rows=rows)
    text = report.document(record, "", [("", table(rows, {t.key: t.label for t in tools()}))])
    bench.publish(results, record, text)
    return 0
