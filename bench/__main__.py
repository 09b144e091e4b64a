"""``python -m bench NAME``: run a benchmark, print its tables, write bench/results/NAME.json.

python -m bench batch                 # 10⁶ points, 5 rounds (a few minutes)
python -m bench batch --n 10000 --repeat 3 --tools jaccli,jax
python -m bench dgsm                  # DGSM, 100 inputs, 10⁴ samples, 5 rounds (several minutes)
python -m bench dgsm --samples 1000 --repeat 1 --tools jaccli-cli,jaccli-api,salib-1e-4
"""

from __future__ import annotations

import argparse
import importlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench import harness, machine, report

# Benchmark name -> module with tools(), add_arguments(parser) and suite(args, workdir, tools),
# or, for a benchmark with its own flow, main(args, tools, results, log) in place of suite.
BENCHMARKS = {"batch": "bench.batch_jacobian", "dgsm": "bench.dgsm"}
RESULTS = Path(__file__).resolve().parent / "results"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="benchmark", required=True, metavar="BENCHMARK")
    for name, module_name in BENCHMARKS.items():
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=module.__doc__.splitlines()[0])
        module.add_arguments(sub)
        keys = ",".join(tool.key for tool in module.tools())
        sub.add_argument("--repeat", type=int, default=5, help="end-to-end runs per tool (5)")
        sub.add_argument("--tools", default=keys, help=f"comma-separated subset of {keys}")
        sub.add_argument("--results", type=Path, help=f"results file (bench/results/{name}.json)")
        sub.add_argument("--keep", action="store_true", help="keep the inputs and outputs")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one benchmark; exit 1 when a tool failed or computed a wrong answer."""
    args = _parser().parse_args(argv)
    module = importlib.import_module(BENCHMARKS[args.benchmark])
    tools = {tool.key: tool for tool in module.tools()}
    wanted = [key.strip() for key in args.tools.split(",") if key.strip()]
    unknown = [key for key in wanted if key not in tools]
    if unknown:
        _log(f"unknown tool {', '.join(unknown)}; choose from {', '.join(tools)}")
        return 2
    if hasattr(module, "main"):  # measures, reports and writes the results file itself
        results = args.results or RESULTS / f"{args.benchmark}.json"
        return module.main(args, [tools[key] for key in wanted], results, _log)
    about = machine.describe()
    source = machine.checkout(harness.ROOT)
    workdir = Path(tempfile.mkdtemp(prefix=f"jaccli-bench-{args.benchmark}-"))
    try:
        suite = module.suite(args, workdir, [tools[key] for key in wanted])
        _log(f"{suite.title}\nmachine: {machine.summary(about)}\nwork folder: {workdir}")
        started = time.perf_counter()
        measured = harness.measure(suite, args.repeat, workdir, _log)
        differences = harness.differences(measured)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    goals = [harness.evaluate(goal, measured) for goal in suite.goals]
    record = {
        "benchmark": args.benchmark,
        "title": suite.title,
        "options": {k: v for k, v in vars(args).items() if k != "results"},
        "machine": about,
        "load_average_after": machine.describe()["load_average"],
        "source": source,
        "seconds": round(time.perf_counter() - started, 1),
        "floor": suite.floor,
        "tools": [got.to_dict() for got in measured],
        "differences": differences,
        "goals": goals,
    }
    print(report.text(record, measured, tools[suite.floor].label))
    results = args.results or RESULTS / f"{args.benchmark}.json"
    report.write_json(results, record)
    _log(f"\nwrote {results}")
    broken = [got for got in measured if got.status.startswith("failed") or got.correct is False]
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
