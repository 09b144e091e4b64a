"""``--check`` of a sparse Hessian: every entry compared with the dense AD Hessian, so that an
entry the pattern left out shows as a mismatch as surely as a wrong value."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from .._problem import DEFAULT_MAX_BYTES, Problem, flatten
from .references import compare
from .report import Report, tolerances


def with_dense_check(
    problem: Problem,
    result: Any,
    *,
    rtol: float | None = None,
    atol: float | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Any:
    """The sparse Hessian ``result`` with a check report under ``check``: one reference,
    ``dense``, the Hessian computed without a pattern (forward-over-reverse, one HVP per
    input), compared over the whole ``(n, n)`` matrix. Meant for small problems: the dense
    Hessian must fit in ``max_bytes``."""
    import jax
    import jax.numpy as jnp

    rtol, atol = tolerances(problem.dtype, rtol, atol, problem.labels)
    n = problem.n
    problem.guard_size(n * n, "dense Hessian that the check compares with", max_bytes)
    flat = flatten(problem)
    hessian = jax.jit(jax.hessian(lambda p: jnp.reshape(flat.fn(p), ())))
    dense = problem.run(lambda: hessian(flat.x))
    sparse = result.result.toarray()
    reference = compare(
        "dense", sparse, np.asarray(dense), None, rtol, atol, lambda i, j: (int(i), int(j))
    )
    report = Report(2, reference.passed, rtol, atol, (reference,))
    return dataclasses.replace(result, extra={**result.extra, "check": report.to_dict()})
