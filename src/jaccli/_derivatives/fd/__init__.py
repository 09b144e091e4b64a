"""Finite-difference derivatives with error estimates: the reference that `check` compares AD with.

Every rule here takes ``fn``, a function of one flat real vector ``x`` of shape ``(n,)``
returning an array of ``m`` values (any shape; it is flattened), and returns an `Estimate`: the
derivative, an error estimate for every entry, and how it was computed. The caller turns pytrees,
several arguments and complex inputs into that flat form.

The schemes are those of numdifftools (central and one-sided differences at a geometric sequence
of steps, Richardson extrapolation, the complex step), but numdifftools evaluates the function
point by point in a Python loop and is not a dependency. The work is split as numdifftools
splits it:

- `steps`: the geometric sequence of steps for every input, and the points they perturb;
- `probes`: steps by each input's own scale (and at scale 1 for inputs far from 1), the better
  estimate per entry, smaller steps at the edge of a domain and one-sided ones on it;
- `richardson`: the extrapolation over those steps, and its error estimate;
- `evaluation`: every perturbed point in one batched call, and the rounding model of the values;
- the rules: `central` (the Jacobian; the Hessian and its product with a vector from a
  gradient), `complex_step`, `one_sided` (left and right derivatives, kinks; and both with the
  central differences, in one call) and `second_difference` (the Hessian without a gradient).

The result is a deliberately pessimistic estimate for smooth functions, not a proof; typical
estimates are ``1e-13`` to ``1e-10`` relative at float64, and 10 to 100 times the actual error.
Where the smallest steps still show more noise than the rounding model allows (``x - sin(x)``
cancels internally), the model is scaled up to match.
"""

from .central import hessian_from_gradient as hessian_from_gradient
from .central import hvp_from_gradient as hvp_from_gradient
from .central import jacobian_central as jacobian_central
from .complex_step import jacobian_complex_step as jacobian_complex_step
from .estimate import Estimate as Estimate
from .evaluation import Batched as Batched
from .one_sided import central_and_one_sided as central_and_one_sided
from .one_sided import one_sided as one_sided
from .second_difference import hessian_second_difference as hessian_second_difference
from .steps import NUM_STEPS as NUM_STEPS
