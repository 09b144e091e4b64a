"""The check benchmark: what ``jaccli check`` costs, against numdifftools and SciPy.

``jaccli check`` compares the AD Jacobian with references: SymPy, central differences with
Richardson extrapolation (12 steps per input, with an error estimate for every entry) and the
complex step. The same function, `square` of `bench/problems/modes.py` (sin(x)·exp(−x²/10) +
cumsum(x)/n, n → n, a dense lower-triangular Jacobian), at n = 100 and n = 1000, end to end, a
fresh process each:

* jaccli, every reference: ``jaccli check FILE:square --at @x.npy --format json``;
* jaccli, finite differences only: the same with ``--against fd`` (the floor);
* numdifftools: ``numdifftools.Jacobian`` (central differences, Richardson extrapolation);
* SciPy: ``approx_derivative`` with ``3-point`` (central differences, one step) and ``cs``
  (the complex step).

jaccli runs with ``--no-cache``. *max error* is, for jaccli, the largest difference between AD
and its finite-difference or complex-step reference that it reports; for the others, between
their estimate and the exact Jacobian.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench import cases, process
from bench.cases import Case, Goal, Row
from bench.problems import modes

REPEAT = 3
SOURCE = Path(modes.__file__).resolve()


def tools() -> list[cases.ToolKey]:
    return [
        cases.ToolKey("jaccli", "jaccli check"),
        cases.ToolKey("scipy", "SciPy approx_derivative"),
        cases.ToolKey("numdifftools", "numdifftools Jacobian"),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench check``."""
    parser.add_argument("--n", default="100,1000", help="comma-separated sizes (100,1000)")
    cases.add_common_arguments(parser)


def read_check(path: Path) -> float:
    """The largest error jaccli's check reports between AD and an available reference."""
    report = json.loads(path.read_text())
    errors = [
        ref["max_abs_err"]
        for ref in report["references"]
        if ref["available"] and ref["max_abs_err"] is not None
    ]
    if not report["passed"] or not errors:
        raise ValueError("the check did not pass")
    return float(max(errors))


def _case(n: int, workdir: Path) -> Case:
    folder = workdir / f"n{n}"
    folder.mkdir()
    x = modes.points("square", n)
    np.save(folder / "x.npy", x)
    check = [
        *process.jaccli_command(),
        "check",
        f"{SOURCE}:square",
        "--at",
        f"@{folder / 'x.npy'}",
        "--format",
        "json",
        "--no-cache",
    ]

    def out(key: str, suffix: str = ".npy") -> Path:
        return folder / f"{key}{suffix}"

    def jaccli(key: str, label: str, *against: str) -> Row:
        output = out(key, ".json")
        return Row(key, label, [*check, *against], output=output, stdout=True, read=read_check)

    def script(key: str, label: str, kind: str, *extra: Any, **kw: Any) -> Row:
        point = folder / "x.npy"
        return cases.derivative_row(key, label, kind, "modes:square", point, out(key), *extra, **kw)

    def scipy(method: str, **kw: Any) -> Row:
        key, label = f"scipy-{method.replace('-', '')}", f"SciPy approx_derivative {method}"
        return script(key, label, "dense", "--method", method, **kw)

    rows = [
        jaccli("jaccli", "jaccli check (sympy, fd, complex)"),
        jaccli("jaccli-fd", "jaccli check --against fd", "--against", "fd"),
        script("numdifftools", "numdifftools Jacobian", "jacobian", rtol=1e-6),
        scipy("3-point", rtol=1e-6),
        scipy("cs"),
    ]
    exact = modes.jacobian("square", x)
    return Case(f"n{n}", f"check of square, n = m = {n:,}", rows, "jaccli-fd", exact)


def main(
    args: argparse.Namespace, chosen: Sequence[Any], results: Path, log: Callable[[str], None]
) -> int:
    """Measure, print the report, write the results file; 1 when a row failed."""
    sizes = [20] if args.quick else [int(n) for n in args.n.split(",") if n.strip()]
    goals = [
        Goal(
            f"n = {n}: jaccli check --against fd ÷ numdifftools, wall (measured; no bound)",
            f"n{n}",
            "wall",
            "jaccli-fd",
            ("numdifftools",),
            None,
        )
        for n in sizes
    ]
    return cases.run_benchmark(
        "check",
        "Check cost: jaccli check against numdifftools and SciPy finite differences",
        args,
        lambda workdir: [_case(n, workdir) for n in sizes],
        goals,
        results,
        log,
    )
