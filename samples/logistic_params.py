"""The same logistic-regression loss with its parameters in a dict: loss(params).

Run:
    jaccli grad samples/logistic_params.py --at 'params={"w": [0.5, -0.25], "b": 0.1}'

The gradient is keyed by the dict's keys, "w" and "b", and equals samples/logistic.py's.
"""

import jax
import jax.numpy as jnp

X = jnp.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -1.2], [2.0, 1.0]])
y = jnp.array([1.0, 0.0, 0.0, 1.0])


def loss(params):
    z = X @ params["w"] + params["b"]
    return jnp.mean(jax.nn.softplus(z) - y * z)
