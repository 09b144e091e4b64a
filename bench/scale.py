"""The scale benchmark: the gradient of 10⁷ inputs, and a Hessian-vector product at 10⁶.

`bench/problems/rosenbrock.py`, the n-dimensional Rosenbrock function, end to end from ``.npy``
to ``.npy``, a fresh process each:

* gradient, n = 10⁷: ``jaccli grad FILE --at @x.npy --output g.npy`` against the raw JAX script
  ``jax.jit(jax.grad(f))`` and ``torch.func.grad``;
* HVP, n = 10⁶: ``jaccli hvp FILE --at @x.npy --v @v.npy --output hv.npy`` against raw JAX
  forward-over-reverse, ``jax.jvp(jax.grad(f), (x,), (v,))``, and ``torch.func`` the same way.

jaccli runs with ``--no-cache`` (it compiles every run, as the scripts do) and once more with its
compilation cache warm (the default). SciPy and numdifftools have rows that say why they are not
run: their gradients need n + 1 evaluations of a function of n inputs, and neither has a
Hessian-vector product (their Hessians are dense n × n).

Goals (from the second performance wave; the first asked for 1.2× and 1.3×): the gradient
within 1.1× the raw JAX script's wall time, with a peak memory (max RSS) at most 1.2× the
script's; the HVP measured against its script, shown here against the same bounds.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench import answers, cases, process
from bench.cases import Case, Goal, Row
from bench.problems import rosenbrock

REPEAT = 5
SOURCE = Path(rosenbrock.__file__).resolve()


def tools() -> list[cases.ToolKey]:
    return [
        cases.ToolKey("jaccli", "jaccli grad / hvp"),
        cases.ToolKey("jax", "raw JAX"),
        cases.ToolKey("torch", "torch.func"),
        cases.ToolKey("scipy", "SciPy"),
        cases.ToolKey("numdifftools", "numdifftools"),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench scale``."""
    parser.add_argument("--grad-n", type=int, default=10_000_000, help="gradient inputs (10⁷)")
    parser.add_argument("--hvp-n", type=int, default=1_000_000, help="HVP inputs (10⁶)")
    cases.add_common_arguments(parser)


def _size(n: int) -> str:
    """``10⁷`` for a power of ten, else ``1,234``."""
    exponent = len(str(n)) - 1
    if n != 10**exponent:
        return f"{n:,}"
    return "10" + str(exponent).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def _build(args: argparse.Namespace, workdir: Path) -> list[Case]:
    grad_n, hvp_n = (100_000, 10_000) if args.quick else (args.grad_n, args.hvp_n)
    jaccli = process.jaccli_command()
    built = []
    for kind, n in (("grad", grad_n), ("hvp", hvp_n)):
        folder = workdir / kind
        folder.mkdir()
        x, v = rosenbrock.points(n), rosenbrock.direction(n)
        np.save(folder / "x.npy", x)
        vector: list[Any] = []
        script_vector: list[Any] = []
        if kind == "hvp":
            np.save(folder / "v.npy", v)
            vector = ["--v", f"@{folder / 'v.npy'}"]
            script_vector = ["--v", folder / "v.npy"]
        exact = rosenbrock.gradient(x) if kind == "grad" else rosenbrock.hvp(x, v)

        def out(key: str, folder: Path = folder) -> Path:
            return folder / f"{key}.npy"

        command = [*jaccli, kind, SOURCE, "--at", f"@{folder / 'x.npy'}", *vector, "--quiet"]

        def script(
            key: str,
            label: str,
            kind: str = kind,
            folder: Path = folder,
            vector: list[Any] = script_vector,
        ) -> Row:
            point = folder / "x.npy"
            return cases.derivative_row(key, label, kind, "rosenbrock:f", point, out(key), *vector)

        evaluations = f"{n + 1:,} evaluations of f (one per input) to form a gradient"
        if kind == "grad":
            scipy_skip = f"approx_derivative needs {evaluations}: ≈ n² = {n * n:.0e} operations"
            numdifftools_skip = f"numdifftools.Gradient needs several times {evaluations}"
        else:
            dense = f"n² = {n * n:.0e} entries ({cases.size_text(8 * n * n)})"
            scipy_skip = f"no Hessian-vector product; the dense Hessian is {dense}"
            numdifftools_skip = f"numdifftools.Hessian forms the dense Hessian, {dense}"
        label = "grad" if kind == "grad" else "hvp"
        rows = [
            Row(
                "jaccli",
                f"jaccli {label} --no-cache",
                [*command, "--output", out("jaccli"), "--no-cache"],
                output=out("jaccli"),
                read=answers.read_npy,
            ),
            Row(
                "jaccli-cache",
                f"jaccli {label} (cache warm)",
                [*command, "--output", out("jaccli-cache")],
                output=out("jaccli-cache"),
                read=answers.read_npy,
                env={"JACCLI_CACHE_DIR": str(workdir / "cache-jaccli")},
                prime=True,
            ),
            script("jax", "raw JAX jit(grad)" if kind == "grad" else "raw JAX jvp(grad)"),
            script("torch", "torch.func grad" if kind == "grad" else "torch.func jvp(grad)"),
            Row("scipy", "SciPy", skip=scipy_skip),
            Row("numdifftools", "numdifftools", skip=numdifftools_skip),
        ]
        what = "gradient" if kind == "grad" else "Hessian-vector product"
        built.append(Case(kind, f"{what} of Rosenbrock, n = {_size(n)}", rows, "jax", exact))
    return built


GOALS = (
    Goal("gradient: jaccli ÷ raw JAX ≤ 1.1, wall", "grad", "wall", "jaccli", ("jax",), 1.1),
    Goal("gradient: jaccli ÷ raw JAX ≤ 1.2, peak memory", "grad", "peak", "jaccli", ("jax",), 1.2),
    Goal(
        "gradient: jaccli with its cache warm ÷ raw JAX ≤ 1.1, wall",
        "grad",
        "wall",
        "jaccli-cache",
        ("jax",),
        1.1,
    ),
    Goal("gradient: the same in CPU time", "grad", "cpu", "jaccli", ("jax",), 1.1),
    Goal(
        "HVP: jaccli ÷ raw JAX, wall (bound as for the gradient)",
        "hvp",
        "wall",
        "jaccli",
        ("jax",),
        1.1,
    ),
    Goal("HVP: jaccli ÷ raw JAX, peak memory", "hvp", "peak", "jaccli", ("jax",), 1.2),
)


def main(
    args: argparse.Namespace, chosen: Sequence[Any], results: Path, log: Callable[[str], None]
) -> int:
    """Measure, print the report, write the results file; 1 when a row failed."""
    return cases.run_benchmark(
        "scale",
        "Scale: the gradient of 10⁷ inputs and a Hessian-vector product at 10⁶, end to end",
        args,
        lambda workdir: _build(args, workdir),
        GOALS,
        results,
        log,
    )
