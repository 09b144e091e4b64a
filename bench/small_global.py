"""The small global-analysis benchmark: Sobol' and DGSM of Ishigami against the SALib scripts.

`bench/problems/ishigami.py` (3 inputs on [−π, π]), end to end, a fresh process each — on a
problem this small the imports and the compilation are most of the time, so this measures what
a global analysis costs beyond its maths:

* Sobol', N = 1024 (5,120 evaluations): ``jaccli sensitivity FILE --at 0,0,0 --bounds x=-pi:pi
  --method sobol --samples 1024 --format json``, with its compilation cache warm (the default)
  and with ``--no-cache``; against ``bench/tools/sobol_salib.py``, the plain SALib script
  (``sobol.sample`` → NumPy evaluation → ``sobol.analyze``, SALib's defaults).
* DGSM, N = 4096: ``jaccli sensitivity ... --method dgsm --samples 4096`` the same two ways;
  against ``bench/tools/dgsm_salib.py --problem ishigami`` with SALib's defaults (δ = 0.01,
  100 resamples): ``finite_diff.sample`` (N·(D+1) points) → NumPy → ``dgsm.analyze``.

A third row imports JAX and nothing else: no JAX program starts faster, so it shows how much
of the SALib script's time JAX's import alone takes. The rounds are interleaved, figures are
medians and ratios divide by the SALib script. Each
row's error is the largest absolute error of its indices (S1 and ST; the DGSM measure) against
the closed forms: the sampling error, shown so that speed is not bought with accuracy.

Goals (performance, second wave): Sobol' ≤ 1.5× the SALib script (the SALib script plus JAX's
own import: nothing else may show), DGSM ≤ 1.0× SALib's finite-difference DGSM script.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench import cases, process
from bench.cases import Case, Goal, Row
from bench.problems import ishigami

REPEAT = 5
SOURCE = Path(ishigami.__file__).resolve()
INDICES = {"sobol": ("S1", "ST"), "dgsm": ("dgsm",)}
JAX_IMPORT = [sys.executable, "-c", "import jax.numpy"]


def tools() -> list[cases.ToolKey]:
    return [
        cases.ToolKey("jaccli", "jaccli sensitivity"),
        cases.ToolKey("salib", "the SALib script"),
        cases.ToolKey("jax", "JAX's import alone"),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench global``."""
    parser.add_argument("--sobol-samples", type=int, default=1024, help="Sobol' N (1024)")
    parser.add_argument("--dgsm-samples", type=int, default=4096, help="DGSM N (4096)")
    cases.add_common_arguments(parser)


def error_reader(method: str) -> Callable[[Path], float]:
    """Reads a tool's JSON: the largest absolute error of its indices against the closed forms."""
    exact = ishigami.exact()

    def read(path: Path) -> float:
        indices = json.loads(path.read_text())["indices"]
        return max(
            float(np.max(np.abs(np.asarray(indices[key], dtype=float) - exact[key])))
            for key in INDICES[method]
        )

    return read


def _build(args: argparse.Namespace, workdir: Path) -> list[Case]:
    jaccli = process.jaccli_command()
    built = []
    for method, samples in (("sobol", args.sobol_samples), ("dgsm", args.dgsm_samples)):
        samples = min(samples, 128) if args.quick else samples
        folder = workdir / method
        folder.mkdir()
        read = error_reader(method)
        command = [
            *jaccli,
            *("sensitivity", SOURCE, "--at", "0,0,0", "--bounds", "x=-pi:pi"),
            *("--method", method, "--samples", samples, "--format", "json", "--quiet"),
        ]
        if method == "sobol":
            salib = process.script("sobol_salib", "--samples", samples)
            salib_label = "SALib: sobol.sample → NumPy → sobol.analyze"
        else:
            salib = process.script(
                "dgsm_salib",
                *("--problem", "ishigami", "--samples", samples, "--resamples", 100),
                *("--timings", folder / "timings.json"),
            )
            salib_label = "SALib: finite_diff.sample → NumPy → dgsm.analyze"
        rows = [
            Row(
                "jaccli",
                f"jaccli --method {method} (cache warm)",
                command,
                output=folder / "jaccli.json",
                stdout=True,
                read=read,
                env={"JACCLI_CACHE_DIR": str(workdir / "cache-jaccli")},
                prime=True,
            ),
            Row(
                "jaccli-nocache",
                f"jaccli --method {method} --no-cache",
                [*command, "--no-cache"],
                output=folder / "jaccli-nocache.json",
                stdout=True,
                read=read,
            ),
            Row(
                "salib",
                salib_label,
                [*salib, "--output", folder / "salib.json"],
                requires=("SALib",),
                output=folder / "salib.json",
                read=read,
            ),
            # What no JAX program can go below: the part of the SALib script's time that
            # JAX's import alone takes.
            Row("jax", "JAX's import alone (import jax.numpy)", JAX_IMPORT),
        ]
        title = f"{'Sobol' if method == 'sobol' else 'DGSM'} of Ishigami, N = {samples:,}"
        built.append(Case(method, title, rows, "salib", exact=ishigami.exact()))
    return built


def _goals() -> tuple[Goal, ...]:
    goals = []
    for case, bound, name in (("sobol", 1.5, "Sobol'"), ("dgsm", 1.0, "DGSM")):
        for metric in ("wall", "cpu"):
            for key, how in (("jaccli", "cache warm"), ("jaccli-nocache", "--no-cache")):
                text = f"{name}: jaccli ({how}) ÷ the SALib script ≤ {bound:g}, {metric}"
                goals.append(Goal(text, case, metric, key, ("salib",), bound))
    return tuple(goals)


def main(
    args: argparse.Namespace, chosen: Sequence[Any], results: Path, log: Callable[[str], None]
) -> int:
    """Measure, print the report, write the results file; 1 when a row failed."""
    return cases.run_benchmark(
        "global",
        "Small global analyses: Sobol' and DGSM of Ishigami, jaccli against the SALib scripts",
        args,
        lambda workdir: _build(args, workdir),
        _goals(),
        results,
        log,
    )
