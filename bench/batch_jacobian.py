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
import shutil
import sys
from pathlib import Path

import numpy as np

from bench.harness import Goal, Suite, Tool, script
from bench.problems import r2r3

PROBLEM = "r2r3"
TOOLS = ("jaccli", "jax", "torch", "scipy", "numdifftools")


def _jaccli_command() -> list[str]:
    beside = Path(sys.executable).with_name("jaccli")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("jaccli")
    return [found] if found else [sys.executable, "-m", "jaccli"]


def _jaccli(points: Path, output: Path, timings: Path) -> list[str]:
    source = str(Path(r2r3.__file__).resolve())
    command = ["jacobian", source, "--batch", str(points), "--output", str(output), "--quiet"]
    return [*_jaccli_command(), *command]


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


def suite(args: argparse.Namespace, workdir: Path, chosen: list[Tool]) -> Suite:
    """Write the points (and the subset) into ``workdir`` and describe the run."""
    points = r2r3.points(args.n, args.seed)
    full = workdir / "points.npy"
    subset = workdir / "points-subset.npy"
    np.save(full, points)
    np.save(subset, points[: min(args.subset, args.n)])
    return Suite(
        name="batch",
        title=f"Per-sample Jacobians of r2r3 (R² → R³) at {args.n:,} points, .npy in and out",
        problem=r2r3,
        points=full,
        subset_points=subset,
        tools=chosen,
        floor="jax",
        goals=GOALS,
    )
