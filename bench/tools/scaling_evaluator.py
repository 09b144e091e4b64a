"""jaccli's batch evaluator spread over devices and processes, timed warm in process.

The compute-only figure of `bench.scaling`: the chunks of ``jaccli jacobian --batch`` (equal
chunks of the size one device would use, one per device in each call) through
`jaccli._operations.Evaluator` with a `jaccli._operations.scaleout.Spread`, without reading or writing files. With
``--num-processes`` it is one process of a distributed run (joined as ``--distributed`` joins it);
process 0 writes the timings, which include gathering every share. Internal names: if they
change, this script has to follow.

python -m bench.tools.scaling_evaluator --points P.npy --devices 2 --warm 3 --timings T.json
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from bench.tools import timing

MAX_BYTES = 1 << 30  # the CLI's default --max-bytes


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", required=True, help="input .npy, shape (N, 2)")
    parser.add_argument("--devices", default="all", help="devices per process (all)")
    parser.add_argument("--warm", type=int, default=3, help="timed passes after a warm-up")
    parser.add_argument("--timings", required=True, help="write the timings here (JSON)")
    parser.add_argument("--coordinator", help="HOST:PORT of process 0 (distributed)")
    parser.add_argument("--num-processes", type=int, help="processes (distributed)")
    parser.add_argument("--process-id", type=int, help="this process's rank (distributed)")
    return parser.parse_args()


def main() -> int:
    """Join (if asked), compile, then time ``--warm`` passes over all the points."""
    args = _arguments()
    from jaccli._cli.scale_options import from_options
    from jaccli._operations import scaleout

    distributed = args.num_processes is not None
    scale = from_options(
        args.devices,
        distributed,
        args.coordinator if distributed else None,
        args.num_processes,
        args.process_id,
    )
    code = scaleout.begin(scale)
    if code is not None:  # the supervising parent: the child did the work
        return code

    from bench.problems import r2r3
    from jaccli import _operations, _problem
    from jaccli._load import loader

    points = np.load(args.points)
    function = loader.load(f"{r2r3.__file__}:f")
    problem = _problem.prepare(function, {"x": points[0]})
    plan = _operations.plan(problem, "jacobian", "auto", MAX_BYTES)
    spread = scaleout.spread(problem.device, scale)
    # As `--output J.npy` runs it: the results alone, without the function's values.
    evaluator = _operations.Evaluator(problem, plan, lambda: None, values=False, spread=spread)
    chunk = _operations.chunk_size(problem, plan, MAX_BYTES)
    chunk = -(-len(points) // -(-len(points) // chunk))  # equal chunks, as --batch FILE uses
    block = chunk * (1 if spread is None else spread.multiple)

    def compute() -> np.ndarray:
        parts = []
        for start in range(0, len(points), block):
            part = points[start : start + block]
            _, raw = evaluator({"x": part}, len(part), block, start)
            parts.append(plan.shape(raw))
        return np.concatenate(parts)

    compute()
    samples = timing.warm(compute, args.warm)
    scaleout.finish()
    if scaleout.writes():
        devices = 1 if spread is None else int(spread.mesh.size)
        record = {"warm": samples, "points": len(points), "devices_per_process": devices}
        timing.write(args.timings, record)
    return 0


if __name__ == "__main__":
    sys.exit(main())
