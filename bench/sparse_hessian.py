"""The sparse-Hessian benchmark: an arrowhead and a chain Hessian at n = 10⁵, against asdex.

`bench/problems/sparse_hessians.py`, end to end from ``.npy`` to a sparse ``.npz`` (CSR), a fresh
process each, asdex as the anchor:

* jaccli: ``jaccli hessian FILE:FUNCTION --at @x.npy --sparse --output H.npz`` (pattern of
  second-order interactions read from the traced program, star colouring, one HVP per colour),
  ``--no-cache`` (cold: the goal's row), and with its compilation cache filled by a first run
  (the default, as a user's second run finds it);
* asdex (0.5): ``asdex.hessian(f, x, output_format="scipy_csr")(x)``, its own detection and
  symmetric colouring, written with ``scipy.sparse.save_npz``.

The colours each tool used are reported under the tables (``jaccli info --sparse`` and
``asdex.hessian_coloring``). The start-up floor (`bench/tools/startup_floor.py`) is what both
tools pay before any work of their own: the interpreter, NumPy, JAX and one small compiled
call (asdex also imports ``scipy.sparse``; jaccli writes the .npz with NumPy); it bounds how far apart the two can be end to end. A third case runs the chain
at n = 10⁶ with jaccli alone, for its peak memory: O(nnz), where the dense Hessian would be
8 TB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench import answers, cases, process
from bench.cases import Case, Goal, Row
from bench.problems import sparse_hessians

REPEAT = 3
SOURCE = Path(sparse_hessians.__file__).resolve()
FUNCTIONS = ("arrowhead", "chain")


def tools() -> list[cases.ToolKey]:
    return [
        cases.ToolKey("jaccli", "jaccli hessian --sparse"),
        cases.ToolKey("asdex", "asdex.hessian"),
        cases.ToolKey("floor", "start-up floor"),
    ]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``python -m bench sparse-hessian``."""
    parser.add_argument("--n", type=int, default=100_000, help="inputs (10⁵)")
    parser.add_argument(
        "--large-n", type=int, default=1_000_000, help="the chain with jaccli alone (10⁶; 0: off)"
    )
    cases.add_common_arguments(parser)


def _jaccli_row(key: str, function: str, x: Path, out: Path, cache: Path | None = None) -> Row:
    """jaccli cold (``--no-cache``), or with its compilation cache in ``cache`` filled by a
    first run: the default, as a user's second run of the same command finds it."""
    argv = [*process.jaccli_command(), "hessian", f"{SOURCE}:{function}", "--at", f"@{x}",
            "--sparse", "--output", out, "--quiet"]  # fmt: skip
    if cache is None:
        return Row(key, "jaccli hessian --sparse --no-cache", [*argv, "--no-cache"], output=out,
                   read=answers.read_sparse)  # fmt: skip
    return Row(key, "jaccli hessian --sparse (cache warm)", argv, output=out,
               read=answers.read_sparse, env={"JACCLI_CACHE_DIR": str(cache)}, prime=True)  # fmt: skip


