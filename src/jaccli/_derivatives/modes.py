"""Whether reverse mode can differentiate a function at all, told by tracing, not by running.

JAX takes some programs forward but not in reverse: a `lax.while_loop` (a Newton solve, a
`fori_loop` with bounds that depend on values) has a JVP but no transpose, and so has a
`custom_jvp` rule that is not linear in its tangents. Tracing the reverse pass abstractly
(`jax.eval_shape`: no compilation, no arithmetic) finds that out before anything runs, so a
command can pick forward mode instead and say why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# The names of each mode that a command's mode option takes.
FORWARD, REVERSE = ("fwd", "forward"), ("rev", "reverse")


def passes(count: int, kind: str) -> str:
    """``count`` passes of ``kind`` (JVP, VJP), with the plural right.

    >>> passes(1, "JVP"), passes(3, "VJP")
    ('1 JVP', '3 VJPs')
    """
    return f"{count} {kind}{'' if count == 1 else 's'}"


def reverse_obstacle(fn: Callable[..., Any], primals: tuple[Any, ...]) -> str | None:
    """Why reverse mode cannot differentiate ``fn`` at ``primals`` while forward mode can, in
    JAX's words; None when reverse mode can, or when neither traces (that failure is not the
    mode's, and the derivative itself reports it).

    >>> import jax
    >>> def newton_sqrt(a):
    ...     step = lambda x: 0.5 * (x + a / x)
    ...     return jax.lax.while_loop(lambda x: abs(x * x - a) > 1e-9, step, a)
    >>> reverse_obstacle(newton_sqrt, (2.0,))[:49]
    'Reverse-mode differentiation does not work for la'
    >>> reverse_obstacle(lambda x: x * x, (2.0,)) is None
    True
    """
    import jax
    import jax.numpy as jnp

    def pullback(*p: Any) -> Any:
        out, pull = jax.vjp(fn, *p)
        return pull(jnp.ones_like(out))

    def pushforward(*p: Any) -> Any:
        return jax.jvp(fn, p, p)

    try:
        jax.eval_shape(pullback, *primals)
        return None
    except Exception as exc:  # whatever JAX raises: forward mode decides whether it matters
        reverse_error = exc
    try:
        jax.eval_shape(pushforward, *primals)
    except Exception:
        return None
    return _in_words(reverse_error)


def _in_words(exc: Exception) -> str:
    """The first sentence of JAX's message; a bare assertion inside JAX's transpose says
    nothing to a user, so it is told in words."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    if isinstance(exc, AssertionError) or not text:
        return (
            "JAX cannot transpose its forward derivative "
            "(a custom_jvp rule that is not linear in its tangents?)"
        )
    return text.split(". ")[0].rstrip(".")
