"""The sparse benchmark: the tridiagonal Jacobian of Broyden's function at n = 10⁵.

`bench/problems/broyden.py`, end to end from ``.npy`` to a sparse ``.npz`` (CSR, in
``scipy.sparse.save_npz``'s layout), a fresh process each:

* jaccli: ``jaccli jacobian FILE --at @x.npy --sparse --output J.npz`` (sparsity detected from
  the traced program, columns coloured, one JVP per colour), ``--no-cache``;
* raw JAX, the floor: the compressed Jacobian from one JVP per colour of a hand-coloured
  pattern (three colours, column j gets j mod 3), vmapped and compiled, scattered into CSR;
* SciPy: ``approx_derivative(f, x, method="3-point", sparsity=pattern)``, which groups the
  columns itself and perturbs each group at once.

numdifftools has no sparse Jacobian (its dense one would be 10¹⁰ entries, 80 GB), nor has
``torch.func``; jaccli's dense ``jacobian`` refuses the 80 GB result before computing it.
When the jaccli being measured has no ``--sparse`` yet, its row says so and the others run.
"""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench import answers, cases, process
from bench.cases import Case, Goal, Row
from bench.problems import broyden

REPEAT = 5
SOURCE = Path(broyden.__file__).resolve()


def tools() -> list[cases.ToolKey]:
    return [
        cases.ToolKey("jaccli", "jaccli jacobian --sparse"),
        cases.ToolKey("jax", "raw JAX compressed JVPs"),
        cases.ToolKey("scipy", "SciPy approx_derivative(sparsity=)"),
        cases.ToolKey("torch", "torch.func"),
        cases.ToolKey("numdifftools", "numdifftools"),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench sparse``."""
    parser.add_argument("--n", type=int, default=100_000, help="inputs = outputs (10⁵)")
    cases.add_common_arguments(parser)


def sparse_available() -> bool:
    """Whether this jaccli's ``jacobian`` takes ``--sparse`` (its ``--help`` lists it)."""
    done = subprocess.run(
        [*process.jaccli_command(), "jacobian", "--help"],
        capture_output=True,
        text=True,
        env=cases.environment({}),
        check=False,
    )
    return done.returncode == 0 and "--sparse" in done.stdout


def _build(args: argparse.Namespace, workdir: Path) -> list[Case]:
    n = 1000 if args.quick else args.n
    x = broyden.points(n)
    np.save(workdir / "x.npy", x)

    def out(key: str) -> Path:
        return workdir / f"{key}.npz"

    def script(key: str, label: str, **kw: Any) -> Row:
        point, read = workdir / "x.npy", answers.read_sparse
        return cases.derivative_row(
            key, label, "sparse", "broyden:f", point, out(key), read=read, **kw
        )

    jaccli_skip = None
    if not sparse_available():
        jaccli_skip = "not available: this jaccli's `jacobian` has no --sparse option yet"
    dense = cases.size_text(8 * n * n)
    dense_skip = f"the dense Jacobian is {n * n:.0e} entries ({dense})"
    if 8 * n * n > 1 << 30:
        dense_skip += ", refused by --max-bytes before any work"
    rows = [
        Row(
            "jaccli",
            "jaccli jacobian --sparse",
            [
                *process.jaccli_command(),
                "jacobian",
                SOURCE,
                "--at",
                f"@{workdir / 'x.npy'}",
                "--sparse",
                "--output",
                out("jaccli"),
                "--quiet",
                "--no-cache",
            ],
            skip=jaccli_skip,
            output=out("jaccli"),
            read=answers.read_sparse,
        ),
        script("jax", "raw JAX, 3 compressed JVPs"),
        script("scipy", "SciPy approx_derivative(sparsity=)", rtol=1e-8),
        Row(
            "jaccli-dense",
            "jaccli jacobian (dense)",
            skip=dense_skip,
        ),
        Row("torch", "torch.func", skip="no sparse Jacobian in torch.func"),
        Row(
            "numdifftools",
            "numdifftools",
            skip=f"no sparsity support: its dense Jacobian would be {dense}",
        ),
    ]
    title = f"Broyden tridiagonal, n = m = {n:,} (3 nonzeros per row)"
    return [Case("broyden", title, rows, "jax", broyden.exact_jacobian(x))]


GOALS = (
    Goal(
        "jaccli --sparse ÷ raw JAX compressed JVPs, wall (the gradient's bound, for reference)",
        "broyden",
        "wall",
        "jaccli",
        ("jax",),
        1.2,
    ),
    Goal(
        "jaccli --sparse ÷ raw JAX, peak memory (the gradient's bound, for reference)",
        "broyden",
        "peak",
        "jaccli",
        ("jax",),
        1.3,
    ),
)


def main(
    args: argparse.Namespace, chosen: Sequence[Any], results: Path, log: Callable[[str], None]
) -> int:
    """Measure, print the report, write the results file; 1 when a row failed."""
    return cases.run_benchmark(
        "sparse",
        "Sparse: the tridiagonal Jacobian of Broyden's function, .npy in, sparse .npz out",
        args,
        lambda workdir: _build(args, workdir),
        GOALS,
        results,
        log,
    )
