"""jaccli's DGSM or active subspace through its Python API, ``jaccli.sensitivity(...,
method=METHOD)``, in process (``--method``: ``dgsm``, the default, or ``active-subspace``).

End to end (default): import jaccli, one call (sampling, compilation, AD gradients, intervals or
the eigen-decomposition and its bootstrap), the result written as the CLI's JSON
(``result.to_dict()``). ``--warm R``: one call to warm up, then ``R`` timed calls, nothing
written: the compute-only figure. A second call with the same function still traces and compiles
again (jaccli keeps no cache between calls), so that is part of the warm figure too. Timings go
to ``--timings`` as JSON, in the shape `bench.dgsm` and `bench.active_subspace` read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.tools import timing


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, required=True, help="n, the number of inputs")
    parser.add_argument("--samples", type=int, required=True, help="base sample size")
    parser.add_argument("--method", default="dgsm", help="dgsm (default) or active-subspace")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample")
    parser.add_argument("--output", help="the result as JSON (end-to-end runs)")
    parser.add_argument("--timings", required=True, help="write the phase timings here (JSON)")
    parser.add_argument("--warm", type=int, default=0, help="time R warm calls instead")
    return parser.parse_args()


def main() -> None:
    args = _arguments()
    phases = timing.Phases()
    import numpy as np

    import jaccli
    from bench.problems import dgsm100

    phases.end("setup")

    def compute():
        return jaccli.sensitivity(
            dgsm100.f,
            np.zeros(args.inputs),
            bounds={"x": (dgsm100.LOW, dgsm100.HIGH)},
            method=args.method,
            samples=args.samples,
            seed=args.seed,
        )

    result = compute()
    phases.end("compute")
    record: dict[str, object] = {"phases": phases.seconds}
    if args.warm:
        record["warm"] = timing.warm(compute, args.warm)
    else:
        Path(args.output).write_text(json.dumps(result.to_dict()))
        phases.end("write")
    timing.write(args.timings, record)


if __name__ == "__main__":
    main()
