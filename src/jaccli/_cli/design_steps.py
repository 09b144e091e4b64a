"""The steps of the external-model workflow: ``design`` writes the points to run a model at,
``analyze`` reads the model's outputs on them and reports the indices as ``sensitivity`` does."""

from __future__ import annotations

from typing import Any

from ..errors import UsageError
from . import pipeline
from .output import emit
from .pipeline import Request


def design(request: Request, command: Any) -> None:
    """``jaccli design``: the design to ``--output`` (CSV or .npy), or CSV on stdout."""
    from .. import _render as render
    from .. import _runtime as runtime
    from .._load import design_bytes, design_suffix
    from .._problem import COMMAND_LINE
    from .._sensitivity import design as draw_design

    c = request.common
    if c.format not in (None, "csv"):
        raise UsageError(
            f"a design is written as CSV (or .npy with --output design.npy), not {c.format}"
        )
    if request.bounds is None:
        raise UsageError(
            "jaccli design needs --bounds: the range of every input, by name",
            hint="e.g. --bounds 'x=-1:1,y=0:2' --method sobol --output design.csv",
        )
    if c.output is not None:
        design_suffix(c.output, "--output")
    drawn = draw_design(
        request.bounds,
        request.method or "sobol",
        request.samples,
        request.seed if request.seed is not None else 0,
        request.replicates,
        labels=COMMAND_LINE,
    )
    files = design_bytes(drawn, c.output or "design.csv", "--output")
    if c.output is None:
        runtime.write_stdout(next(iter(files.values())).decode())
        return
    for path, data in files.items():
        runtime.atomic_write(path, data)
    if not c.quiet:
        shown = " and ".join(render.escape(path) for path in files)
        request.output().note(
            f"wrote a {drawn.metadata['method']} design of {len(drawn.points):,} runs "
            f"({len(drawn.inputs)} inputs) to {shown}"
        )


def analyze(request: Request, command: Any) -> None:
    """``jaccli analyze DESIGN OUTPUTS``: the indices of the design's method."""
    from .._load import read_design, read_outputs
    from .._sensitivity import analyze as analyze_outputs

    if request.plot:
        pipeline.require_plot(request.plot)
    output = request.output()
    drawn = read_design(request.design_file, "DESIGN")
    names, values = read_outputs(request.outputs_file, len(drawn.points), "OUTPUTS")
    result = analyze_outputs(drawn, values, names, request.outputs_file, top=request.top)
    emit(output, result)
