"""The mode benchmark: does ``--mode auto`` pick the faster of forward and reverse mode?

Four Jacobians of `bench/problems/modes.py`, end to end (``jaccli jacobian FILE:SHAPE --at
@x.npy --output J.npy``, a fresh process each): a wide one (n = 10⁴ inputs → m = 4), a tall one
(n = 4 → m = 10⁴), a square one (n = m = 2000) and a near-square one (n = 4000 → m = 3998).
jaccli runs with ``--mode auto``, ``fwd`` and ``rev``, all with ``--no-cache`` (every run
compiles, as the scripts beside it do). Beside it: raw JAX (``jax.jit(jax.jacfwd(f))`` and
``jacrev``, the floor is the faster of the two), ``torch.func`` (``jacfwd``, ``jacrev``), SciPy
(``approx_derivative``, central differences) and numdifftools (``Jacobian``; skipped above
1000 inputs, where it takes minutes).

Goal (from the benchmark issue): ``--mode auto`` within 1.1× of the better of ``fwd`` and
``rev``, wall time, on every shape.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench import answers, cases, process
from bench.cases import Case, Goal, Row
from bench.problems import modes

REPEAT = 5
SOURCE = Path(modes.__file__).resolve()
# numdifftools loops over inputs and steps in Python: about 9 s at n = 1000 here, growing
# like n², so beyond this it would take minutes per run.
NUMDIFFTOOLS_MAX_INPUTS = 1000
QUICK_SIZE = 300


def tools() -> list[cases.ToolKey]:
    return [
        cases.ToolKey("jaccli", "jaccli --mode auto|fwd|rev"),
        cases.ToolKey("jax", "raw JAX jacfwd / jacrev"),
        cases.ToolKey("torch", "torch.func jacfwd / jacrev"),
        cases.ToolKey("scipy", "SciPy approx_derivative"),
        cases.ToolKey("numdifftools", "numdifftools Jacobian"),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench modes``."""
    parser.add_argument("--wide", type=int, default=10_000, help="inputs of the wide case (10⁴)")
    parser.add_argument("--tall", type=int, default=10_000, help="outputs of the tall case (10⁴)")
    parser.add_argument("--square", type=int, default=2000, help="n = m of the square case (2000)")
    parser.add_argument(
        "--near-square", type=int, default=4000, help="inputs of the near-square case (4000)"
    )
    parser.add_argument(
        "--shapes", default=",".join(modes.SHAPES), help=f"subset of {','.join(modes.SHAPES)}"
    )
    cases.add_common_arguments(parser)


def _case(shape: str, size: int, workdir: Path) -> Case:
    folder = workdir / shape
    folder.mkdir()
    x = modes.points(shape, size)
    np.save(folder / "x.npy", x)
    extra: list[Any] = []
    at = f"@{folder / 'x.npy'}"
    wrt: list[str] = []
    t = None
    if shape == "tall":
        t = modes.times(size)
        np.save(folder / "t.npy", t)
        extra = ["--arg", folder / "t.npy"]
        at = f"x=@{folder / 'x.npy'},t=@{folder / 't.npy'}"
        wrt = ["--wrt", "x"]
    exact = modes.jacobian(shape, x, t)
    m, n = exact.shape

    def out(key: str) -> Path:
        return folder / f"{key}.npy"

    def jaccli(mode: str) -> Row:
        key = f"jaccli-{mode}"
        argv = [
            *process.jaccli_command(),
            "jacobian",
            f"{SOURCE}:{shape}",
            "--at",
            at,
            *wrt,
            "--mode",
            mode,
            "--output",
            out(key),
            "--quiet",
            "--no-cache",
        ]
        return Row(key, f"jaccli --mode {mode}", argv, output=out(key), read=answers.read_npy)

    def script(key: str, label: str, kind: str, **kw: Any) -> Row:
        function, x = f"modes:{shape}", folder / "x.npy"
        return cases.derivative_row(key, label, kind, function, x, out(key), *extra, **kw)

    numdifftools_skip = None
    if n > NUMDIFFTOOLS_MAX_INPUTS:
        numdifftools_skip = (
            f"n = {n:,}: numdifftools loops over inputs and steps in Python (≈ 9 s at n = 1000, "
            "growing like n²)"
        )
    rows = [
        jaccli("auto"),
        jaccli("fwd"),
        jaccli("rev"),
        script("jax-fwd", "raw JAX jit(jacfwd)", "jacfwd"),
        script("jax-rev", "raw JAX jit(jacrev)", "jacrev"),
        script("torch-fwd", "torch.func jacfwd", "jacfwd"),
        script("torch-rev", "torch.func jacrev", "jacrev"),
        script("scipy", "SciPy approx_derivative 3-point", "dense", rtol=1e-6),
        script(
            "numdifftools", "numdifftools Jacobian", "jacobian", skip=numdifftools_skip, rtol=1e-6
        ),
    ]
    titles = {
        "wide": "wide",
        "tall": "tall",
        "square": "square",
        "near_square": "near-square",
    }
    floor = "jax-rev" if shape == "wide" else "jax-fwd"
    return Case(shape, f"{titles[shape]}: n = {n:,} → m = {m:,}", rows, floor, exact)


def _sizes(args: argparse.Namespace) -> dict[str, int]:
    if args.quick:
        return dict.fromkeys(modes.SHAPES, QUICK_SIZE)
    return {
        "wide": args.wide,
        "tall": args.tall,
        "square": args.square,
        "near_square": args.near_square,
    }


def main(
    args: argparse.Namespace, chosen: Sequence[Any], results: Path, log: Callable[[str], None]
) -> int:
    """Measure, print the report, write the results file; 1 when a row failed."""
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    sizes = _sizes(args)
    goals = [
        goal
        for shape in shapes
        for goal in (
            Goal(
                f"{shape}: --mode auto ÷ the better of fwd and rev ≤ 1.1, wall",
                shape,
                "wall",
                "jaccli-auto",
                ("jaccli-fwd", "jaccli-rev"),
                1.1,
            ),
            Goal(
                f"{shape}: the same in CPU time",
                shape,
                "cpu",
                "jaccli-auto",
                ("jaccli-fwd", "jaccli-rev"),
                1.1,
            ),
        )
    ]

    def build(workdir: Path) -> list[Case]:
        return [_case(shape, sizes[shape], workdir) for shape in shapes]

    return cases.run_benchmark(
        "modes",
        "Modes: --mode auto against forward and reverse mode, end to end",
        args,
        build,
        goals,
        results,
        log,
    )
