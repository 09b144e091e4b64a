"""The floor of the start-up benchmark: the smallest script that prints the Jacobian.

``python bench/tools/cold_jax.py samples/elementwise.py 2,1`` runs the function file, computes
``jax.jit(jax.jacfwd(f))`` at the point and prints the Jacobian as a JSON array: what a JAX
user would write by hand instead of ``jaccli jacobian FILE --at 2,1 --format json``. It imports
nothing but JAX and ``json``, so that it measures what the work itself costs.
"""

import json
import sys

import jax

jax.config.update("jax_enable_x64", True)
namespace: dict = {}
with open(sys.argv[1]) as source:
    exec(compile(source.read(), sys.argv[1], "exec"), namespace)
x = jax.numpy.array([float(value) for value in sys.argv[2].split(",")])
print(json.dumps(jax.jit(jax.jacfwd(namespace["f"]))(x).tolist()))
