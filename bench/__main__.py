"""``python -m bench NAME``: run a benchmark, print its tables, write bench/results/NAME.json.

python -m bench                       # the whole suite (= python -m bench all), about 15 minutes
python -m bench all --quick           # every benchmark of the suite at small sizes (a smoke run)
python -m bench startup               # --help and a cold single-point Jacobian against raw JAX
python -m bench modes                 # --mode auto against fwd and rev: wide, tall, square
python -m bench scale                 # the gradient of 10⁷ inputs, and an HVP at 10⁶
python -m bench sparse                # a tridiagonal Jacobian of 10⁵ inputs: --sparse
python -m bench sparse-hessian        # arrowhead and chain Hessians of 10⁵ inputs, against asdex
python -m bench check                 # the cost of jaccli check against numdifftools and SciPy
python -m bench batch                 # 10⁶ points, 5 rounds (a few minutes)
python -m bench batch --n 10000 --repeat 3 --tools jaccli,jax
python -m bench dgsm                  # DGSM, 100 inputs, 10⁴ samples, 5 rounds (several minutes)
python -m bench dgsm --samples 1000 --repeat 1 --tools jaccli-cli,jaccli-api,salib-1e-4
python -m bench active-subspace       # 100 inputs, 10⁴ AD gradients, 200 resamples, 3 rounds
python -m bench scaling               # 10⁶ points on 1, 2, 4 CPU devices and 1, 2 processes
python -m bench scaling --n 10000000 --repeat 1
python -m bench coverage              # 95% intervals of Sobol' and DGSM against closed forms
python -m bench gpu                   # on a GPU machine: install JAX's CUDA build, gpu tests, benchmarks
python -m bench gpu --cpu             # the same steps on two CPU devices, without a GPU
python -m bench black_box             # Sobol' of a 20 ms black box: serial, --workers, --dask
python -m bench global                # Sobol' and DGSM of Ishigami against the SALib scripts
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path
from typing import Any

from bench import gpu, report

# Benchmark name -> module with tools(), add_arguments(parser) and main(args, tools, results, log).
BENCHMARKS = {
    "startup": "bench.startup",
    "modes": "bench.modes",
    "batch": "bench.batch_jacobian",
    "scale": "bench.scale",
    "sparse": "bench.sparse_jacobian",
    "sparse-hessian": "bench.sparse_hessian",
    "check": "bench.fd_check",
    "dgsm": "bench.dgsm",
    "active-subspace": "bench.active_subspace",
    "scaling": "bench.scaling",
    "coverage": "bench.coverage",
    "black_box": "bench.black_box",
    "global": "bench.small_global",
}
# `python -m bench all`: the suite of the benchmark issue, in this order, each at its defaults.
# The batch benchmark runs 3 rounds there (5 on its own): 10⁶ points take a while.
SUITE = ("startup", "modes", "batch", "scale", "sparse", "check")
SUITE_OPTIONS = {"batch": ["--repeat", "3"]}
# What `all --quick` passes to a benchmark that has no --quick of its own.
QUICK_OPTIONS = {"batch": ["--n", "10000", "--subset", "100", "--repeat", "1"]}
RESULTS = Path(__file__).resolve().parent / "results"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="benchmark", metavar="BENCHMARK")
    for name, module_name in BENCHMARKS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=module.__doc__.splitlines()[0])
        module.add_arguments(sub)
        keys = ",".join(tool.key for tool in module.tools())
        repeat = getattr(module, "REPEAT", 5)
        sub.add_argument(
            "--repeat", type=int, help=f"end-to-end runs per tool ({repeat}; 1 with --quick)"
        )
        sub.add_argument("--tools", default=keys, help=f"comma-separated subset of {keys}")
        sub.add_argument("--results", type=Path, help=f"results file (bench/results/{name}.json)")
        sub.add_argument("--keep", action="store_true", help="keep the inputs and outputs")
    gpu.add_arguments(commands.add_parser("gpu", help=gpu.__doc__.splitlines()[0]))
    suite = commands.add_parser("all", help="the whole suite: " + ", ".join(SUITE))
    suite.add_argument("--quick", action="store_true", help="small sizes, one round each")
    suite.add_argument("--repeat", type=int, help="rounds for every benchmark")
    suite.add_argument("--only", help=f"comma-separated subset of {','.join(SUITE)}")
    return parser


def run_all(args: argparse.Namespace) -> int:
    """Run the benchmarks of `SUITE` one after the other; write bench/results/all.json."""
    names = [n.strip() for n in args.only.split(",")] if args.only else list(SUITE)
    unknown = [name for name in names if name not in SUITE]
    if unknown:
        _log(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(SUITE)}")
        return 2
    started = time.perf_counter()
    summary = []
    for name in names:
        argv = [name, *SUITE_OPTIONS.get(name, [])]
        if args.quick:
            module = importlib.import_module(BENCHMARKS[name])
            has_quick = any("--quick" in a.option_strings for a in _options(module))
            argv += ["--quick"] if has_quick else QUICK_OPTIONS.get(name, [])
        if args.repeat:
            argv += ["--repeat", str(args.repeat)]
        _log(f"\n=== python -m bench {' '.join(argv)}")
        mark = time.perf_counter()
        code = main(argv)
        results = RESULTS / f"{name}.json"
        goals = json.loads(results.read_text()).get("goals", []) if results.exists() else []
        summary.append(
            {
                "benchmark": name,
                "argv": argv,
                "exit": code,
                "seconds": round(time.perf_counter() - mark, 1),
                "goals": goals,
            }
        )
    record = {"seconds": round(time.perf_counter() - started, 1), "benchmarks": summary}
    report.write_json(RESULTS / "all.json", record)
    print(f"\nthe suite took {record['seconds']:.0f} s")
    for entry in summary:
        print(f"\n{entry['benchmark']} (exit {entry['exit']}, {entry['seconds']:.0f} s)")
        print(report.goals_text(entry["goals"]) or "- (no goals)")
    _log(f"\nwrote {RESULTS / 'all.json'}")
    return max((entry["exit"] for entry in summary), default=0)


def _options(module: Any) -> list[argparse.Action]:
    parser = argparse.ArgumentParser()
    module.add_arguments(parser)
    return parser._actions


def main(argv: list[str] | None = None) -> int:
    """Run one benchmark; exit 1 when a tool failed or computed a wrong answer."""
    argv = list(sys.argv[1:] if argv is None else argv) or ["all"]
    args = _parser().parse_args(argv)
    if args.benchmark == "all":
        return run_all(args)
    if args.benchmark == "gpu":
        return gpu.main(args, args.results or RESULTS / "gpu.json", _log)
    module = importlib.import_module(BENCHMARKS[args.benchmark])
    if args.repeat is None:
        args.repeat = 1 if getattr(args, "quick", False) else getattr(module, "REPEAT", 5)
    tools = {tool.key: tool for tool in module.tools()}
    wanted = [key.strip() for key in args.tools.split(",") if key.strip()]
    unknown = [key for key in wanted if key not in tools]
    if unknown:
        _log(f"unknown tool {', '.join(unknown)}; choose from {', '.join(tools)}")
        return 2
    results = args.results or RESULTS / f"{args.benchmark}.json"
    return module.main(args, [tools[key] for key in wanted], results, _log)


if __name__ == "__main__":
    sys.exit(main())
