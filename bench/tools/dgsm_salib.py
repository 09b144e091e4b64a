"""SALib's finite-difference DGSM: ``finite_diff.sample`` → NumPy evaluation → ``dgsm.analyze``.

One end-to-end run: import SALib, draw the N·(D+1) points (each base point of SALib's
unscrambled Sobol' sequence, then D copies with one input moved by ``delta·x_j``, clipped to the
bounds), evaluate ``f_numpy`` on all rows at once (vectorised: the fastest way to feed SALib),
analyse with ``num_resamples`` bootstrap resamples per input, and write the indices as JSON.
The phases (setup, sample, evaluate, analyze, write) go to ``--timings``; nothing is compiled,
so ``compute`` = sample + evaluate + analyze of this same run.

SALib's ``dgsm_conf`` is the bootstrap half-width of ν_i, not of the DGSM index (``calc_dgsm``
resamples ``calc_vi_mean``): it is written as ``vi_conf``. ``dgsm.analyze`` seeds NumPy's global
generator only when ``seed`` is truthy, so the bootstrap gets ``seed + 1`` (0 would be ignored);
``finite_diff.sample`` takes a seed but its Sobol' sequence is unscrambled and ignores it.
"""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

from bench.tools import timing


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="dgsm100", help="a module of bench.problems")
    parser.add_argument("--inputs", type=int, help="D, the number of inputs (the problem's)")
    parser.add_argument("--samples", type=int, required=True, help="N, base points")
    parser.add_argument("--delta", type=float, default=0.01, help="relative step (0.01)")
    parser.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="seed (bootstrap: seed + 1)")
    parser.add_argument("--output", required=True, help="the indices as JSON")
    parser.add_argument("--timings", required=True, help="write the phase timings here (JSON)")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    phases = timing.Phases()
    from SALib.analyze import dgsm
    from SALib.sample import finite_diff

    function = importlib.import_module(f"bench.problems.{args.problem}")
    n = args.inputs or function.N_IN
    problem = {
        "num_vars": n,
        "names": [f"x{j}" for j in range(n)],
        "bounds": [[function.LOW, function.HIGH]] * n,
    }
    phases.end("setup")
    x = finite_diff.sample(problem, args.samples, delta=args.delta, seed=args.seed)
    phases.end("sample")
    y = function.f_numpy(x)
    phases.end("evaluate")
    indices = dgsm.analyze(
        problem, x, y, num_resamples=args.resamples, conf_level=0.95, seed=args.seed + 1
    )
    phases.end("analyze")
    seconds = phases.seconds
    seconds["compute"] = seconds["sample"] + seconds["evaluate"] + seconds["analyze"]
    record = {
        "evaluations": len(y),
        "samples": args.samples,
        "delta": args.delta,
        "resamples": args.resamples,
        "indices": {
            "vi": indices["vi"].tolist(),
            "vi_conf": indices["dgsm_conf"].tolist(),
            "dgsm": indices["dgsm"].tolist(),
            "vi_std": indices["vi_std"].tolist(),
        },
        "variance": float(y[:: n + 1].var()),
    }
    Path(args.output).write_text(json.dumps(record))
    phases.end("write")
    timing.write(args.timings, {"phases": seconds})


if __name__ == "__main__":
    main()
