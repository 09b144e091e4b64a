"""Finite differences at inputs far from 1 and near the edge of a domain: steps follow each
input's own scale, shrink at an edge, go one-sided on it, and the error estimate still bounds the
error (hand-derived truths)."""

from __future__ import annotations

from collections.abc import Callable

import jax.numpy as jnp
import numpy as np
import pytest

from jaccli._derivatives import fd

CASES: list[tuple[str, Callable, float, Callable]] = [
    ("log", jnp.log, 1e-8, lambda x: 1 / x),
    ("log", jnp.log, 1e-12, lambda x: 1 / x),
    ("sqrt", jnp.sqrt, 1e-12, lambda x: 0.5 / np.sqrt(x)),
    ("fast sine", lambda x: jnp.sin(1e8 * x), 1e-8, lambda x: 1e8 * np.cos(1e8 * x)),
    ("sine far out", jnp.sin, 1e10, np.cos),
    ("square far out", lambda x: x**2, 1e10, lambda x: 2 * x),
    ("exp near 0", jnp.exp, 1e-300, np.exp),
    ("log near its edge", lambda x: jnp.log(x - 1), 1 + 1e-9, lambda x: 1 / (x - 1)),
    ("sqrt near its edge", lambda x: jnp.sqrt(1 - x), 1 - 1e-9, lambda x: -0.5 / np.sqrt(1 - x)),
    ("power on its edge", lambda x: x**1.5, 0.0, lambda x: 1.5 * np.sqrt(x)),
]


@pytest.mark.parametrize(("name", "f", "x", "derivative"), CASES, ids=[c[0] for c in CASES])
def test_error_estimates_bound_the_error_at_any_scale(name, f, x, derivative):
    est = fd.jacobian_central(lambda v: f(v[0]), np.array([x]))
    truth = derivative(x)
    error = abs(est.estimate[0, 0] - truth)
    assert error <= est.error_estimate[0, 0] + 1e-15 * abs(truth)
    assert est.error_estimate[0, 0] <= 1e-2 * max(abs(truth), 1e-4)
    forward, backward, kink = fd.one_sided(lambda v: f(v[0]), np.array([x]))
    assert not kink.any()
    for side in (forward, backward):
        if np.isfinite(side.error_estimate[0, 0]):
            assert abs(side.estimate[0, 0] - truth) <= side.error_estimate[0, 0] + 1e-6 * abs(truth)


def test_steps_follow_each_inputs_own_scale():
    x = np.array([1e-8, 0.0, 3e6])
    est = fd.jacobian_central(lambda v: jnp.stack([jnp.log(v[0]), v[1] ** 2, jnp.sqrt(v[2])]), x)
    np.testing.assert_allclose(np.diag(est.estimate), [1e8, 0.0, 0.5 / np.sqrt(3e6)], atol=1e-12)
    steps = np.diag(est.step)
    assert steps[0] < 1e-9 and 1e-6 < steps[1] < 1 and steps[2] > 1


def test_a_function_nan_on_both_sides_has_no_estimate():
    est = fd.jacobian_central(lambda v: jnp.where(v == 0.5, v, jnp.nan), np.array([0.5]))
    assert not np.isfinite(est.estimate[0, 0]) and est.error_estimate[0, 0] == np.inf


@pytest.mark.parametrize("x", [[2.0, 3.0], [1e-8, 2.0], [1 + 1e-9, 2.0]])
def test_evaluations_count_every_point_the_function_saw(x):
    seen = []

    def batched(points):
        seen.append(points.shape[0])
        return jnp.stack([jnp.log(points[:, 0] - 1), points[:, 1] ** 2], axis=1)

    est = fd.jacobian_central(lambda v: v, np.array(x), batched=batched)
    assert est.evaluations == sum(seen) > 2 * 12 * len(x)


@pytest.mark.parametrize(
    ("f", "x", "kink"),
    [
        (lambda v: jnp.sin(v[0] ** 2), 1.3e5, False),  # turns over within the steps
        (lambda v: jnp.cos(1e9 * v[0]), 3e-9, False),
        (lambda v: jnp.abs(v[0] - 1e-8), 1e-8, True),
        (lambda v: jnp.maximum(v[0], 2e6), 2e6, True),
    ],
)
def test_a_kink_is_one_at_every_step_and_a_fast_turn_is_not(f, x, kink):
    _, _, found = fd.one_sided(f, np.array([x]))
    assert bool(found[0, 0]) is kink
