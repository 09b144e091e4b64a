"""Derivatives with JAX transforms: pure functions over arrays.

Every function here takes ``fn``, a function of the differentiated arguments only (the caller
closes over the rest), and a tuple of primals (arrays or pytrees of arrays). Nothing here prints,
reads options, or knows about the command line.

Complex numbers follow one convention throughout (see the README):

- complex in, complex out: the function is treated as holomorphic and the result is the complex
  derivative ``df/dz``;
- complex in, real out: the result is ``df/dx + i df/dy`` for ``z = x + iy`` — the direction of
  steepest ascent, which is the conjugate of what ``jax.grad`` returns;
- real in, complex out: the result is ``d(Re f)/dx + i d(Im f)/dx``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp

# float64 is the default everywhere; this must run before any array exists.
jax.config.update("jax_enable_x64", True)

_CONCRETIZATION_ERRORS = (jax.errors.ConcretizationTypeError,)


@dataclass(frozen=True)
class ModeChoice:
    """The differentiation mode chosen for a Jacobian, and why."""

    mode: str
    reason: str


@dataclass(frozen=True)
class Derivative:
    """What a transform returns: the function's value, the derivative, and how it was run."""

    value: Any
    result: Any
    compiled: bool


def choose_mode(n: int, m: int, requested: str = "auto") -> ModeChoice:
    """Pick forward mode when n <= m (one JVP per input), else reverse (one VJP per output).

    >>> choose_mode(2, 100).mode
    'forward'
    """
    fwd = f"forward mode needs {n} JVP{_s(n)} (one per input)"
    rev = f"reverse mode needs {m} VJP{_s(m)} (one per output)"
    if requested in ("fwd", "forward"):
        return ModeChoice("forward", f"n={n}, m={m}: forward mode requested; {fwd}, {rev}")
    if requested in ("rev", "reverse"):
        return ModeChoice("reverse", f"n={n}, m={m}: reverse mode requested; {rev}, {fwd}")
    if n <= m:
        return ModeChoice("forward", f"n={n}, m={m}: n <= m, so {fwd}; {rev}")
    return ModeChoice("reverse", f"n={n}, m={m}: n > m, so {rev}; {fwd}")


def _s(k: int) -> str:
    return "" if k == 1 else "s"


def complex_kind(primals: tuple[Any, ...], out_dtype: Any) -> str:
    """Classify a problem: ``real``, ``holomorphic``, ``complex_input`` or ``complex_output``."""
    in_complex = any(jnp.iscomplexobj(leaf) for leaf in jax.tree_util.tree_leaves(primals))
    out_complex = jnp.issubdtype(out_dtype, jnp.complexfloating)
    if in_complex and out_complex:
        return "holomorphic"
    if in_complex:
        return "complex_input"
    if out_complex:
        return "complex_output"
    return "real"


def run_compiled(transform: Callable[..., Any], *args: Any) -> tuple[Any, bool]:
    """Run ``transform`` under `jax.jit`; if the function cannot be compiled, run it eagerly.

    Python control flow on values (``if x[0] > 0``) cannot be compiled but differentiates fine
    eagerly at a given point, so the eager path gives the right answer there.

    Returns:
        the output and whether it was compiled.
    """
    try:
        return jax.jit(transform)(*args), True
    except _CONCRETIZATION_ERRORS:
        return transform(*args), False


def _argnums(primals: tuple[Any, ...]) -> tuple[int, ...]:
    return tuple(range(len(primals)))


def _to_complex(primals: tuple[Any, ...]) -> tuple[Any, ...]:
    return jax.tree_util.tree_map(lambda a: jnp.asarray(a) + 0j, primals)


