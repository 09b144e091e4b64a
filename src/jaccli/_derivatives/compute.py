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
import numpy as np

from .modes import FORWARD, REVERSE, passes

# float64 is the default everywhere; this must run before any array exists.
jax.config.update("jax_enable_x64", True)

_CONCRETIZATION_ERRORS = (jax.errors.ConcretizationTypeError,)


@dataclass(frozen=True)
class ModeChoice:
    """The differentiation mode chosen for a Jacobian, and why.

    ``mode`` is ``"fwd"`` or ``"rev"``; ``reason`` is the sentence reported as ``mode_reason``.
    """

    mode: str
    reason: str


@dataclass(frozen=True)
class Derivative:
    """What a transform returns: the function's value, the derivative, and how it was run."""

    value: Any
    result: Any
    compiled: bool


# Jacobians larger than this get their value from a program of their own (see `jacobian`).
VALUE_APART_ENTRIES = 1 << 20

# A VJP costs more than a JVP of the same function: it runs the program backwards over values
# stored on the way forward, and XLA fuses it less well. Measured with jax.jacrev against
# jax.jacfwd at n = m = 2000 on one CPU (see BENCHMARKS.md, "Modes"), a VJP took 0.7–1.1× a
# JVP where a matrix product dominates and 2–100× in elementwise code, 2.4× on the median.
# Reverse mode is therefore picked only when it needs fewer than 1/REVERSE_COST as many
# passes, which keeps n > m problems with a few outputs fewer (near-square ones) in forward mode.
REVERSE_COST = 1.5


def choose_mode(n: int, m: int, requested: str = "auto") -> ModeChoice:
    """Pick the cheaper mode: forward (one JVP per input) unless reverse mode needs fewer than
    ``1 / REVERSE_COST`` as many passes (one VJP per output), i.e. unless n > 1.5·m.

    The passes are vectorised, so their number also sets the memory: one row of intermediates
    per pass, and a basis of n × n (forward) or m × m (reverse) seeds, at most 1.5× the
    Jacobian's own size under this rule.

    >>> choose_mode(2, 100).mode
    'forward'
    >>> choose_mode(100, 2).mode
    'reverse'
    >>> choose_mode(4000, 3998).mode  # near-square: a VJP costs more than a JVP
    'forward'
    """
    fwd = f"forward mode needs {passes(n, 'JVP')} (one per input)"
    rev = f"reverse mode needs {passes(m, 'VJP')} (one per output)"
    if requested in FORWARD:
        return ModeChoice("forward", f"n={n}, m={m}: forward mode requested; {fwd}, {rev}")
    if requested in REVERSE:
        return ModeChoice("reverse", f"n={n}, m={m}: reverse mode requested; {rev}, {fwd}")
    if n <= m:
        return ModeChoice("forward", f"n={n}, m={m}: n <= m, so {fwd}; {rev}")
    if n <= REVERSE_COST * m:
        return ModeChoice(
            "forward",
            f"n={n}, m={m}: {fwd}; {rev}, but a VJP costs about {REVERSE_COST:g}× a JVP or more "
            f"(it runs the program backwards over stored values), so forward mode is cheaper "
            f"unless n > {REVERSE_COST:g}·m",
        )
    return ModeChoice("reverse", f"n={n}, m={m}: n > m, so {rev}; {fwd}")


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


