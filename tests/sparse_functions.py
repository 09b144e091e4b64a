"""Functions with hand-known Jacobian and Hessian sparsity patterns, the raw-JAX truth, and star
colouring's recovery of a dense matrix: shared by the pattern and colouring tests
(tests/derivatives/) and the --sparse tests (tests/operations/)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import scipy.sparse as sp

from jaccli._derivatives import star_coloring


def broyden(x):
    padded = jnp.pad(x, 1)
    return (3.0 - 2.0 * x) * x - padded[:-2] - 2.0 * padded[2:] + 1.0


def seven_band(x):
    padded = jnp.pad(x, 3)
    return sum((k + 4.0) * jnp.sin(padded[3 + k : 3 + k + x.size]) for k in range(-3, 4)) * x


def extended_rosenbrock(x):
    first, second = x[0::2], x[1::2]
    return jnp.stack([10.0 * (second - first**2), 1.0 - first], axis=1).reshape(-1)


def dense_row(x):
    """f[0] = Σ x², f[i] = x[i]³: the first row is full, the rest diagonal."""
    return jnp.concatenate([jnp.sum(x**2)[None], x[1:] ** 3])


def dense_column(x):
    """f[i] = x[i]·x[0]: the first column is full, the rest diagonal."""
    return x * x[0] + x


def truth(fn, x):
    """The dense Jacobian from raw `jax.jacfwd`, as an (m, n) matrix."""
    x = jnp.asarray(x)
    return np.asarray(jax.jacfwd(lambda v: jnp.ravel(fn(v)))(x)).reshape(-1, x.size)


@jax.custom_jvp
def straight_through(x):
    return jnp.round(x)


straight_through.defjvp(lambda primals, tangents: (jnp.round(primals[0]), tangents[0]))

A_CONSTANT = np.diag(np.arange(1.0, 13.0)) + np.eye(12, k=3)

COVERAGE = {
    "reshape and transpose": lambda x: (x.reshape(3, 4).T ** 2).ravel(),
    "strided slice": lambda x: x[1::3] * x[::3],
    "concatenate": lambda x: jnp.concatenate([x[6:], x[:6] ** 2]),
    "stack and split": lambda x: jnp.stack(jnp.split(x, 3), axis=1).ravel() ** 2,
    "tile and rev": lambda x: jnp.tile(x[:4], 2) * x[::-1][:8],
    "broadcasting": lambda x: jnp.outer(x[:3], x[3:7]).ravel(),
    "sum along an axis": lambda x: jnp.sum(x.reshape(3, 4) ** 2, axis=0),
    "mean of everything": lambda x: x - jnp.mean(x),
    "constant sparse matrix": lambda x: A_CONSTANT @ jnp.tanh(x),
    "batched dot_general": lambda x: jnp.einsum(
        "bij,bj->bi", x.reshape(2, 2, 3), x[:6].reshape(2, 3)
    ),
    "matrix product": lambda x: (x[:6].reshape(2, 3) @ x[6:].reshape(3, 2)).ravel(),
    "where": lambda x: jnp.where(x > 1.0, x**2, jnp.exp(x)),
    "nested jit": lambda x: jax.jit(lambda v: jnp.cos(v[2:]) * v[:-2])(x),
    "gather": lambda x: x[jnp.array([3, 0, 11, -1, 3])] ** 2,
    "scatter-add": lambda x: x.at[jnp.array([0, 0, 5])].add(x[8:11] ** 2),
    "pad with interior and negative": lambda x: jax.lax.pad(x, 0.0, [(-1, 2, 1)]) ** 2,
    "pad value from the input": lambda x: jax.lax.pad(x[:4], x[5], [(1, 1, 0)]) * 2.0,
    "cumsum both ways": lambda x: jnp.cumsum(x) + jax.lax.cumsum(x**2, reverse=True),
    "dynamic slice": lambda x: jax.lax.dynamic_slice(x, (2,), (4,)) ** 2,
    "dynamic update slice": lambda x: jax.lax.dynamic_update_slice(x, x[:3] ** 3, (7,)),
    "custom_jvp relu": lambda x: jax.nn.relu(x - 1.0) + jax.nn.softplus(x),
    "straight-through custom_jvp": lambda x: straight_through(x * 3.0) * 1.0,
    "stop_gradient and floor": lambda x: jax.lax.stop_gradient(x) * x + jnp.floor(x) * x,
    "norm": lambda x: jnp.linalg.norm(x.reshape(3, 4), axis=1),
    "scalar output": lambda x: jnp.sum(x[:5] ** 2)[None],
}


# --- scalar functions with hand-derived Hessians (hessian --sparse) -------------------------


def arrowhead(x):
    """x₀·Σx + Σx⁴: one dense row and column, and the diagonal."""
    return x[0] * jnp.sum(x) + jnp.sum(x**4)


def arrowhead_hessian(x):
    """The Hessian as a SciPy sparse array, so that it can be built at n = 10⁵."""
    n = x.size
    hub = np.zeros(n, dtype=np.int64)
    rows = np.concatenate([np.arange(n), hub, np.arange(n)])
    cols = np.concatenate([np.arange(n), np.arange(n), hub])
    values = np.concatenate([12.0 * x**2, np.ones(2 * n)])
    return sp.csr_array(sp.coo_array((values, (rows, cols)), shape=(n, n)))  # sums duplicates


def chain(x):
    """The chained (extended) Rosenbrock function Σ(x_{i+1} − x_i²)² + Σ(1 − x_i)²."""
    return jnp.sum((x[1:] - x[:-1] ** 2) ** 2) + jnp.sum((1.0 - x) ** 2)


def chain_hessian(x):
    r = x[1:] - x[:-1] ** 2
    diagonal = np.full(x.size, 2.0)
    diagonal[1:] += 2.0
    diagonal[:-1] += -4.0 * r + 8.0 * x[:-1] ** 2
    off = -4.0 * x[:-1]
    return sp.csr_array(sp.diags_array([off, diagonal, off], offsets=[-1, 0, 1]))


def five_band(x):
    """Σ x_i² x_{i+1} + Σ x_i x_{i+2}³: a pentadiagonal Hessian."""
    return jnp.sum(x[:-1] ** 2 * x[1:]) + jnp.sum(x[:-2] * x[2:] ** 3)


def five_band_hessian(x):
    diagonal = np.zeros(x.size)
    diagonal[:-1] += 2.0 * x[1:]
    diagonal[2:] += 6.0 * x[:-2] * x[2:]
    first, second = 2.0 * x[:-1], 3.0 * x[2:] ** 2
    bands = [second, first, diagonal, first, second]
    return sp.csr_array(sp.diags_array(bands, offsets=[-2, -1, 0, 1, 2]))


HESSIANS = {
    "arrowhead": (arrowhead, arrowhead_hessian, 2),
    "chain": (chain, chain_hessian, 3),
    "five-band": (five_band, five_band_hessian, 5),
}


def recovered(H, coloring):
    """The dense matrix that star colouring's direct recovery reads from the compressed
    products of ``H`` (a dense symmetric array) with the colouring's seed vectors."""
    seeds = coloring.colors[:, None] == np.arange(coloring.count)[None, :]
    rows, cols, values = star_coloring.recover(sp.csr_array(H != 0), coloring, (H @ seeds).T)
    out = np.zeros_like(H)
    out[rows, cols] = values
    return out
