"""jaccli: Jacobians, derivatives and sensitivity analysis, from the command line and Python.

>>> import jaccli
>>> jaccli.jacobian(lambda x: x ** 2, [1.0, 2.0]).result.tolist()
[[2.0, 0.0], [0.0, 4.0]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._runtime.lazy import lazy_names

__version__ = "0.1.0"

# The public API, resolved on first use: the console script imports this package before
# every command, and `jaccli --help` must not pay for NumPy, JAX or SymPy. A name here must not
# also be a submodule's (importing the submodule would replace the attribute).
_EXPORTS = {
    "jacobian": "_api",
    "jvp": "_api",
    "vjp": "_api",
    "grad": "_api",
    "hessian": "_api",
    "hvp": "_api",
    "info": "_api",
    "check": "_api",
    "sensitivity": "_api",
    "load": "_load",
    "Function": "_load",
    "JaccliError": "errors",
}
__all__ = [*_EXPORTS, "parse_expr"]

if TYPE_CHECKING:
    from ._api import check as check
    from ._api import grad as grad
    from ._api import hessian as hessian
    from ._api import hvp as hvp
    from ._api import info as info
    from ._api import jacobian as jacobian
    from ._api import jvp as jvp
    from ._api import sensitivity as sensitivity
    from ._api import vjp as vjp
    from ._load.loader import Function as Function
    from ._load.loader import load as load
    from .errors import JaccliError as JaccliError

__getattr__, __dir__ = lazy_names(__name__, _EXPORTS)


def parse_expr(text: str, vars: list[str] | None = None) -> Function:
    """Parse a math expression (never evaluated as Python) into a differentiable `Function`.

    >>> f = parse_expr("x**2 + sin(y)")
    >>> f.params
    ('x', 'y')
    """
    from ._load.loader import from_expression

    return from_expression(text, vars)
