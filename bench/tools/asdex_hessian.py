"""asdex's sparse Hessian, as its users call it: ``asdex.hessian(f, x)`` detects the pattern,
colours it symmetrically and returns the function that computes the Hessian; the result is
written as SciPy CSR (``.npz``). With ``--print``, the number of colours instead."""

from __future__ import annotations

import numpy as np

from bench.tools.derivative_args import function, parse


def main() -> None:
    args = parse(("hessian",))
    import asdex
    import jax
    import scipy.sparse as sp

    jax.config.update("jax_enable_x64", True)
    _, f = function(args.function)
    x = np.load(args.x)
    if args.print:
        print(asdex.hessian_coloring(f, x).num_colors)
        return
    sp.save_npz(args.output, sp.csr_matrix(asdex.hessian(f, x, output_format="scipy_csr")(x)))


if __name__ == "__main__":
    main()