def _with_value(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` returning its output twice: the second is the ``has_aux`` value of a transform."""

    def both(*p: Any) -> Any:
        out = fn(*p)
        return out, out

    return both


def _argnums(primals: tuple[Any, ...]) -> tuple[int, ...]:
    return tuple(range(len(primals)))


def _to_complex(primals: tuple[Any, ...]) -> tuple[Any, ...]:
    return jax.tree_util.tree_map(lambda a: jnp.asarray(a) + 0j, primals)


def jacobian(
    fn: Callable[..., Any],
    primals: tuple[Any, ...],
    mode: str,
    kind: str = "real",
    *,
    with_value: bool = True,
) -> Derivative:
    """The Jacobian of ``fn`` at ``primals``: a tuple, one entry per primal, of
    ``output_shape + input_shape`` arrays (pytrees for pytree primals).

    The value comes out of the Jacobian's own program (the function is traced once), except
    for a large Jacobian (more than `VALUE_APART_ENTRIES` entries): there XLA lays the
    Jacobian out for the two outputs and then copies it (4× slower at 4000 × 3998), so the
    value is a second, small program. ``with_value=False`` leaves it out (``value`` is None).

    >>> import jax.numpy as jnp
    >>> d = jacobian(lambda x: x ** 2, (jnp.array([1.0, 3.0]),), "forward")
    >>> d.result[0].tolist()
    [[2.0, 0.0], [0.0, 6.0]]
    """
    primals, derivative = _jacobian_and_value(fn, primals, mode, kind)

    def transform(*p: Any) -> Any:
        result, value = derivative(*p)
        entries = sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(result))
        # An output left out here is never computed: XLA drops what the program does not return.
        keep = with_value and entries <= VALUE_APART_ENTRIES
        return result, value if keep else None

    (result, value), compiled = run_compiled(transform, *primals)
    if value is None and with_value:
        value, _ = run_compiled(fn, *primals)
    return Derivative(value=value, result=tuple(result), compiled=compiled)


def _jacobian_and_value(
    fn: Callable[..., Any], primals: tuple[Any, ...], mode: str, kind: str
) -> tuple[tuple[Any, ...], Callable[..., Any]]:
    """The transform giving ``(Jacobian, value)`` under the complex convention of ``kind``, and
    the primals it takes (made complex for a holomorphic function)."""
    jac_transform = jax.jacfwd if mode == "forward" else jax.jacrev
    argnums = _argnums(primals)

    if kind == "holomorphic":
        primals = _to_complex(primals)

        def derivative(*p: Any) -> Any:
            return jac_transform(_with_value(fn), argnums, holomorphic=True, has_aux=True)(*p)

    elif kind == "complex_input":
        k = len(primals)

        def realified(*parts: Any) -> Any:
            z = jax.tree_util.tree_map(lambda re, im: re + 1j * im, parts[:k], parts[k:])
            out = fn(*z)
            return out, out

        def derivative(*p: Any) -> Any:
            re = jax.tree_util.tree_map(jnp.real, p)
            im = jax.tree_util.tree_map(jnp.imag, p)
            blocks, value = jac_transform(realified, tuple(range(2 * k)), has_aux=True)(*re, *im)
            combined = jax.tree_util.tree_map(lambda a, b: a + 1j * b, blocks[:k], blocks[k:])
            return combined, value

    elif kind == "complex_output":

        def split(*p: Any) -> Any:
            out = fn(*p)
            return jnp.stack([jnp.real(out), jnp.imag(out)]), out

        def derivative(*p: Any) -> Any:
            blocks, value = jac_transform(split, argnums=argnums, has_aux=True)(*p)
            return jax.tree_util.tree_map(lambda b: b[0] + 1j * b[1], blocks), value

    else:

        def derivative(*p: Any) -> Any:
            return jac_transform(_with_value(fn), argnums=argnums, has_aux=True)(*p)

    return primals, derivative


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


def vjp_forward(
    fn: Callable[..., Any], primals: tuple[Any, ...], cotangent: Any, kind: str = "real"
) -> Derivative:
    """vᵀ·J in forward mode, for a program reverse mode cannot differentiate: the gradient of
    v·f, one JVP per input, each contracted with v at once, so J is never formed.

    >>> import jax.numpy as jnp
    >>> d = vjp_forward(lambda x: x ** 2, (jnp.array([1.0, 3.0]),), jnp.array([1.0, 2.0]))
    >>> d.result[0].tolist()
    [2.0, 12.0]
    """
    holomorphic = kind == "holomorphic"

    def transform(p: tuple[Any, ...], c: Any) -> Any:
        def contracted(*q: Any) -> Any:
            out = fn(*q)
            return jnp.sum(c * out), out

        take = jax.jacfwd(contracted, _argnums(p), has_aux=True, holomorphic=holomorphic)
        g, value = take(*p)
        return value, g

    (value, out), compiled = run_compiled(transform, primals, cotangent)
    return Derivative(value=value, result=tuple(out), compiled=compiled)


def grad(
    fn: Callable[..., Any],
    primals: tuple[Any, ...],
    kind: str = "real",
    *,
    with_value: bool = True,
) -> Derivative:
    """The gradient of a scalar-valued ``fn``: one reverse pass.

    With ``with_value=False`` the value is not computed (``Derivative.value`` is None): the
    compiled program is then the gradient alone, which XLA fuses better. For 10⁷ inputs the
    value beside the gradient took as long again as the gradient itself.
    """
    argnums = _argnums(primals)
    holomorphic = kind == "holomorphic"
    if holomorphic:
        primals = _to_complex(primals)

    def transform(*p: Any) -> Any:
        if not with_value:
            return None, jax.grad(fn, argnums=argnums, holomorphic=holomorphic)(*p)
        return jax.value_and_grad(fn, argnums=argnums, holomorphic=holomorphic)(*p)

    (value, out), compiled = run_compiled(transform, *primals)
    if kind == "complex_input":
        # jax.grad returns df/dx - i df/dy; the convention here is its conjugate.
        out = jax.tree_util.tree_map(jnp.conj, out)
    return Derivative(value=value, result=tuple(out), compiled=compiled)


def hessian(fn: Callable[..., Any], primals: tuple[Any, ...], inner: str = "reverse") -> Derivative:
    """The Hessian, forward-over-reverse: ``jacfwd(jacrev(fn))``; nested per pair of arguments.

    ``inner="forward"`` takes the gradient in forward mode too (``jacfwd(jacfwd(fn))``), for a
    function that reverse mode cannot differentiate.
    """
    argnums = _argnums(primals)
    gradient = jax.jacrev if inner == "reverse" else jax.jacfwd

    def transform(*p: Any) -> Any:
        inner = gradient(_with_value(fn), argnums=argnums, has_aux=True)
        result, value = jax.jacfwd(inner, argnums=argnums, has_aux=True)(*p)
        entries = sum(int(np.size(leaf)) for leaf in jax.tree_util.tree_leaves(result))
        return result, value if entries <= VALUE_APART_ENTRIES else None  # as in `jacobian`

    (result, value), compiled = run_compiled(transform, *primals)
    if value is None:
        value, _ = run_compiled(fn, *primals)
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


def hvp(
    fn: Callable[..., Any],
    primals: tuple[Any, ...],
    tangents: tuple[Any, ...],
    *,
    with_value: bool = True,
    inner: str = "reverse",
) -> Derivative:
    """The Hessian-vector product H·v, forward-over-reverse, never forming H.

    With ``with_value=False`` the value is not computed (``Derivative.value`` is None), as
    for `grad`. ``inner="forward"`` takes the gradient in forward mode (n JVPs, so one JVP of
    n JVPs), for a function that reverse mode cannot differentiate; H is not formed either.
    """
    argnums = _argnums(primals)
    gradient_of = jax.grad if inner == "reverse" else jax.jacfwd

    def transform(p: tuple[Any, ...], t: tuple[Any, ...]) -> Any:
        if not with_value:

            def gradient(*q: Any) -> Any:
                return gradient_of(fn, argnums=argnums)(*q)

            return None, jax.jvp(gradient, p, t)[1]

        def gradient_and_value(*q: Any) -> Any:
            return gradient_of(_with_value(fn), argnums=argnums, has_aux=True)(*q)

        # The value rides along as the JVP's auxiliary output: one trace of the function.
        _, out, value = jax.jvp(gradient_and_value, p, t, has_aux=True)
        return value, out

    (value, out), compiled = run_compiled(transform, primals, tangents)
    return Derivative(value=value, result=tuple(out), compiled=compiled)
