"""A function bound to a point: binding, dtype, device, guards on the user's code, the vectors
that go with it, and its flat view. Every operation works on a `Problem`. The names resolve on
first use: a command imports the modules it uses only."""

from typing import TYPE_CHECKING

from .._runtime.lazy import lazy_package

if TYPE_CHECKING:
    from .arguments import as_value as as_value
    from .arguments import bind_arguments as bind_arguments
    from .arguments import tree_value as tree_value
    from .flat import Flat as Flat
    from .flat import flat_hessian as flat_hessian
    from .flat import flat_jacobian as flat_jacobian
    from .flat import flatten as flatten
    from .flat import on_one_vector as on_one_vector
    from .flat import one_vector as one_vector
    from .flat import unflatten_jacobian as unflatten_jacobian
    from .flat import unravel_axis as unravel_axis
    from .flat import unravel_hessian as unravel_hessian
    from .labels import COMMAND_LINE as COMMAND_LINE
    from .labels import PYTHON as PYTHON
    from .labels import Labels as Labels
    from .problem import DEFAULT_MAX_BYTES as DEFAULT_MAX_BYTES
    from .problem import DTYPES as DTYPES
    from .problem import Problem as Problem
    from .problem import guard_size as guard_size
    from .problem import prepare as prepare
    from .problem import select_device as select_device
    from .problem import to_numpy as to_numpy
    from .tangents import bind_cotangent as bind_cotangent
    from .tangents import bind_tangent as bind_tangent
    from .tangents import format_shape as format_shape
    from .tangents import tangent_parts as tangent_parts
    from .user_errors import guard_user_code as guard_user_code
    from .user_errors import out_of_memory as out_of_memory
    from .user_errors import tracing_failure as tracing_failure

__getattr__, __dir__, __all__ = lazy_package(__name__, __file__)
