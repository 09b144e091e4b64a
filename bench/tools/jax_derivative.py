"""Raw JAX, the floor: the derivative a JAX user would compute by hand, compiled with jax.jit.

* ``jacfwd`` / ``jacrev``: ``jax.jit(jax.jacfwd(f))(x, *args)`` (differentiates ``x`` only)
* ``grad``: ``jax.jit(jax.grad(f))(x)``
* ``hvp``: forward-over-reverse, ``jax.jvp(jax.grad(f), (x,), (v,))``, never forming H
* ``sparse``: the compressed Jacobian J·S from one JVP per colour of the problem's
  ``colours(n)`` (S: one column of seeds per colour), scattered into CSR by its ``pattern(n)``

See `bench.tools.derivative_args` for the command line.
"""

from __future__ import annotations

import numpy as np

from bench.tools.derivative_args import emit, function, parse, save_csr


def main() -> None:
    args = parse(("jacfwd", "jacrev", "grad", "hvp", "sparse"))
    import jax

    jax.config.update("jax_enable_x64", True)
    problem, f = function(args.function)
    x = np.load(args.x)
    extra = [np.load(path) for path in args.arg]
    if args.kind in ("jacfwd", "jacrev"):
        transform = jax.jacfwd if args.kind == "jacfwd" else jax.jacrev
        emit(args, jax.jit(transform(f))(x, *extra))
    elif args.kind == "grad":
        emit(args, jax.jit(jax.grad(f))(x))
    elif args.kind == "hvp":

        def hvp(x, v):
            return jax.jvp(jax.grad(f), (x,), (v,))[1]

        emit(args, jax.jit(hvp)(x, np.load(args.v)))
    else:
        n = x.size
        colours = problem.colours(n)
        seeds = (colours[:, None] == np.arange(colours.max() + 1)).astype(x.dtype)

        def compressed(x, seeds):
            def jvp(seed):
                return jax.jvp(f, (x,), (seed,))[1]

            return jax.vmap(jvp, in_axes=1, out_axes=1)(seeds)

        packed = np.asarray(jax.jit(compressed)(x, seeds))  # (m, colours)
        rows, columns = problem.pattern(n)
        save_csr(args.output, packed[rows, colours[columns]], rows, columns, (packed.shape[0], n))


if __name__ == "__main__":
    main()
