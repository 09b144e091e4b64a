"""jaccli: Jacobians, derivatives and sensitivity analysis, from the command line and Python.

>>> import jaccli
>>> jaccli.jacobian(lambda x: x ** 2, [1.0, 2.0]).result.tolist()
[[2.0, 0.0], [0.0, 4.0]]
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._runtime.lazy import lazy_package

__version__ = "0.1.0"

# The public API, resolved on first use: the console script imports this package before
# every command, and `jaccli --help` must not pay for NumPy, JAX or SymPy. A name here must not
# also be a submodule's (importing the submodule would replace the attribute).
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

__getattr__, __dir__, _resolved = lazy_package(__name__, __file__)
__all__ = [*_resolved, "parse_expr"]


def parse_expr(text: str, vars: list[str] | None = None) -> Function:
    """Parse a math expression (never evaluated as Python) into a differentiable `Function`.

    >>> f = parse_expr("x**2 + sin(y)")
    >>> f.params
    ('x', 'y')
    """
    from ._load.loader import from_expression

    return from_expression(text, vars)