def _build(args: argparse.Namespace, workdir: Path) -> list[Case]:
    n = 1000 if args.quick else args.n
    x = sparse_hessians.points(n)
    np.save(workdir / "x.npy", x)
    found = []
    for name in FUNCTIONS:
        asdex = workdir / f"asdex-{name}.npz"
        rows = [
            _jaccli_row("jaccli", name, workdir / "x.npy", workdir / f"jaccli-{name}.npz"),
            _jaccli_row(
                "jaccli-cache",
                name,
                workdir / "x.npy",
                workdir / f"jaccli-cache-{name}.npz",
                workdir / f"cache-{name}",
            ),
            cases.derivative_row(
                "asdex",
                "asdex.hessian",
                "hessian",
                f"sparse_hessians:{name}",
                workdir / "x.npy",
                asdex,
                read=answers.read_sparse,
            ),
            Row("jaccli-dense", "jaccli hessian (dense)", skip=_dense_skip(n)),
            Row("floor", "start-up floor", process.script("startup_floor", workdir / "x.npy")),
        ]
        title = f"{name} Hessian, n = {n:,}"
        found.append(Case(name, title, rows, "asdex", sparse_hessians.exact_hessian(name, x)))
    large = min(args.large_n, 10_000) if args.quick else args.large_n
    if large:
        x = sparse_hessians.points(large)
        np.save(workdir / "x-large.npy", x)
        out = workdir / "jaccli-large.npz"
        rows = [
            _jaccli_row("jaccli", "chain", workdir / "x-large.npy", out),
            Row("asdex", "asdex.hessian", skip="not run at this size (jaccli's memory alone)"),
            Row("jaccli-dense", "jaccli hessian (dense)", skip=_dense_skip(large)),
        ]
        exact = sparse_hessians.exact_hessian("chain", x)
        found.append(Case("chain-large", f"chain Hessian, n = {large:,}", rows, "jaccli", exact))
    return found


def _dense_skip(n: int) -> str:
    return (
        f"the dense Hessian is {n * n:.0e} entries ({cases.size_text(8 * n * n)}), refused by "
        "--max-bytes before any work"
    )


def _colours(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """The colours each chosen tool uses on each function at n (the first two cases)."""
    x, wanted = workdir / "x.npy", args.tools.split(",")
    found: dict[str, dict[str, Any]] = {}
    for name in FUNCTIONS:
        info = asdex = None
        if "jaccli" in wanted:
            info = _output([*process.jaccli_command(), "info", f"{SOURCE}:{name}", "--at",
                            f"@{x}", "--sparse", "--format", "json", "--no-cache"])  # fmt: skip
        if "asdex" in wanted:
            asdex = _output(process.script("asdex_hessian", "hessian", f"sparse_hessians:{name}",
                                           "--x", x, "--print"))  # fmt: skip
        jaccli = json.loads(info)["hessian_sparsity"]["colors"] if info else None
        found[name] = {"jaccli": jaccli, "asdex": int(asdex) if asdex else None}
    lines = [
        f"colours ({name}): jaccli {c['jaccli']}, asdex {c['asdex']}" for name, c in found.items()
    ]
    return {"colours": found, "extra_text": lines}


def _output(argv: Sequence[Any]) -> str | None:
    done = subprocess.run(
        [str(a) for a in argv],
        capture_output=True,
        text=True,
        env=cases.environment({}),
        check=False,
    )
    return done.stdout.strip() if done.returncode == 0 else None


GOALS = (
    *(
        goal
        for name in FUNCTIONS
        for goal in (
            Goal(f"{name}: jaccli ÷ asdex, wall", name, "wall", "jaccli", ("asdex",), 1 / 3),
            Goal(
                f"{name}: jaccli (cache warm) ÷ asdex, wall",
                name,
                "wall",
                "jaccli-cache",
                ("asdex",),
                1 / 3,
            ),
            Goal(f"{name}: jaccli, wall", name, "wall", "jaccli", (), 10.0),
            Goal(f"{name}: start-up floor ÷ asdex, wall", name, "wall", "floor", ("asdex",), None),
        )
    ),
    Goal("chain at the large n: jaccli, peak memory", "chain-large", "peak", "jaccli", (), None),
)


def main(
    args: argparse.Namespace, chosen: Sequence[Any], results: Path, log: Callable[[str], None]
) -> int:
    """Measure, print the report, write the results file; 1 when a row failed."""
    return cases.run_benchmark(
        "sparse-hessian",
        "Sparse Hessians: arrowhead and chain, .npy in, sparse .npz out, asdex as the anchor",
        args,
        lambda workdir: _build(args, workdir),
        GOALS,
        results,
        log,
        extra=lambda workdir, _: _colours(args, workdir),
    )
