"""SALib's Sobol' analysis: ``sobol.sample`` → NumPy evaluation → ``sobol.analyze``.

One end-to-end run, what a SALib user writes by hand: import SALib, draw Saltelli's sample of
N·(D+2) points (scrambled Sobol', no second order), evaluate ``f_numpy`` of a problem of
`bench.problems` on all rows at once, analyse with SALib's defaults (100 bootstrap
resamples), and write S1, ST and their half-widths as JSON.
"""

from __future__ import annotations

import argparse
import importlib
import json
import warnings
from pathlib import Path


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="ishigami", help="a module of bench.problems")
    parser.add_argument("--samples", type=int, required=True, help="N, base points")
    parser.add_argument("--seed", type=int, default=0, help="seed (bootstrap: seed + 1)")
    parser.add_argument("--output", required=True, help="the indices as JSON")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol

    problem = importlib.import_module(f"bench.problems.{args.problem}")
    n = problem.N_IN
    spec = {"num_vars": n, "names": [f"x{j}" for j in range(n)]}
    spec["bounds"] = [[problem.LOW, problem.HIGH]] * n
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # N not a power of two
        x = sobol.sample(spec, args.samples, calc_second_order=False, seed=args.seed)
    y = problem.f_numpy(x)
    found = analyze.analyze(spec, y, calc_second_order=False, seed=args.seed + 1)
    keys = ("S1", "S1_conf", "ST", "ST_conf")
    record = {"evaluations": len(y), "indices": {k: found[k].tolist() for k in keys}}
    Path(args.output).write_text(json.dumps(record))


if __name__ == "__main__":
    main()
