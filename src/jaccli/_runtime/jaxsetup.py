"""JAX's process-wide settings, made by an explicit call where an operation starts, never as a
side effect of importing a module."""

from __future__ import annotations


def enable_float64() -> None:
    """Make float64 JAX's default precision: call before any JAX array exists (JAX fixes an
    array's dtype when it is made)."""
    import jax

    jax.config.update("jax_enable_x64", True)


def float64_enabled() -> bool:
    """Whether JAX computes in float64 (a user's function may have turned it off)."""
    import jax

    return bool(jax.config.jax_enable_x64)
