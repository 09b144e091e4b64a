"""The start-up benchmark: ``--help`` and a cold single-point Jacobian, against a raw JAX script.

Two tables:

* ``--help``: ``jaccli --help`` and every command's ``--help``, each a fresh process. Each is
  also run once under ``python -X importtime``, and the modules it imported are searched for
  JAX, SymPy, rich, SciPy and PyTorch (and NumPy, reported but allowed). Goal: under 0.25 s,
  importing none of them.
* cold start: ``jaccli jacobian samples/elementwise.py --at 2,1 --format json`` in a new process,
  with the compilation cache warm (the default; filled by the untimed first run) and with
  ``--no-cache``; against ``bench/tools/cold_jax.py``, the minimal script that computes and
  prints the same Jacobian with ``jax.jit(jax.jacfwd(f))``, without and with JAX's own
  persistent cache (``JAX_COMPILATION_CACHE_DIR``). PyTorch (``torch.func.jacfwd``), SciPy
  (``approx_derivative``) and numdifftools (``Jacobian``) do the same from a NumPy file.
  Goal: jaccli within 1.15× the raw script, each with and each without its cache.
* check: ``jaccli check`` of the same function at the same point against its ``jacobian``, both
  with jaccli's compilation cache warm. Goal: 1.3×.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench import answers, cases, process, report
from bench.cases import Case, Goal, Row
from bench.problems import elementwise

COMMANDS = (
    "jacobian",
    "jvp",
    "vjp",
    "grad",
    "hessian",
    "hvp",
    "check",
    "sensitivity",
    "symbolic",
    "info",
)
# Top-level packages that `--help` must not import (rich: any of it; jaccli's help is plain).
HEAVY = ("jax", "jaxlib", "sympy", "rich", "scipy", "torch")
HELP_SECONDS = 0.25
REPEAT = 5


def tools() -> list[cases.ToolKey]:
    return [
        cases.ToolKey("jaccli", "jaccli"),
        cases.ToolKey("jax", "raw JAX"),
        cases.ToolKey("torch", "PyTorch torch.func"),
        cases.ToolKey("scipy", "SciPy approx_derivative"),
        cases.ToolKey("numdifftools", "numdifftools"),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench startup``."""
    cases.add_common_arguments(parser)


def _build(workdir: Path) -> list[Case]:
    jaccli = process.jaccli_command()
    sample = str(elementwise.SAMPLE)
    at = ",".join(f"{v:g}" for v in elementwise.AT)
    x = workdir / "x.npy"
    np.save(x, np.array(elementwise.AT))
    help_rows = [Row("jaccli-help", "jaccli --help", [*jaccli, "--help"])] + [
        Row(f"jaccli-{command}", f"jaccli {command} --help", [*jaccli, command, "--help"])
        for command in COMMANDS
    ]

    def out(key: str) -> Path:
        return workdir / f"{key}.json"

    single = [*jaccli, "jacobian", sample, "--at", at, "--format", "json"]
    warm = {"JACCLI_CACHE_DIR": str(workdir / "cache-jaccli")}  # jaccli's cache, shared by rows
    cold_jax = [sys.executable, str(process.ROOT / "bench" / "tools" / "cold_jax.py"), sample, at]
    jax_cache = {
        "JAX_COMPILATION_CACHE_DIR": str(workdir / "cache-jax"),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
    }

    def row(key: str, label: str, argv: list[str], **kw: Any) -> Row:
        return Row(
            key, label, argv, output=out(key), stdout=True, read=answers.read_json_result, **kw
        )

    def derivative(key: str, label: str, kind: str, **kw: Any) -> Row:
        module, requires = cases.SCRIPTS[key]
        argv = process.script(module, kind, "elementwise:f", "--x", x, "--print")
        return row(key, label, argv, requires=requires, **kw)

    cold_rows = [
        row(
            "jaccli-cache",
            "jaccli (compilation cache warm)",
            single,
            env=warm,
            prime=True,
        ),
        row("jaccli-nocache", "jaccli --no-cache", [*single, "--no-cache"]),
        row("jax", "raw JAX jit(jacfwd), no cache", cold_jax),
        row(
            "jax-cache",
            "raw JAX jit(jacfwd), JAX's cache warm",
            cold_jax,
            env=jax_cache,
            prime=True,
        ),
        derivative("torch", "torch.func jacfwd", "jacfwd"),
        derivative("scipy", "SciPy approx_derivative 3-point", "dense", rtol=1e-8),
        derivative("numdifftools", "numdifftools Jacobian", "jacobian", rtol=1e-8),
    ]
    exact = elementwise.exact_jacobian(np.array(elementwise.AT))
    # The check of the same function at the same point against the same Jacobian, both with
    # jaccli's cache warm: what a check adds (SymPy, the differences, the complex step).
    check_rows = [
        row("jaccli-jacobian", "jaccli jacobian (cache warm)", single, env=warm, prime=True),
        row(
            "jaccli-check",
            "jaccli check (cache warm; SymPy, differences, complex step)",
            [*jaccli, "check", sample, "--at", at, "--format", "json"],
            env=warm,
            prime=True,
        ),
    ]
    return [
        Case("help", "--help of every command, fresh processes", help_rows, "jaccli-help"),
        Case(
            "cold",
            f"a cold single-point Jacobian: jacobian samples/elementwise.py --at {at} "
            "--format json, one new process each",
            cold_rows,
            "jax",
            exact,
        ),
        Case(
            "check",
            f"check against jacobian: samples/elementwise.py --at {at} --format json, "
            "one new process each",
            check_rows,
            "jaccli-jacobian",
            exact,
        ),
    ]


