"""The commands as data: one record each (name, help, the vector it takes, its own options, its
step), registered with typer by one function. The six derivative commands share one step;
check, sensitivity, symbolic and info supply their own (`steps`)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import typer

from ..errors import UsageError
from . import design_steps, pipeline, steps
from .options import COMMON, OPTIONS, Common, parameters
from .output import routed_warnings
from .pipeline import Request

SOURCE = ("func", "expr", "variables")
CHECK = ("check", "rtol", "atol", "against")
LOCAL = ("dx", "rel_dx", "sigma", "cov", "top")
GLOBAL = ("bounds", "method", "samples", "seed", "replicates", "dimension")
BLACK_BOX = ("workers", "dask", "dask_timeout")


@dataclass(frozen=True)
class Command:
    """One command of the command line."""

    name: str
    help: str
    options: tuple[str, ...]
    step: Callable[[Request, Command], None]
    vector: str | None = None
    """What ``--v`` is shaped like: ``input`` (jvp, hvp), ``output`` (vjp), or no --v."""


def derivative(request: Request, command: Command) -> None:
    """jacobian, jvp, vjp, grad, hessian and hvp: at one point (--at) or many (--batch)."""
    from .. import _operations
    from .output import emit

    at, batch = request.get("at"), request.get("batch")
    _refuse_sparse_combinations(request, command.name)
    if (at is None) == (batch is None):
        raise UsageError(
            "give either --at (one point) or --batch (many points), not both"
            if at is not None
            else "give the point with --at, or many points with --batch",
            hint="--at 2,1   or   --batch points.npy   or   --batch - (JSON Lines on stdin)",
        )
    if batch is not None:
        return steps.batch(request, command.name, command.vector)
    _refuse_check_options(request)
    output = request.output()
    if request.check:
        steps.preload_check(request)
    problem = pipeline.problem(request)
    vector = None
    if command.vector is not None:
        vector = pipeline.vector(problem, request.v, command.vector)
    if request.get("sparse"):
        result = _operations.run(
            problem,
            command.name,
            mode=request.mode,
            max_bytes=request.common.max_bytes,
            sparse=True,
        )
    else:
        result = _operations.run(
            problem,
            command.name,
            mode=request.get("mode", "auto"),
            max_bytes=request.common.max_bytes,
            vector=vector,
            value=output.shows_value,
            workers=pipeline.workers(request),
        )
    if request.check:
        result = steps.checked(request, problem, result)
    emit(output, result)


def _refuse_sparse_combinations(request: Request, command: str) -> None:
    plot = request.get("plot")
    # A sparse Hessian's --check compares it with the dense Hessian, not with references.
    check = request.check and command != "hessian"
    against = request.check and command == "hessian" and request.against is not None
    if request.get("sparse") and (request.get("batch") is not None or check or plot or against):
        option = (
            "--batch"
            if request.get("batch") is not None
            else "--check"
            if check
            else "--against"
            if against
            else "--plot"
        )
        matrix = "Hessian" if command == "hessian" else "Jacobian"
        raise UsageError(
            f"--sparse computes one sparse {matrix} at --at and does not combine with {option}",
            hint=f"drop --sparse for a dense {matrix}, which takes {option}",
        )
    if plot:
        if request.get("batch") is not None:
            raise UsageError("--plot draws one Jacobian (--at), not a batch")
        pipeline.require_plot(plot)


def _refuse_check_options(request: Request) -> None:
    if not request.check and (request.rtol, request.atol, request.against) != (None, None, None):
        raise UsageError("--rtol, --atol and --against apply with --check only")


_DERIVATIVE = (*SOURCE, "at", "batch", "wrt")
_PRODUCT = (*_DERIVATIVE, "v", *CHECK)
COMMANDS = (
    Command(
        "jacobian",
        "The Jacobian J[i, j] = ∂f_i/∂x_j, in forward or reverse mode (picked and explained).",
        (*_DERIVATIVE, "mode", *CHECK, "plot", "sparse", *BLACK_BOX),
        derivative,
    ),
    Command(
        "jvp",
        "J·v in one forward pass, without forming J (v shaped like the input).",
        _PRODUCT,
        derivative,
        vector="input",
    ),
    Command(
        "vjp",
        "vᵀ·J in one reverse pass, without forming J (v shaped like the output).",
        _PRODUCT,
        derivative,
        vector="output",
    ),
    Command(
        "grad",
        "The gradient of a scalar-valued function (reverse mode; forward mode where reverse "
        "mode cannot be taken, e.g. lax.while_loop, or with --mode fwd).",
        (*_DERIVATIVE, "mode", *CHECK, *BLACK_BOX),
        derivative,
    ),
    Command(
        "hessian",
        "The Hessian, forward-over-reverse (forward-over-forward where reverse mode cannot be "
        "taken, or with --mode fwd; with --sparse: one HVP per colour of its pattern).",
        (*_DERIVATIVE, "mode", *CHECK, "sparse", *BLACK_BOX),
        derivative,
    ),
    Command(
        "hvp",
        "H·v without forming H (forward-over-reverse, or forward-over-forward where reverse mode "
        "cannot be taken or with --mode fwd; v shaped like the input).",
        (*_PRODUCT, "mode"),
        derivative,
        vector="input",
    ),
    Command(
        "check",
        "Check the AD derivative against SymPy and finite differences, and diagnose mismatches.",
        (*SOURCE, "at", "wrt", "order", "rtol", "atol", "against", "mode"),
        steps.check,
    ),
    Command(
        "sensitivity",
        "Which inputs matter: local sensitivity at --at, or global indices over --bounds.",
        (*SOURCE, "at", "wrt", "mode", "plot", *LOCAL, *GLOBAL, *BLACK_BOX),
        steps.sensitivity,
    ),
    Command(
        "design",
        "The points to run a model outside jaccli at, for --method sobol or morris (then: "
        "jaccli analyze).",
        GLOBAL,
        design_steps.design,
    ),
    Command(
        "analyze",
        "Sobol' or Morris indices from a model's outputs on a design written by jaccli design.",
        ("design_file", "outputs_file", "top", "plot"),
        design_steps.analyze,
    ),
    Command(
        "symbolic",
        "The Jacobian as formulas, from SymPy (a file is traced at --at; an expression needs none).",
        (*SOURCE, "at", "wrt", "order"),
        steps.symbolic,
    ),
    Command(
        "info",
        "Shapes, n and m, the mode a Jacobian would use and why, and its size; computes nothing "
        "(with --sparse: also the sparsity pattern's nnz, density and colours of both directions, "
        "and for a scalar function the Hessian's).",
        (*SOURCE, "at", "wrt", "mode", "sparse"),
        steps.info,
    ),
)


def register(app: typer.Typer, command: Command) -> None:
    """Add ``command`` to ``app``: its own options and the common ones, one signature."""
    own = parameters(command.options, OPTIONS)
    common = parameters(tuple(COMMON), COMMON)

    def run(**kwargs: Any) -> None:
        options = Common(**{name: kwargs.pop(name) for name in COMMON})
        request = Request(options, kwargs)
        _refuse_scale_out(request)
        try:
            _run_step(command, request)
        except BaseException as exc:
            if options.distributed:
                from .. import _runtime as runtime

                runtime.worker_failed(exc)
            raise

    run.__signature__ = inspect.Signature(own + common)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in own + common}
    run.__doc__ = command.help
    run.__name__ = command.name
    app.command(command.name, help=command.help)(run)


def _run_step(command: Command, request: Request) -> None:
    """The command's step, in an environment checked first, its failures that come from the
    machine rather than from jaccli (no memory left, a platform JAX cannot start) named so."""
    from .. import _runtime as runtime
    from .environment import check_environment

    check_environment()
    try:
        with routed_warnings(request.common.quiet):
            command.step(request, command)
    except (MemoryError, RuntimeError) as exc:
        from .._problem import out_of_memory

        failure = out_of_memory(exc) or runtime.platform_failure(exc)
        if failure is None:
            raise
        raise failure from None


def _refuse_scale_out(request: Request) -> None:
    """Refuse the scale-out options where there is nothing to spread: they apply to a batch
    (--batch) and to a global sensitivity analysis (--bounds)."""
    given = request.common.scale_out
    if given and request.get("batch") is None and request.get("bounds") is None:
        raise UsageError(
            f"{given[0]} spreads many points over devices and processes: it applies to --batch "
            "and to a global sensitivity analysis (--bounds)",
            hint="one point (--at) runs on one device",
        )
