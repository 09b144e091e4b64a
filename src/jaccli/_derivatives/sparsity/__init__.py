"""The structural sparsity pattern of a Jacobian (and of a Hessian), read from the traced program.

The function (of one flat input vector ``x``) is traced once with `jax.make_jaxpr`, and every
variable of the program gets a *dependence pattern*: a boolean sparse matrix in CSR form
(`_derivatives.csr`) with a row per element of the variable and a column per entry of ``x``, true
where the element may depend on that entry. Patterns flow forward through the equations; the
output's pattern is the Jacobian's.

- Elementwise operations (with broadcasting), moves of elements (reshape, broadcast_in_dim,
  transpose, rev, slice, pad, concatenate, stack, tile, split, squeeze, dynamic_slice and dynamic_update_slice
  with constant starts, gather and scatter with constant indices), reductions along axes,
  cumulative sums and products, dot_general and select_n are followed exactly.
- Operations whose derivative JAX defines as zero (floor, ceil, round, sign, stop_gradient,
  comparisons, anything with an integer or boolean result) carry no dependence — except inside
  `custom_jvp`/`custom_vjp` functions, whose rule may give them one (a straight-through estimator).
- Nested programs (jit, closed_call, remat, custom_jvp/custom_vjp, the branches of cond) are
  followed inside.
- Any other operation (scan, while, sort, convolutions, callbacks, ...) is *dense*: every element
  it produces depends on everything its inputs depend on. The pattern may then hold more entries
  than the Jacobian needs, never fewer.

Values of constants (index arrays, constant matrices) are computed when a rule needs them, so that
``x[idx]`` and ``A @ x`` with a constant sparse ``A`` are followed exactly.

The package splits the work by job: `pattern` (the entry point and its result), `propagation`
(the walker over equations and the programs they call, found by `_derivatives.jaxpr`),
`rules` (the table of per-primitive rules), `index_maps` (where moved elements come from),
`dependence` (the operations on patterns, under an entry limit) and `constants` (values of
constants, computed on demand); `hessian` walks the same way and adds each operation's
second-order interactions, for the Hessian of a scalar function.
"""

from .dependence import PatternTooLarge as PatternTooLarge
from .hessian import hessian_pattern as hessian_pattern
from .pattern import Pattern as Pattern
from .pattern import jacobian_pattern as jacobian_pattern