GOALS = (
    Goal(
        "jaccli (cache warm) ÷ raw JAX (JAX's cache warm) ≤ 1.15, wall",
        "cold",
        "wall",
        "jaccli-cache",
        ("jax-cache",),
        1.15,
    ),
    Goal(
        "jaccli --no-cache ÷ raw JAX (no cache) ≤ 1.15, wall",
        "cold",
        "wall",
        "jaccli-nocache",
        ("jax",),
        1.15,
    ),
    Goal(
        "jaccli (cache warm, the default) ÷ raw JAX (no cache) ≤ 1.15, wall",
        "cold",
        "wall",
        "jaccli-cache",
        ("jax",),
        1.15,
    ),
    Goal(
        "the same pairs in CPU time: jaccli (cache) ÷ raw JAX (cache) ≤ 1.15",
        "cold",
        "cpu",
        "jaccli-cache",
        ("jax-cache",),
        1.15,
    ),
    Goal(
        "jaccli --no-cache ÷ raw JAX (no cache) ≤ 1.15, CPU time",
        "cold",
        "cpu",
        "jaccli-nocache",
        ("jax",),
        1.15,
    ),
    Goal(
        "jaccli check ÷ jaccli jacobian (both cache warm) ≤ 1.3, wall",
        "check",
        "wall",
        "jaccli-check",
        ("jaccli-jacobian",),
        1.3,
    ),
    Goal(
        "the same in CPU time (the SymPy process's included) ≤ 1.3",
        "check",
        "cpu",
        "jaccli-check",
        ("jaccli-jacobian",),
        1.3,
    ),
)


def imported_modules(argv: Sequence[str]) -> tuple[list[str], float]:
    """The modules a command imports (``python -X importtime``), and its import time in s."""
    done = process.spawn(
        [sys.executable, "-X", "importtime", *argv], cases.environment({}), None, 60.0
    )
    names, total = [], 0.0
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            names.append(match.group(4))
            if len(match.group(3)) == 1:  # a top-level import: its cumulative time counts
                total += int(match.group(2)) / 1e6
    return names, total


def _imports(workdir: Path, built: Sequence[Case]) -> dict[str, Any]:
    """Which heavy packages each ``--help`` imports, as a table and as a goal."""
    checked = []
    for command in ("", *COMMANDS):
        argv = ["-m", "jaccli", *([command] if command else []), "--help"]
        names, total = imported_modules(argv)
        tops = {name.split(".")[0] for name in names}
        heavy = sorted(tops & set(HEAVY))
        checked.append(
            {
                "command": f"jaccli {command} --help".replace("  ", " "),
                "modules": len(names),
                "import_seconds": round(total, 4),
                "heavy": heavy,
                "numpy": "numpy" in tops,
            }
        )
    body = [
        (
            c["command"],
            str(c["modules"]),
            f"{c['import_seconds']:.3f}",
            ", ".join(c["heavy"]) or "none",
            "yes" if c["numpy"] else "no",
        )
        for c in checked
    ]
    table = report.markdown(
        ("command", "modules imported", "import s", "JAX/SymPy/rich/SciPy/torch", "NumPy"), body
    )
    offenders = [c["command"] for c in checked if c["heavy"]]
    goal = {
        "goal": "no --help imports JAX, SymPy, rich, SciPy or PyTorch (python -X importtime)",
        "case": "help",
        "metric": "imports",
        "ratio": float(len(offenders)),
        "bound": 0.0,
        "figure": f"{', '.join(offenders)} import them" if offenders else "none of them does",
        "met": not offenders,
    }
    return {
        "imports": checked,
        "extra_text": [f"imports of --help (python -X importtime, one run each)\n\n{table}"],
        "goals": [goal],
        "failed": False,
    }


def main(
    args: argparse.Namespace, chosen: Sequence[Any], results: Path, log: Callable[[str], None]
) -> int:
    """Measure, print the report, write the results file; 1 when a row failed."""
    goals = [
        *GOALS,
        *(
            Goal(
                f"{label} under {HELP_SECONDS} s",
                "help",
                "wall",
                key,
                (),
                HELP_SECONDS,
            )
            for key, label in [("jaccli-help", "jaccli --help")]
            + [(f"jaccli-{c}", f"jaccli {c} --help") for c in COMMANDS]
        ),
    ]
    return cases.run_benchmark(
        "startup",
        "Start-up: --help, and a cold single-point Jacobian against a minimal JAX script",
        args,
        _build,
        goals,
        results,
        log,
        extra=_imports,
    )
