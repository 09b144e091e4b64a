"""A function bound to a point: binding, dtype, device, guards on the user's code, the vectors
that go with it, and its flat view. Every operation works on a `Problem`. The names resolve on
first use: a command imports the modules it uses only."""

from .._runtime.lazy import lazy_names

# name: the module (relative to this package) that defines it.
EXPORTS = {
    "COMMAND_LINE": "labels",
    "DEFAULT_MAX_BYTES": "problem",
    "DTYPES": "problem",
    "Flat": "flat",
    "Labels": "labels",
    "PYTHON": "labels",
    "Problem": "problem",
    "as_value": "arguments",
    "bind_arguments": "arguments",
    "bind_cotangent": "tangents",
    "bind_tangent": "tangents",
    "flat_hessian": "flat",
    "flat_jacobian": "flat",
    "flatten": "flat",
    "format_shape": "tangents",
    "guard_size": "problem",
    "guard_user_code": "user_errors",
    "on_one_vector": "flat",
    "one_vector": "flat",
    "out_of_memory": "user_errors",
    "prepare": "problem",
    "select_device": "problem",
    "tangent_parts": "tangents",
    "to_numpy": "problem",
    "tracing_failure": "user_errors",
    "tree_value": "arguments",
    "unflatten_jacobian": "flat",
    "unravel_axis": "flat",
    "unravel_hessian": "flat",
}
__all__ = sorted(EXPORTS)
__getattr__, __dir__ = lazy_names(__name__, EXPORTS)
