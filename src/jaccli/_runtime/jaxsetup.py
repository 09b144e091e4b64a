"""JAX's process-wide settings, made by an explicit call where an operation starts, never as a
side effect of importing a module."""

from __future__ import annotations

import os

from ..errors import UsageError


def enable_float64() -> None:
    """Make float64 JAX's default precision: call before any JAX array exists (JAX fixes an
    array's dtype when it is made)."""
    import jax

    from .collector import settle

    settle()  # JAX is in: the console's collector resumes (see `collector`)
    jax.config.update("jax_enable_x64", True)


def float64_enabled() -> bool:
    """Whether JAX computes in float64 (a user's function may have turned it off)."""
    import jax

    return bool(jax.config.jax_enable_x64)


def platform_failure(exc: BaseException) -> UsageError | None:
    """The usage error for JAX failing to start the platform ``JAX_PLATFORMS`` asks for (gpu
    on a machine without one), or None for any other failure."""
    message = str(exc)
    if not isinstance(exc, RuntimeError) or "Unable to initialize backend" not in message:
        return None
    reason = message.split(". (set JAX_PLATFORMS")[0].strip()
    platforms = os.environ.get("JAX_PLATFORMS", "")
    return UsageError(
        f"JAX cannot start the platform that JAX_PLATFORMS={platforms!r} asks for: {reason}",
        hint="unset JAX_PLATFORMS to let JAX choose, or set JAX_PLATFORMS=cpu",
    )
