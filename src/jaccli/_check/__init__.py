"""`jaccli check` and ``--check``: the AD derivative compared with SymPy, central differences
with Richardson extrapolation and the complex step, and the diagnoses of what is wrong.

The parts: `report` (the records, the references' names, the tolerances), `derivatives` (the
derivative under check on the flat view, and the function its references differentiate),
`references` (the three references and the comparison), `walkers` (the traced program evaluated
equation by equation to find the operation that goes wrong), `diagnoses`, `run` (a check
from the AD result to its report), and `sparse` (a sparse Hessian against the dense one). JAX and SymPy are imported only when a check runs.
"""

from .diagnoses import FAILING_KINDS as FAILING_KINDS
from .report import REFERENCES as REFERENCES
from .report import Diagnosis as Diagnosis
from .report import Reference as Reference
from .report import Report as Report
from .report import parse_against as parse_against
from .report import tolerances as tolerances
from .run import check_at as check_at
from .run import preload as preload
from .run import run_check as run_check
from .run import with_check as with_check
from .sparse import with_dense_check as with_dense_check
from .walkers import Culprit as Culprit
from .walkers import first_nonfinite as first_nonfinite
from .walkers import first_singular as first_singular
