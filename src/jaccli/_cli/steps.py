"""The steps of the commands that are more than one derivative at a point: a batch, --check,
check, sensitivity, symbolic and info."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import UsageError
from . import pipeline
from .output import emit
from .pipeline import Request


def batch(request: Request, command: str, vector_like: str | None) -> None:
    """A derivative command at every point of ``--batch``."""
    from .._load.batch_files import open_batch, refuse_unreadable_stdin
    from .._operations import scaleout
    from .._operations.batch import NOT_VECTORISED, BatchRun
    from .._problem import COMMAND_LINE
    from .batch_output import write_batch

    if request.check:
        raise UsageError(
            "--check works on one point (--at), not on a batch",
            hint="check a representative point: --at ... --check",
        )
    if request.batch == "-":
        refuse_unreadable_stdin("--batch")  # before the function's module loads JAX
    output = request.output()
    scale = pipeline.scale_out(request.common)
    writes = scaleout.writes()
    if not writes:
        # The other processes of a distributed run leave the notes to process 0.
        output = dataclasses.replace(output, quiet=True)
    function = pipeline.load_function(request)
    if not function.params:
        raise UsageError(f"{function.source} takes no arguments; there is nothing to differentiate")
    distributed = scale is not None and scale.distributed
    if distributed and request.batch == "-":
        raise UsageError(
            "--distributed splits a batch that every process reads; stdin is one process's",
            hint="write the points to a file that every process can read: --batch points.jsonl",
        )
    source = open_batch(
        request.batch, function.params, function.source, whole=distributed, label="--batch"
    )
    total = source.total
    bar = pipeline.progress(
        request, output, f"{command} at {total:,} points" if total else command, total
    )
    c = request.common
    run = BatchRun(
        function,
        command,
        source,
        wrt=pipeline.wrt_names(request.get("wrt")),
        mode=request.get("mode", "auto"),
        vector=(lambda p: pipeline.vector(p, request.v, vector_like)) if vector_like else None,
        dtype=c.dtype,
        device=c.device,
        labels=COMMAND_LINE,
        max_bytes=c.max_bytes,
        # The same on every process of a distributed run: a terminal on one process's stdout
        # and not on another's changes the format between JSON and a table only.
        values=output.format in ("json", "table", "latex"),
        spread=lambda device: scaleout.spread(device, scale),
        on_fallback=lambda: output.warn(NOT_VECTORISED),
        on_done=bar.advance,
        workers=pipeline.workers(request),
    )
    try:
        write_batch(run, output, writes=writes, finished=scaleout.finish)
    finally:
        bar.close()


def preload_check(request: Request) -> None:
    """Before the function loads: import what the check asked for will use (see
    `jaccli._check.preload`); a sparse Hessian's check needs nothing more."""
    from .._check import preload

    if not request.get("sparse"):
        preload(request.against)


def checked(request: Request, problem: Any, result: Any) -> Any:
    """``--check``: the result with its check report (a sparse Hessian's: against the dense
    Hessian)."""
    from .._check import parse_against, with_check, with_dense_check

    if request.get("sparse"):
        return with_dense_check(
            problem,
            result,
            rtol=request.rtol,
            atol=request.atol,
            max_bytes=request.common.max_bytes,
        )
    return with_check(
        problem,
        result,
        rtol=request.rtol,
        atol=request.atol,
        against=parse_against(request.against, "--against"),
    )


def check(request: Request, command: Any) -> None:
    """``jaccli check``: the AD derivative against SymPy and finite differences."""
    from .._check import check_at, parse_against

    output = request.output()
    preload_check(request)
    problem = pipeline.problem(request)
    result = check_at(
        problem,
        order=request.order,
        rtol=request.rtol,
        atol=request.atol,
        against=parse_against(request.against, "--against"),
        mode=request.mode,
        max_bytes=request.common.max_bytes,
    )
    emit(output, result)


def sensitivity(request: Request, command: Any) -> None:
    """``jaccli sensitivity``: local at --at, or global over --bounds."""
    from .._sensitivity import METHODS

    if request.plot:
        pipeline.require_plot(request.plot)
    method = request.method or ("local" if request.bounds is None else "dgsm")
    if method not in METHODS:
        raise UsageError(f"--method must be one of {', '.join(METHODS)}, got {method!r}")
    output = request.output()
    if method == "local":
        result = _local(request)
    else:
        result = _global(request, method, output)
        if result is None:
            return  # process 0 writes a distributed run's result
    emit(output, result)


