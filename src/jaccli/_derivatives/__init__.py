"""Derivatives as pure maths over arrays and traced programs: no options, no command-line words.

Its modules are its interface, imported by name (``from .._derivatives import compute``) when a
command runs, since each imports JAX or SciPy and ``jaccli --help`` must import neither:

- `compute`: derivatives with JAX transforms (Jacobian, gradient, Hessian, JVP, VJP, HVP) and
  the choice of mode;
- `modes`: whether reverse mode can differentiate a program, told by tracing, not running;
- `fd`: finite differences with error estimates, the reference that checks compare AD with;
- `sparsity`: the structural sparsity pattern of a Jacobian (or a Hessian), read from the
  traced program;
- `coloring`: colourings of a pattern, and the compressed Jacobian they give;
- `star_coloring`: symmetric (star) colourings of a Hessian's pattern, one HVP per colour;
- `jaxpr`: the one place that knows which primitives carry inner programs, for every walker.
"""
