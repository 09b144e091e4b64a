"""jaccli: Jacobians, derivatives and sensitivity analysis, from the command line and Python.

>>> import jaccli
>>> jaccli.jacobian(lambda x: x ** 2, [1.0, 2.0]).result.tolist()
[[2.0, 0.0], [0.0, 4.0]]
"""

from .api import grad as grad
from .api import hessian as hessian
from .api import hvp as hvp
from .api import info as info
from .api import jacobian as jacobian
from .api import jvp as jvp
from .api import vjp as vjp
from .errors import JaccliError as JaccliError
from .loader import Function as Function
from .loader import load as load

__version__ = "0.1.0"


def parse_expr(text: str, vars: list[str] | None = None) -> Function:
    """Parse a math expression (never evaluated as Python) into a differentiable `Function`.

    >>> f = parse_expr("x**2 + sin(y)")
    >>> f.params
    ('x', 'y')
    """
    from .loader import from_expression

    return from_expression(text, vars)