def _local(request: Request) -> Any:
    from .._load.values import read_value_file
    from .._sensitivity import local_at

    if request.bounds is not None:
        raise UsageError(
            "--bounds is for a global analysis; choose --method dgsm, sobol, morris or "
            "active-subspace",
            hint="a local analysis needs only --at",
        )
    global_only = ("samples", "seed", "replicates", "dimension")
    if any(request.get(name) is not None for name in global_only):
        raise UsageError(
            "--samples, --seed, --replicates and --dimension apply to a global analysis (--bounds)"
        )
    problem = pipeline.problem(request)
    dx, sigma, cov = request.dx, request.sigma, request.cov
    return local_at(
        problem,
        dx=pipeline.vector(problem, dx, "input", "--dx") if dx is not None else None,
        rel_dx=request.rel_dx,
        sigma=pipeline.vector(problem, sigma, "input", "--sigma") if sigma is not None else None,
        cov=read_value_file(cov[1:] if cov.startswith("@") else cov, "--cov") if cov else None,
        top=request.top,
        max_bytes=request.common.max_bytes,
        mode=request.mode,
        workers=pipeline.workers(request),
    )


def _global(request: Request, method: str, output: Any) -> Any:
    from .._operations import scaleout
    from .._problem import COMMAND_LINE
    from .._sensitivity import global_at, prepare_global

    local = {
        "--dx": request.dx,
        "--rel-dx": request.rel_dx,
        "--sigma": request.sigma,
        "--cov": request.cov,
    }
    given = [name for name, value in local.items() if value is not None]
    if given:
        raise UsageError(
            f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for a local analysis "
            "(at --at), not for --method " + method
        )
    if request.bounds is None:
        raise UsageError(
            f"--method {method} needs --bounds: the range of every input",
            hint="e.g. --bounds 'x=-pi:pi,y=0:1', or --bounds=-1:1 for every input",
        )
    scale = pipeline.scale_out(request.common)
    workers = pipeline.workers(request)
    function = pipeline.load_function(request)
    point = pipeline.point(function, request.at, request.common) if request.at is not None else None
    c = request.common
    problem, distributions = prepare_global(
        function,
        request.bounds,
        point,
        pipeline.wrt_names(request.wrt),
        dtype=c.dtype,
        device=c.device,
        labels=COMMAND_LINE,
    )
    bar = _sample_bar(request, output, method, problem) if scaleout.writes() else None
    try:
        result = global_at(
            problem,
            distributions,
            method,
            request.samples,
            request.seed if request.seed is not None else 0,
            replicates=request.replicates,
            top=request.top,
            max_bytes=c.max_bytes,
            on_progress=bar.advance if bar else lambda count: None,
            scale=scale,
            dimension=request.dimension,
            workers=workers,
        )
    finally:
        if bar:
            bar.close()
    scaleout.finish()
    return result if scaleout.writes() else None


def _sample_bar(request: Request, output: Any, method: str, problem: Any) -> Any:
    """The progress bar of a global method's sample, its total the points it evaluates."""
    from .._operations import traceable
    from .._sensitivity import sample_points

    total = sample_points(method, request.samples, problem.n, not traceable(problem))
    return pipeline.progress(request, output, f"{method} sample", total)


def symbolic(request: Request, command: Any) -> None:
    """``jaccli symbolic``: the Jacobian as formulas."""
    from .._symbolic import symbolic_at

    output = request.output()
    if request.at is None and request.expr is not None:
        import numpy as np

        function = pipeline.load_function(request)
        point = {inp.name: np.zeros(inp.shape) for inp in function.expression.inputs}
        problem = pipeline.prepared(request, function, point)
    elif request.at is None:
        raise UsageError(
            "a function file is traced at a point to read its formulas: give --at",
            hint="the point only fixes shapes and static branches, e.g. --at 1,1",
        )
    else:
        problem = pipeline.problem(request)
    syntax = "latex" if output.format == "latex" else "text"
    emit(output, symbolic_at(problem, request.order, syntax))


def info(request: Request, command: Any) -> None:
    """``jaccli info``: shapes, sizes and the mode, computing nothing."""
    from .._operations import info_at

    output = request.output()
    problem = pipeline.problem(request)
    emit(
        output,
        info_at(problem, request.mode, sparse=request.sparse, max_bytes=request.common.max_bytes),
    )
