"""The Python API of SPEC §10: jacobian, jvp, vjp, grad, hessian, hvp, info, check,
sensitivity and symbolic, over the packages below. Each binds its arguments to a `Problem` and
runs the operation the command line runs. JAX is imported only when an operation runs, so
``import jaccli`` stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._problem import DEFAULT_MAX_BYTES, Problem, as_value, bind_arguments, prepare, tree_value
from .errors import UsageError
from .results import DerivativeResult, InfoResult


def _problem(f: Any, args: tuple[Any, ...], wrt: Any, dtype: str, device: str) -> Problem:
    function, point, wrt = bind_arguments(f, args, wrt)
    return prepare(function, point, wrt, dtype=dtype, device=device)


def jacobian(
    f: Any,
    *args: Any,
    wrt: Any = None,
    mode: str = "auto",
    dtype: str = "float64",
    device: str = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    sparse: bool = False,
) -> DerivativeResult:
    """The Jacobian of ``f`` at ``args`` (one per positional parameter).

    Args:
        f: a callable, or a `Function` from `load` / `parse_expr`.
        *args: the point: one array (or dict of arrays) per positional parameter.
        wrt: names (or indices) of the parameters to differentiate; default all.
        mode: ``"auto"`` (the cheaper of forward and reverse), ``"fwd"`` or ``"rev"``.
        sparse: detect the sparsity pattern and compute one JVP/VJP per colour (real
            functions; needs SciPy).

    Returns:
        a `DerivativeResult`; ``.result`` is ``output_shape + input_shape``, keyed by
        parameter name when several are differentiated — with ``sparse``, a `SparseJacobian`
        (COO triplets of the flat ``(m, n)`` matrix; ``.to_scipy()``); ``.to_dict()`` is the
        CLI's JSON.

    >>> import jax.numpy as jnp
    >>> jacobian(lambda x: jnp.sin(x), [0.0, 1.0]).result.round(3).tolist()
    [[1.0, 0.0], [0.0, 0.54]]
    >>> jacobian(lambda x: x[1:] - x[:-1], [0.0, 1.0, 3.0], sparse=True).result.values.tolist()
    [-1.0, 1.0, -1.0, 1.0]
    """
    from . import _operations

    problem = _problem(f, args, wrt, dtype, device)
    return _operations.run(problem, "jacobian", mode=mode, max_bytes=max_bytes, sparse=sparse)


def grad(
    f: Any,
    *args: Any,
    wrt: Any = None,
    mode: str = "auto",
    dtype: str = "float64",
    device: str = "auto",
) -> DerivativeResult:
    """The gradient of a scalar-valued ``f`` at ``args``: reverse mode, or forward mode where
    reverse mode cannot be taken (``lax.while_loop``) or with ``mode="fwd"``.

    >>> import jax
    >>> def newton_sqrt(a):
    ...     step = lambda x: 0.5 * (x + a / x)
    ...     return jax.lax.while_loop(lambda x: abs(x * x - a) > 1e-12, step, a)
    >>> r = grad(newton_sqrt, 4.0)
    >>> round(float(r.result), 12), r.mode
    (0.25, 'forward')
    """
    from . import _operations

    return _operations.run(_problem(f, args, wrt, dtype, device), "grad", mode=mode)


def hessian(
    f: Any,
    *args: Any,
    wrt: Any = None,
    mode: str = "auto",
    dtype: str = "float64",
    device: str = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    sparse: bool = False,
) -> DerivativeResult:
    """The Hessian of ``f`` at ``args``: forward-over-reverse, or forward-over-forward where
    reverse mode cannot be taken or with ``mode="fwd"`` (``mode`` is the gradient's).

    With ``sparse`` (a real scalar function; needs SciPy), the pattern of second derivatives
    is read from the traced program, star-coloured, and one HVP is computed per colour:
    ``.result`` is then a `SparseJacobian` over the flat ``(n, n)`` matrix (``.to_scipy()``
    gives a SciPy CSR array), exactly symmetric, and ``.extra["sparsity"]`` holds nnz,
    density and the colour count.

    >>> import jax.numpy as jnp
    >>> h = hessian(lambda x: x[0] * jnp.sum(x), [1.0, 2.0, 3.0], sparse=True)
    >>> h.result.to_scipy().toarray().tolist()
    [[2.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]]
    """
    from . import _operations

    problem = _problem(f, args, wrt, dtype, device)
    return _operations.run(problem, "hessian", mode=mode, max_bytes=max_bytes, sparse=sparse)


def jvp(
    f: Any, *args: Any, v: Any, wrt: Any = None, dtype: str = "float64", device: str = "auto"
) -> DerivativeResult:
    """J·v: ``v`` shaped like the differentiated argument (a tuple or dict for several)."""
    return _product("jvp", f, args, v, wrt, dtype, device)


def vjp(
    f: Any, *args: Any, v: Any, wrt: Any = None, dtype: str = "float64", device: str = "auto"
) -> DerivativeResult:
    """vᵀ·J: ``v`` shaped like the output."""
    return _product("vjp", f, args, v, wrt, dtype, device)


def hvp(
    f: Any,
    *args: Any,
    v: Any,
    wrt: Any = None,
    mode: str = "auto",
    dtype: str = "float64",
    device: str = "auto",
) -> DerivativeResult:
    """H·v without forming H: ``v`` shaped like the differentiated argument. Forward-over-
    reverse, or forward-over-forward where reverse mode cannot be taken or with ``mode="fwd"``."""
    return _product("hvp", f, args, v, wrt, dtype, device, mode)


def _product(
    command: str,
    f: Any,
    args: tuple[Any, ...],
    v: Any,
    wrt: Any,
    dtype: str,
    device: str,
    mode: str = "auto",
) -> DerivativeResult:
    """jvp, vjp or hvp: ``v`` goes with the output (vjp) or the differentiated arguments."""
    from . import _operations

    problem = _problem(f, args, wrt, dtype, device)
    vector = as_value(v) if command == "vjp" else tree_value(v, len(problem.wrt))
    return _operations.run(problem, command, mode=mode, vector=vector)


def info(
    f: Any,
    *args: Any,
    wrt: Any = None,
    mode: str = "auto",
    dtype: str = "float64",
    device: str = "auto",
    sparse: bool = False,
) -> InfoResult:
    """Shapes, sizes and the mode a Jacobian would use at ``args``, computing no derivative;
    with ``sparse``, also its sparsity (nnz, density, colours of both directions), and for a
    scalar function the Hessian's (``hessian_sparsity``)."""
    from . import _operations

    return _operations.info_at(_problem(f, args, wrt, dtype, device), mode, sparse=sparse)


def check(
    f: Any,
    *args: Any,
    wrt: Any = None,
    order: int = 1,
    rtol: float | None = None,
    atol: float | None = None,
    against: Sequence[str] | None = None,
    mode: str = "auto",
    dtype: str = "float64",
    device: str = "auto",
) -> DerivativeResult:
    """Check the AD Jacobian (``order=2``: Hessian) of ``f`` at ``args`` against SymPy, central
    differences and the complex step; ``.extra`` holds ``passed``, ``references``, ``diagnoses``.

    >>> check(lambda x: x ** 3, 2.0, against=["fd"]).extra["passed"]
    True
    """
    from ._check import REFERENCES, check_at, parse_against

    names = parse_against(",".join(against)) if against else REFERENCES
    problem = _problem(f, args, wrt, dtype, device)
    return check_at(problem, order=order, rtol=rtol, atol=atol, against=names, mode=mode)


def sensitivity(
    f: Any,
    *args: Any,
    wrt: Any = None,
    dx: Any = None,
    rel_dx: float | None = None,
    sigma: Any = None,
    cov: Any = None,
    bounds: Any = None,
    method: str | None = None,
    samples: int | None = None,
    seed: int = 0,
    replicates: int | None = None,
    top: int | None = None,
    mode: str = "auto",
    dtype: str = "float64",
    device: str = "auto",
    max_bytes: int = DEFAULT_MAX_BYTES,
    dimension: int | None = None,
    workers: int | str | None = None,
    dask: str | None = None,
    dask_timeout: float | None = None,
) -> Any:
    """Local sensitivity at ``args``, or global sensitivity over ``bounds``.

    Local (no ``bounds``): the Jacobian, elasticities and a ranking; ``dx``/``rel_dx`` add the
    linear prediction beside the actual change, ``sigma``/``cov`` the propagated uncertainty.
    Global: ``bounds`` as ``"x=-pi:pi,y=normal(0,1)"`` or ``{"x": (-3, 3)}``; ``method`` is
    ``"dgsm"`` (default), ``"sobol"``, ``"morris"`` or ``"active-subspace"`` (``dimension``
    fixes its K); ``args``, if given, fix the shapes; ``replicates`` (dgsm, sobol; default 8)
    is how many independently scrambled sequences the confidence intervals come from (1: none,
    and the most accurate estimate).
    A function JAX cannot trace, loaded from a file, is evaluated in ``workers`` processes
    (``"auto"``: one per core) or on the Dask cluster at ``dask``; call it under
    ``if __name__ == "__main__":`` in a script, as for any process pool.
    ``.to_dict()`` is the CLI's JSON.

    >>> from jaccli import parse_expr
    >>> sensitivity(parse_expr("x**2 * y**3"), 2.0, 1.0).fields["ranking"]
    ['y', 'x']
    """
    from ._operations import workers_from
    from ._sensitivity import global_at, local_at, prepare_global

    spread = workers_from(workers, dask, dask_timeout)
    local = (dx, rel_dx, sigma, cov)
    _refuse_mixed_options(bounds is None, method, samples, replicates, dimension, local)
    if bounds is None:
        problem = _problem(f, args, wrt, dtype, device)
        parts = len(problem.wrt)
        return local_at(
            problem,
            dx=None if dx is None else tree_value(dx, parts),
            rel_dx=rel_dx,
            sigma=None if sigma is None else tree_value(sigma, parts),
            cov=None if cov is None else as_value(cov),
            top=top,
            max_bytes=max_bytes,
            mode=mode,
            workers=spread,
        )
    # Without args there is no point: the shapes come from the expression or the bounds.
    function, point, wrt = bind_arguments(f, args or None, wrt)
    problem, distributions = prepare_global(
        function, bounds, point, wrt, dtype=dtype, device=device
    )
    return global_at(
        problem,
        distributions,
        method or "dgsm",
        samples,
        seed,
        replicates=replicates,
        top=top,
        max_bytes=max_bytes,
        dimension=dimension,
        workers=spread,
    )


def _refuse_mixed_options(
    local: bool,
    method: str | None,
    samples: int | None,
    replicates: int | None,
    dimension: int | None,
    local_options: tuple[Any, ...],
) -> None:
    if not local:
        if any(option is not None for option in local_options):
            raise UsageError("dx, rel_dx, sigma and cov are for a local analysis (without bounds)")
        return
    if method not in (None, "local"):
        raise UsageError(f"method={method!r} needs bounds: the range of every input")
    if samples is not None or replicates is not None:
        raise UsageError("samples and replicates are for a global analysis (with bounds)")
    if dimension is not None:
        raise UsageError("dimension is for method='active-subspace', over bounds")


def symbolic(f: Any, *args: Any, wrt: Any = None, order: int = 1, syntax: str = "text") -> Any:
    """The Jacobian (``order=2``: Hessian) of ``f`` as SymPy formulas, traced at ``args``.

    >>> from jaccli import parse_expr
    >>> symbolic(parse_expr("x**2 * y"), 1.0, 1.0).result
    {'x': '2*x*y', 'y': 'x**2'}
    """
    from ._symbolic import symbolic_at

    return symbolic_at(_problem(f, args, wrt, "float64", "auto"), order, syntax)
