"""The active-subspace benchmark's reference: the same work written directly in JAX and NumPy.

The points of jaccli's sample (SciPy's scrambled Sobol' sequence from the same seed), all
gradients in one ``jit(vmap(grad(f)))`` call, scaled to the inputs on [−1, 1]; C = GᵀG/N and
``eigh``; 200 bootstrap resamples, each C formed and decomposed, their percentile intervals and
subspace distances. No options, no checks, no output layout: what a user would write by hand,
the straightforward way (plain matrix products and SVD norms).
Phases: ``gradients`` (sampling, compilation and evaluation) and ``analysis`` (the linear
algebra); ``--warm R`` times R calls of both after a first one.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.tools import timing

RESAMPLES = 200


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, required=True, help="n, the number of inputs")
    parser.add_argument("--samples", type=int, required=True, help="gradients N")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample")
    parser.add_argument("--output", help="the result as JSON (end-to-end runs)")
    parser.add_argument("--timings", required=True, help="write the phase timings here (JSON)")
    parser.add_argument("--warm", type=int, default=0, help="time R warm calls instead")
    return parser.parse_args()


def gradients(n, samples, seed):
    """The scaled gradients at the sample's points, ``(N, n)``."""
    import jax
    import numpy as np
    from scipy.stats import qmc

    from bench.problems import dgsm100

    unit = qmc.Sobol(n, scramble=True, rng=np.random.default_rng(seed))
    points = (
        dgsm100.LOW
        + (dgsm100.HIGH - dgsm100.LOW)
        * unit.random_base2(max(samples - 1, 0).bit_length())[:samples]
    )
    grad = jax.jit(jax.vmap(jax.grad(dgsm100.f)))
    return np.asarray(grad(points)) * (dgsm100.HIGH - dgsm100.LOW) / 2


def analysis(g, seed):
    """Eigenvalues (largest first), eigenvectors (rows), intervals and subspace distances."""
    import numpy as np

    count, n = g.shape
    values, vectors = np.linalg.eigh(g.T @ g / count)
    values, vectors = values[::-1], vectors[:, ::-1].T
    rng = np.random.default_rng(seed)
    grams = np.empty((RESAMPLES, n, n))
    for b in range(RESAMPLES):
        weights = np.bincount(rng.integers(count, size=count), minlength=count) / count
        grams[b] = g.T @ (g * weights[:, None])
    boot_values, boot_vectors = np.linalg.eigh(grams)
    boot_values, boot_vectors = boot_values[:, ::-1], np.swapaxes(boot_vectors, 1, 2)[:, ::-1]
    overlap = vectors @ np.swapaxes(boot_vectors, 1, 2)
    distances = [
        float(np.linalg.norm(overlap[:, :k, k:], ord=2, axis=(1, 2)).mean()) for k in range(1, n)
    ]
    return {
        "eigenvalues": values.tolist(),
        "eigenvectors": vectors.tolist(),
        "eigenvalues_conf": np.quantile(boot_values, [0.025, 0.975], axis=0).T.tolist(),
        "subspace_error": [*distances, 0.0],
    }


def main() -> None:
    args = _arguments()
    phases = timing.Phases()
    import jax

    jax.config.update("jax_enable_x64", True)
    phases.end("setup")
    g = gradients(args.inputs, args.samples, args.seed)
    phases.end("gradients")
    indices = analysis(g, args.seed)
    phases.end("analysis")
    record: dict[str, object] = {"phases": phases.seconds}
    if args.warm:
        record["warm"] = timing.warm(
            lambda: analysis(gradients(args.inputs, args.samples, args.seed), args.seed),
            args.warm,
        )
    else:
        Path(args.output).write_text(json.dumps({"evaluations": args.samples, "indices": indices}))
        phases.end("write")
    timing.write(args.timings, record)


if __name__ == "__main__":
    main()
