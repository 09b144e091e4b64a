"""SymPy from the traced program: the interpreter, differentiation, evaluation and text.

`check` needs a referee that shares nothing with JAX's differentiation, and `jaccli symbolic`
prints the Jacobian as formulas. Both start from `to_sympy`. An expression already has a SymPy
form. A file is traced with `jax.make_jaxpr` and its program is interpreted equation by equation
over NumPy object arrays of SymPy expressions (`interpreter`, with a rule per primitive in
`elementwise`, `indexing`, `reductions` and `control_flow`). Two choices make the reference a
referee:

- custom JVP/VJP rules are ignored and the primal program is used, since catching a wrong custom
  rule is what a check is for;
- ``stop_gradient`` is the identity, as in mathematics, so a broken graph shows as a mismatch.

A primitive outside the covered set raises `SymbolicUnavailable`, naming the operation as the
user's code writes it and the line that wrote it; nothing is guessed. Values that are constants in the program (index arithmetic, ``jnp.arange``)
are folded, so static indexing, static loops (``fori_loop``, ``scan``) and static branches work.
Floating-point constants become exact rationals (the double's value), so SymPy does not round
where the program does not.

Derivatives come from SymPy (`jacobian`, `hessian`). For `check`, `exact_at` computes the
reference at the point, in a process of its own where the console started one (`remote`: it
imports SymPy while this process imports JAX; the program crosses as plain data, `portable`). `evaluate` computes them at a point with
mpmath at 40 significant digits, and again at higher precision until the float64 result is stable,
so the reference stays exact where float64 arithmetic cancels. Work is bounded before it runs
away (`limits`, and each module's budget: `interpreter.MAX_EQUATIONS` and `MAX_WORK`,
`differentiation.MAX_DIFFERENTIATION`, `text.MAX_TEXT_SIZE`): a refusal is a `SymbolicTooLarge`
with the reason.

Other packages import these names from here. The modules import SymPy, mpmath and JAX inside
their functions, so importing the package costs neither.
"""

from .conversion import preload as preload
from .conversion import to_sympy as to_sympy
from .differentiation import hessian as hessian
from .differentiation import jacobian as jacobian
from .evaluation import evaluate as evaluate
from .interpreter import covered_primitives as covered_primitives
from .limits import SymbolicTooLarge as SymbolicTooLarge
from .limits import SymbolicUnavailable as SymbolicUnavailable
from .limits import tree_size as tree_size
from .records import SymbolicDerivative as SymbolicDerivative
from .records import SymbolicFunction as SymbolicFunction
from .records import SymbolicInput as SymbolicInput
from .records import SymbolicText as SymbolicText
from .remote import Pending as Pending
from .remote import exact_at as exact_at
from .remote import start as start
from .result import symbolic_at as symbolic_at
from .text import common_subexpressions as common_subexpressions
from .text import simplify_entries as simplify_entries
from .text import to_text as to_text
