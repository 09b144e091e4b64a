"""Logistic-regression loss with two arguments, loss(w, b), on a small fixed data set.

Run:
    jaccli grad samples/logistic.py --at 'w=[0.5,-0.25],b=0.1'
    jaccli jacobian samples/logistic.py --at 'w=[0.5,-0.25],b=0.1' --wrt w

The gradient is keyed by argument: ∂L/∂w = Xᵀ(σ(Xw + b) − y)/N and ∂L/∂b = mean(σ(Xw + b) − y).
The loss is scalar (m = 1), so jacobian picks reverse mode.
"""

import jax
import jax.numpy as jnp

X = jnp.array([[1.0, 2.0], [-1.0, 0.5], [0.3, -1.2], [2.0, 1.0]])
y = jnp.array([1.0, 0.0, 0.0, 1.0])


def loss(w, b):
    z = X @ w + b
    # log(1 + exp(z)) - y·z, the negative log-likelihood, in a form that does not overflow.
    return jnp.mean(jax.nn.softplus(z) - y * z)