def jacobian(
    fn: Callable[..., Any], primals: tuple[Any, ...], mode: str, kind: str = "real"
) -> Derivative:
    """The Jacobian of ``fn`` at ``primals``: a tuple, one entry per primal, of
    ``output_shape + input_shape`` arrays (pytrees for pytree primals).

    >>> import jax.numpy as jnp
    >>> d = jacobian(lambda x: x ** 2, (jnp.array([1.0, 3.0]),), "forward")
    >>> d.result[0].tolist()
    [[2.0, 0.0], [0.0, 6.0]]
    """
    jac_transform = jax.jacfwd if mode == "forward" else jax.jacrev
    argnums = _argnums(primals)

    if kind == "holomorphic":
        primals = _to_complex(primals)

        def transform(*p: Any) -> Any:
            return jac_transform(fn, argnums=argnums, holomorphic=True)(*p), fn(*p)

    elif kind == "complex_input":
        k = len(primals)

        def realified(*parts: Any) -> Any:
            z = jax.tree_util.tree_map(lambda re, im: re + 1j * im, parts[:k], parts[k:])
            return fn(*z)

        def transform(*p: Any) -> Any:
            re = jax.tree_util.tree_map(jnp.real, p)
            im = jax.tree_util.tree_map(jnp.imag, p)
            blocks = jac_transform(realified, argnums=tuple(range(2 * k)))(*re, *im)
            combined = jax.tree_util.tree_map(lambda a, b: a + 1j * b, blocks[:k], blocks[k:])
            return combined, fn(*p)

    elif kind == "complex_output":

        def split(*p: Any) -> Any:
            out = fn(*p)
            return jnp.stack([jnp.real(out), jnp.imag(out)])

        def transform(*p: Any) -> Any:
            blocks = jac_transform(split, argnums=argnums)(*p)
            return jax.tree_util.tree_map(lambda b: b[0] + 1j * b[1], blocks), fn(*p)

    else:

        def transform(*p: Any) -> Any:
            return jac_transform(fn, argnums=argnums)(*p), fn(*p)

    (result, value), compiled = run_compiled(transform, *primals)
    return Derivative(value=value, result=tuple(result), compiled=compiled)


def jvp(fn: Callable[..., Any], primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> Derivative:
    """The Jacobian-vector product J·v in one forward pass, without forming J."""

    def transform(p: tuple[Any, ...], t: tuple[Any, ...]) -> Any:
        return jax.jvp(fn, p, t)

    (value, out), compiled = run_compiled(transform, primals, tangents)
    return Derivative(value=value, result=out, compiled=compiled)


def vjp(fn: Callable[..., Any], primals: tuple[Any, ...], cotangent: Any) -> Derivative:
    """The vector-Jacobian product vᵀ·J in one reverse pass, without forming J."""

    def transform(p: tuple[Any, ...], c: Any) -> Any:
        value, pullback = jax.vjp(fn, *p)
        return value, pullback(c)

    (value, out), compiled = run_compiled(transform, primals, cotangent)
    return Derivative(value=value, result=tuple(out), compiled=compiled)


def grad(fn: Callable[..., Any], primals: tuple[Any, ...], kind: str = "real") -> Derivative:
    """The gradient of a scalar-valued ``fn``: one reverse pass."""
    argnums = _argnums(primals)
    holomorphic = kind == "holomorphic"
    if holomorphic:
        primals = _to_complex(primals)

    def transform(*p: Any) -> Any:
        return jax.value_and_grad(fn, argnums=argnums, holomorphic=holomorphic)(*p)

    (value, out), compiled = run_compiled(transform, *primals)
    if kind == "complex_input":
        # jax.grad returns df/dx - i df/dy; the convention here is its conjugate.
        out = jax.tree_util.tree_map(jnp.conj, out)
    return Derivative(value=value, result=tuple(out), compiled=compiled)


def hessian(fn: Callable[..., Any], primals: tuple[Any, ...]) -> Derivative:
    """The Hessian, forward-over-reverse: ``jacfwd(jacrev(fn))``; nested per pair of arguments."""
    argnums = _argnums(primals)

    def transform(*p: Any) -> Any:
        return jax.jacfwd(jax.jacrev(fn, argnums=argnums), argnums=argnums)(*p), fn(*p)

    (result, value), compiled = run_compiled(transform, *primals)
    # jacfwd puts the tuple over inner arguments at each leaf of the outer argument's pytree;
    # regroup so that block [i][j] is arg i's pytree whose leaves are arg j's pytrees.
    blocks = tuple(
        tuple(
            jax.tree_util.tree_map(
                lambda leaf, j=j: leaf[j], row, is_leaf=lambda x: isinstance(x, tuple)
            )
            for j in argnums
        )
        for row in result
    )
    return Derivative(value=value, result=blocks, compiled=compiled)


def hvp(fn: Callable[..., Any], primals: tuple[Any, ...], tangents: tuple[Any, ...]) -> Derivative:
    """The Hessian-vector product H·v, forward-over-reverse, never forming H."""
    argnums = _argnums(primals)

    def transform(p: tuple[Any, ...], t: tuple[Any, ...]) -> Any:
        def gradient(*q: Any) -> Any:
            return jax.grad(fn, argnums=argnums)(*q)

        _, out = jax.jvp(gradient, p, t)
        return fn(*p), out

    (value, out), compiled = run_compiled(transform, primals, tangents)
    return Derivative(value=value, result=tuple(out), compiled=compiled)
