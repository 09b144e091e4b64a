"""The external-model workflow: ``design`` draws the sample a Sobol' or Morris analysis
evaluates, for a model jaccli does not run, and ``analyze`` turns that model's outputs on it into
the same indices ``sensitivity`` reports. The same bounds, base sample size and seed give the
very points ``sensitivity`` evaluates, so both give the same indices."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from typing import Any

import numpy as np

from .._load import Distribution, checksum, parse_bounds
from .._problem import PYTHON, Labels
from ..errors import UsageError
from ..results import Design, FunctionInfo, InputInfo, SensitivityResult, output_labels
from .global_analysis import check_replicates, check_samples, global_result
from .salib_methods import require_bounded, salib_estimate, salib_sample
from .sample import from_unit
from .subject import Subject

DESIGN_METHODS = ("sobol", "morris")


def design(
    bounds: Any,
    method: str = "sobol",
    samples: int | None = None,
    seed: int = 0,
    replicates: int | None = None,
    labels: Labels = PYTHON,
) -> Design:
    """The points to run a model at for ``method``, one column per input named in ``bounds``
    (in the order given: the order of the function's inputs reproduces ``sensitivity``);
    Sobol' points come as ``replicates`` independently scrambled sequences, as ``sensitivity``
    draws them (default 8).

    >>> d = design("x=0:1,y=normal(0,1)", "sobol", samples=8)
    >>> d.inputs, d.points.shape, d.metadata["rows"]
    (('x', 'y'), (32, 2), 32)
    """
    if method not in DESIGN_METHODS:
        raise UsageError(
            f"{labels('method')} must be sobol or morris for a design, got {method!r}",
            hint="DGSM needs gradients, which a model run outside jaccli does not give",
        )
    given = parse_bounds(bounds, labels("bounds"))
    if None in given:
        raise UsageError(
            f"a design has no function to take the inputs' names from: name every input in "
            f"{labels('bounds')}",
            hint=f"e.g. {labels('bounds')} 'x=-1:1,y=0:2' (in the order the model takes them)",
        )
    inputs = tuple(str(name) for name in given)
    distributions = [given[name] for name in inputs]
    samples = check_samples(method, samples, labels)
    replicates = check_replicates(method, samples, replicates, labels)
    if method == "morris":
        require_bounded(inputs, distributions, labels)
    unit, _, _ = salib_sample(method, inputs, samples, seed, replicates, [], labels)
    points = from_unit(unit, distributions)
    metadata: dict[str, Any] = {
        "method": method,
        "bounds": [d.to_dict(name) for name, d in zip(inputs, distributions, strict=True)],
        "samples": samples,
        "seed": seed,
        "replicates": replicates,
        "rows": len(points),
        "version": version("jaccli"),
    }
    metadata["checksum"] = checksum(inputs, points, metadata)
    return Design(inputs, points, metadata)


def analyze(
    plan: Design,
    values: np.ndarray,
    output_names: Sequence[str] | None = None,
    source: str = "outputs",
    top: int | None = None,
) -> SensitivityResult:
    """The indices of ``plan``'s method from the model's outputs on it (``(rows, m)``, one row
    per design row), as ``sensitivity`` reports them.

    >>> d = design("x=0:1,y=0:1", "sobol", samples=64)
    >>> analyze(d, d.points @ np.array([1.0, 3.0])).fields["ranking"]
    ['y', 'x']
    """
    meta = plan.metadata
    method, samples, seed = meta["method"], int(meta["samples"]), int(meta["seed"])
    replicates = int(meta.get("replicates", 1))
    distributions = [Distribution.from_dict(entry) for entry in meta["bounds"]]
    notes: list[str] = []
    unit, spec, sizes = salib_sample(method, plan.inputs, samples, seed, replicates, notes)
    if unit.shape != plan.points.shape or not np.array_equal(
        from_unit(unit, distributions), plan.points
    ):
        raise UsageError(
            f"the design's points are not the {method} sample its metadata describes "
            "(written by another version of SALib?)",
            hint="write the design again with this installation: jaccli design ...",
        )
    values = np.asarray(values, dtype=np.float64).reshape(len(plan.points), -1)
    m = values.shape[1]
    out_shape = () if m == 1 else (m,)
    outputs = tuple(output_names) if output_names else tuple(output_labels(out_shape))
    subject = Subject(
        FunctionInfo(
            source,
            "external",
            tuple(InputInfo(name, (), "float64") for name in plan.inputs),
            out_shape,
            "float64",
        ),
        plan.inputs,
        plan.inputs,
        outputs,
        out_shape,
        "float64",
        "external",
    )
    estimate = salib_estimate(method, spec, unit, values, sizes, seed, replicates, notes)
    return global_result(subject, distributions, method, samples, seed, top, estimate, notes)
