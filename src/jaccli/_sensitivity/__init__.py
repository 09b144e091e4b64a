"""Sensitivity analysis (SPEC §9): which inputs matter, and by how much.

Local, at a point (`local`): the Jacobian, elasticities, inputs ranked per output, the linear
prediction of a perturbation beside the actual change (`perturbation`), and the propagation of
input uncertainty ``J Σ Jᵀ`` (`uncertainty`). Global, over input distributions (`prepare` binds
them, `global_analysis` runs a method): DGSM from AD gradients (`dgsm`), active subspaces, the
eigen-decomposition of C = E[∇f ∇fᵀ] from AD gradients with a bootstrap (`active_subspace`, its
linear algebra in `subspaces`), Sobol' indices on Saltelli's scheme (`saltelli`), and Morris
indices from SALib, an optional extra (`salib_methods`), with jaccli evaluating the function on
the whole sample in vectorised chunks (`sample`). DGSM and Sobol' sample independently
scrambled Sobol' sequences (`sobol_sequence`) and take their intervals from the spread over
them (`replicates`); Morris bootstraps its independent trajectories. `ranking` and `charts` are
shared by all.

Everything works on the flat view of the problem (`jaccli._problem.flatten`): n named inputs, m
named outputs. The JSON fields keep JAX's layout (``output_shape + input_shape``) like
``jacobian``. Other packages import these names from here.
"""

from .design import DESIGN_METHODS as DESIGN_METHODS
from .design import analyze as analyze
from .design import design as design
from .global_analysis import global_at as global_at
from .local import local_at as local_at
from .methods import METHODS as METHODS
from .methods import sample_points as sample_points
from .prepare import prepare_global as prepare_global
from .sample import replicated_sobol_points as replicated_sobol_points
