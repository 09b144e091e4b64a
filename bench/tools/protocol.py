"""The command line every tool script shares, and the timing of its phases.

A tool supplies ``setup(problem) -> compute``: it imports its framework and builds the
transform (the ``setup`` phase); ``compute(points)`` takes a NumPy ``(N, n)`` array and returns
NumPy Jacobians ``(N, m, n)``. This module then times, in one process:

* end to end (default): read the ``.npy``, one ``compute``, write the ``.npy``; the harness
  times the whole process from outside, and the phases written here say where it went.
* ``--warm R``: one ``compute`` to warm up (compilation, caches), then ``R`` timed ones on the
  same points, nothing written: the compute-only figure.

Timings go to ``--timings FILE`` as JSON, so a tool's stdout and stderr stay its own.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from types import ModuleType

import numpy as np

from bench.tools import timing

Compute = Callable[[np.ndarray], np.ndarray]


def load_problem(name: str) -> ModuleType:
    """The problem module ``bench.problems.NAME``."""
    return importlib.import_module(f"bench.problems.{name}")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", required=True, help="a module of bench.problems")
    parser.add_argument("--points", required=True, help="input .npy, shape (N, n)")
    parser.add_argument("--output", help="output .npy, shape (N, m, n) (end-to-end runs)")
    parser.add_argument("--timings", required=True, help="write the phase timings here (JSON)")
    parser.add_argument("--warm", type=int, default=0, help="time R warm computes instead")
    return parser.parse_args()


def main(setup: Callable[[ModuleType], Compute]) -> None:
    """Run one tool as the harness asks (see the module docstring)."""
    args = _arguments()
    phases = timing.Phases()
    compute = setup(load_problem(args.problem))
    phases.end("setup")
    points = np.load(args.points)
    phases.end("read")
    jacobians = compute(points)
    phases.end("compute")
    record: dict[str, object] = {"phases": phases.seconds, "points": len(points)}
    if args.warm:
        record["warm"] = timing.warm(lambda: compute(points), args.warm)
    else:
        np.save(args.output, jacobians)
        phases.end("write")
    timing.write(args.timings, record)
