"""The start-up that both sparse-Hessian tools pay, and nothing else: the interpreter, NumPy,
JAX in float64, reading the point, and one small compiled call (the first compilation loads
XLA's lowering). Neither jaccli nor asdex can finish below it. (asdex also imports SciPy's
sparse matrices, its output format; jaccli writes the same .npz with NumPy.)

``python -m bench.tools.startup_floor x.npy`` prints nothing.
"""

import sys

import numpy as np


def main() -> None:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    x = np.load(sys.argv[1])
    jax.jit(lambda v: jnp.sum(v * v))(x).block_until_ready()


if __name__ == "__main__":
    main()
