"""How a walker tells the operands of an equation apart without importing `jax.extend`."""

import jax
import jax.extend.core
import jax.numpy as jnp

from jaccli._derivatives import jaxpr


def test_a_literal_is_told_from_a_variable():
    (eqn,) = jax.make_jaxpr(lambda x: x * 2.0)(1.0).jaxpr.eqns
    variable, literal = eqn.invars
    assert jaxpr.is_literal(literal) and not jaxpr.is_literal(variable)


def test_a_dropped_output_is_told_from_a_variable():
    (eqn,) = jax.make_jaxpr(jnp.sin)(1.0).jaxpr.eqns
    (out,) = eqn.outvars
    assert not jaxpr.is_dropped(out)
    assert jaxpr.is_dropped(jax.extend.core.DropVar(out.aval))
