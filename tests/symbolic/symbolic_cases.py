"""Functions traced at points, and the ways the SymPy tests compare them with JAX."""

from __future__ import annotations

import textwrap

import jax
import numpy as np

from jaccli._load import load
from jaccli._problem import prepare
from jaccli._symbolic import jacobian, to_sympy

HEADER = "import jax\nimport jax.numpy as jnp\nimport numpy as np\n\n\n"


def traced_file(tmp_path, body: str, name: str = "f.py"):
    path = tmp_path / name
    path.write_text(HEADER + textwrap.dedent(body))
    return load(str(path))


def bind(function, wrt=None, **point):
    return prepare(function, {k: value_of(v) for k, v in point.items()}, wrt)


def value_of(v):
    if isinstance(v, dict):
        return {k: value_of(item) for k, item in v.items()}
    return np.asarray(v, dtype=float)


def reference(problem):
    return jacobian(to_sympy(problem)).evaluate()


def jax_jacobian(problem, transform=jax.jacfwd):
    argnums = tuple(range(len(problem.wrt)))
    # Compiled as a whole: op-by-op dispatch would spend most of this file's time compiling.
    result = jax.jit(transform(problem.call, argnums=argnums))(*problem.primals)
    if len(result) == 1:
        return result[0]
    return dict(zip(problem.wrt, result, strict=True))


def close(actual, expected, rtol=1e-12, atol=1e-13):
    jax.tree_util.tree_map(
        lambda a, e: np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=rtol, atol=atol),
        actual,
        expected,
    )
