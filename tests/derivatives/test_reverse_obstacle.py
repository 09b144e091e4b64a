"""`modes.reverse_obstacle`: which programs reverse mode cannot differentiate, told by tracing."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest
from jax import lax

from iterative_programs import custom_root_sqrt, fixed_point, newton_sqrt, taylor_exp
from jaccli._derivatives.modes import reverse_obstacle


@jax.custom_jvp
def clipped_sin(x):
    return jnp.sin(x)


@clipped_sin.defjvp
def _clipped_sin_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return jnp.sin(x), jnp.cos(x) * jnp.clip(t, -1.0, 1.0)  # not linear in t: no transpose


@jax.custom_jvp
def odd_sin(x):
    return jnp.sin(x)


@odd_sin.defjvp
def _odd_sin_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    return jnp.sin(x), jnp.cos(x) * t * jnp.abs(t)  # not linear in t: JAX asserts on transpose


def scan_sqrt(a):
    return lax.scan(lambda x, _: (0.5 * (x + a / x), None), a, None, length=30)[0]


def python_branch(x):
    return x**2 if x > 0 else -x  # Python control flow on a value: not traceable at all


@pytest.mark.parametrize(
    ("fn", "words"),
    [
        (newton_sqrt, "does not work for lax.while_loop"),
        (taylor_exp, "fori_loop with dynamic start/stop"),
        (fixed_point, "does not work for lax.while_loop"),
        (clipped_sin, "Transpose rule (for reverse-mode differentiation) for 'min'"),
        (odd_sin, "custom_jvp rule that is not linear in its tangents"),
    ],
)
def test_programs_reverse_mode_cannot_take_say_why(fn, words):
    x = jnp.asarray([2.0, 0.5]) if fn is taylor_exp else jnp.asarray(0.5)
    obstacle = reverse_obstacle(fn, (x,))
    assert obstacle is not None and words in obstacle
    assert "\n" not in obstacle and not obstacle.endswith(".")


@pytest.mark.parametrize("fn", [custom_root_sqrt, scan_sqrt, jnp.sin, python_branch])
def test_programs_reverse_mode_takes_or_cannot_trace_have_no_obstacle(fn):
    # custom_root and scan have reverse rules; a program that does not trace at all is not the
    # mode's business: the derivative itself reports (or works around) that.
    assert reverse_obstacle(fn, (jnp.asarray(2.0),)) is None
