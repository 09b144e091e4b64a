"""Refusals: what SymPy cannot stand for, and the size limits that stop its work before it runs
away.

SymPy shares equal subexpressions, so a program can build an expression whose tree is
exponentially larger than its memory, and SymPy's constructors, printers and evaluation recurse
once per level of nesting. Sizes are therefore counted as trees over the shared form, and a
`RecursionError` becomes a size refusal.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from .._problem import PYTHON, Labels
from ..errors import ResourceError, UsageError

MAX_ENTRIES = 10_000
"""Most entries of a symbolic Jacobian (outputs × inputs) or Hessian (inputs × inputs)."""
MAX_EXPRESSION_SIZE = 500_000
"""Most nodes of any one expression built from a program or an expression, counted as a tree."""
MAX_DEPTH = 250
"""Deepest nesting of an expression (SymPy's constructors, printers and evaluation recurse)."""
MAX_CPU_SECONDS = 20.0
"""Most CPU seconds of `check`'s SymPy process. The budgets above count operations; SymPy's
constructors that ask about signs (``Max``, ``Abs``, ``Heaviside``, comparisons) walk a nested
expression once per question, which no count foresees: the maximum of a loop's eight steps took
minutes. The process can be stopped at any point, so it alone is stopped by the clock."""


class SymbolicUnavailable(UsageError):
    """SymPy cannot stand for this function: a primitive it does not cover, or complex values.

    ``reason`` says why in the user's words (their operation and line, where known); `check`
    reports it as the SymPy reference's reason and `jaccli symbolic` as its error. Without a
    hint, the entry point that lets it out (see `refusals`) names the way around it.
    """

    kind = "symbolic_unavailable"
    located = False  # whether the reason names the user's line already

    def __init__(self, reason: str, hint: str | None = None) -> None:
        super().__init__(reason, hint=hint)
        self.reason = reason


class SymbolicTooLarge(SymbolicUnavailable, ResourceError):
    """The symbolic work would exceed a size limit; refused before it runs away (exit 4)."""

    exit_code = 4
    kind = "resource"


# What each JAX primitive without a SymPy rule is, in the words of the code that makes it.
OPERATIONS = {
    "sort": "sorting (jnp.sort, argsort, median, quantile)",
    "argmax": "jnp.argmax",
    "argmin": "jnp.argmin",
    "top_k": "lax.top_k",
    "lu": "an LU factorisation (jnp.linalg.solve, inv, det)",
    "lu_pivots_to_permutation": "an LU factorisation (jnp.linalg.solve, inv, det)",
    "custom_linear_solve": "a linear solve (jnp.linalg.solve)",
    "triangular_solve": "a triangular solve (jax.scipy.linalg.solve_triangular, cho_solve)",
    "cholesky": "a Cholesky factorisation (jnp.linalg.cholesky)",
    "eigh": "an eigendecomposition (jnp.linalg.eigh)",
    "eig": "an eigendecomposition (jnp.linalg.eig)",
    "svd": "a singular value decomposition (jnp.linalg.svd, pinv, norm)",
    "qr": "a QR factorisation (jnp.linalg.qr)",
    "igamma": "the regularised incomplete gamma function (gammainc)",
    "igammac": "the regularised upper incomplete gamma function (gammaincc)",
    "igamma_grad_a": "the derivative of gammainc in its first argument",
    "regularized_incomplete_beta": "the regularised incomplete beta function (betainc)",
    "polygamma": "polygamma",
    "zeta": "the Hurwitz zeta function (zeta)",
    "bessel_i0e": "the scaled Bessel function i0e",
    "bessel_i1e": "the scaled Bessel function i1e",
    "random_bits": "random numbers (jax.random)",
    "random_seed": "random numbers (jax.random)",
    "random_wrap": "random numbers (jax.random)",
    "random_unwrap": "random numbers (jax.random)",
    "threefry2x32": "random numbers (jax.random)",
    "pure_callback": "a callback into Python (jax.pure_callback)",
    "fft": "a Fourier transform (jnp.fft)",
    "conv_general_dilated": "a convolution (lax.conv, jnp.convolve)",
    "reduce_window_sum": "a windowed reduction (lax.reduce_window)",
}


def operation(primitive: str) -> str:
    """A JAX primitive in the words of the code that makes it.

    >>> operation("lu"), operation("frobnicate")
    ('an LU factorisation (jnp.linalg.solve, inv, det)', 'the JAX operation frobnicate')
    """
    return OPERATIONS.get(primitive, f"the JAX operation {primitive}")


# The way around a refusal: the derivative itself needs no formula.
AD_HINT = (
    "the derivative needs no formula: jacobian and hessian compute it by AD, and check "
    "compares it with finite differences"
)


def fewer_inputs_hint(labels: Labels = PYTHON) -> str:
    """The way around a derivative with too many entries or too much work.

    >>> fewer_inputs_hint().startswith("differentiate fewer inputs (wrt), or: the derivative")
    True
    """
    return f"differentiate fewer inputs ({labels('wrt')}), or: " + AD_HINT


@contextlib.contextmanager
def refusals(what: str, labels: Labels = PYTHON) -> Iterator[None]:
    """Where symbolic work starts: a `RecursionError` inside is a size refusal, and a refusal
    without a hint gets `AD_HINT`.

    >>> try:
    ...     with refusals("the function"):
    ...         raise SymbolicUnavailable("SymPy has no rule for sorting")
    ... except SymbolicUnavailable as exc:
    ...     print(exc.hint.split(":")[0])
    the derivative needs no formula
    """
    try:
        yield
    except RecursionError:
        raise SymbolicTooLarge(
            f"{what} nests expressions too deeply for SymPy",
            hint=AD_HINT,
        ) from None
    except SymbolicUnavailable as exc:
        if exc.hint is None:
            exc.hint = AD_HINT
        raise


def check_entries(entries: int, what: str, how: str, labels: Labels = PYTHON) -> None:
    """Refuse a derivative of more than `MAX_ENTRIES` entries before it is built.

    >>> try:
    ...     check_entries(20_000, "Jacobian", "outputs × inputs")
    ... except SymbolicTooLarge as exc:
    ...     print(exc.reason)
    the symbolic Jacobian would have 20,000 entries (outputs × inputs), over the limit of 10,000
    """
    if entries > MAX_ENTRIES:
        raise SymbolicTooLarge(
            f"the symbolic {what} would have {entries:,} entries ({how}), over "
            f"the limit of {MAX_ENTRIES:,}",
            hint=fewer_inputs_hint(labels),
        )


class TreeSizes:
    """Nodes and depth of expressions counted as trees, remembered per shared subexpression.

    SymPy's constructors, printers and `simplify` walk an expression as a tree; this walks the
    shared form once.
    """

    def __init__(self) -> None:
        self.known: dict[Any, tuple[int, int]] = {}

    def __call__(self, root: Any) -> tuple[int, int]:
        known = self.known
        found = known.get(root)
        if found is not None:
            return found
        stack = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if node in known:
                continue
            if ready or not node.args:
                size = 1 + sum(known[a][0] for a in node.args)
                depth = 1 + max((known[a][1] for a in node.args), default=0)
                known[node] = (size, depth)
                continue
            stack.append((node, True))
            stack.extend((arg, False) for arg in node.args if arg not in known)
        return known[root]

    def check(self, exprs: Iterable[Any], what: str, limit: float | None = None) -> None:
        """Refuse an expression beyond ``limit`` (`MAX_EXPRESSION_SIZE`) nodes or `MAX_DEPTH`."""
        limit = MAX_EXPRESSION_SIZE if limit is None else limit
        for expr in exprs:
            size, depth = self(expr)
            if size > limit:
                raise SymbolicTooLarge(f"{what} builds an expression of more than {limit:,} nodes")
            if depth > MAX_DEPTH:
                raise SymbolicTooLarge(
                    f"{what} builds an expression nested more than {MAX_DEPTH} deep"
                )


def tree_size(exprs: Iterable[Any]) -> tuple[int, int]:
    """Total nodes and largest depth of expressions counted as trees, in linear time.

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> tree_size([sympy.sin(x) * sympy.sin(x) + x])
    (6, 4)
    """
    sizes = TreeSizes()
    total = deepest = 0
    for expr in exprs:
        size, depth = sizes(expr)
        total += size
        deepest = max(deepest, depth)
    return total, deepest


def distinct(exprs: Iterable[Any]) -> Iterator[Any]:
    """Every distinct subexpression once (a tree walk could take exponential time).

    >>> import sympy
    >>> x = sympy.Symbol("x")
    >>> sorted(map(str, distinct([sympy.sin(x) + x, x])))
    ['sin(x)', 'x', 'x + sin(x)']
    """
    seen: set[Any] = set()
    stack = list(exprs)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            yield node
            stack.extend(node.args)
