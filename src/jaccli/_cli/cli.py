"""The command line: wires parse → compute → render. No maths here.

`main` is the program with error handling: it turns every `JaccliError` (and every usage error
from the option parser) into one stderr line and its exit code. The command functions below it
handle no errors themselves.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import os
import shutil
import sys
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from ..errors import JaccliError, NotCleanError, ResourceError, UsageError

app = typer.Typer(
    name="jaccli",
    help="Jacobians, derivatives and sensitivity analysis of your functions, with JAX.",
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass(frozen=True)
class Common:
    """The options every command takes (SPEC §2)."""

    format: str | None
    output: str | None
    dtype: str
    device: str
    quiet: bool
    traceback: bool
    timeout: float | None
    max_bytes: int
    no_cache: bool
    allow_nonfinite: bool
    devices: str | None = None
    distributed: bool = False
    coordinator: str | None = None
    num_processes: int | None = None
    process_id: int | None = None
    distributed_timeout: float | None = None


_COMMON_OPTIONS: list[inspect.Parameter] = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
    for name, annotation, default in [
        (
            "format",
            Annotated[
                str | None,
                typer.Option(
                    "--format",
                    "-f",
                    help="table, json, csv, npy, npz or latex (default: table on a terminal, json otherwise)",
                ),
            ],
            None,
        ),
        (
            "output",
            Annotated[
                str | None,
                typer.Option(
                    "--output",
                    "-o",
                    help="write the result to this file (atomically); format from its suffix",
                ),
            ],
            None,
        ),
        ("dtype", Annotated[str, typer.Option("--dtype", help="float64 or float32")], "float64"),
        ("device", Annotated[str, typer.Option("--device", help="auto, cpu or gpu")], "auto"),
        (
            "quiet",
            Annotated[bool, typer.Option("--quiet", "-q", help="no notes or warnings on stderr")],
            False,
        ),
        (
            "traceback",
            Annotated[
                bool, typer.Option("--traceback", help="show the Python traceback of a failure")
            ],
            False,
        ),
        (
            "timeout",
            Annotated[
                float | None,
                typer.Option("--timeout", help="give up after this many seconds (exit 4)", min=0.0),
            ],
            None,
        ),
        (
            "max_bytes",
            Annotated[
                int,
                typer.Option(
                    "--max-bytes", help="refuse Jacobians/Hessians larger than this (bytes)", min=1
                ),
            ],
            1 << 30,
        ),
        (
            "no_cache",
            Annotated[
                bool,
                typer.Option(
                    "--no-cache",
                    help="do not use the compilation cache (also JACCLI_NO_CACHE=1)",
                ),
            ],
            False,
        ),
        (
            "allow_nonfinite",
            Annotated[
                bool,
                typer.Option(
                    "--allow-nonfinite", help="exit 0 even when the result has NaN or inf"
                ),
            ],
            False,
        ),
        (
            "devices",
            Annotated[
                str | None,
                typer.Option(
                    "--devices",
                    metavar="all|N",
                    help="batch, global sensitivity: spread the points over all (default) or N "
                    "of this process's devices",
                ),
            ],
            None,
        ),
        (
            "distributed",
            Annotated[
                bool,
                typer.Option(
                    "--distributed",
                    help="batch, global sensitivity: be one process of a run over several "
                    "processes or hosts (jax.distributed; detects SLURM and Open MPI)",
                ),
            ],
            False,
        ),
        (
            "coordinator",
            Annotated[
                str | None,
                typer.Option(
                    "--coordinator",
                    metavar="HOST:PORT",
                    help="with --distributed: the address of process 0",
                ),
            ],
            None,
        ),
        (
            "num_processes",
            Annotated[
                int | None,
                typer.Option("--num-processes", help="with --distributed: how many processes"),
            ],
            None,
        ),
        (
            "process_id",
            Annotated[
                int | None,
                typer.Option("--process-id", help="with --distributed: this process's rank, 0…N-1"),
            ],
            None,
        ),
        (
            "distributed_timeout",
            Annotated[
                float | None,
                typer.Option(
                    "--distributed-timeout",
                    help="with --distributed: seconds to wait for every process to join, and for "
                    "a silent one, before giving up with exit 4 (default 120)",
                ),
            ],
            None,
        ),
    ]
]


def command(fn: Callable[..., None]) -> Callable[..., None]:
    """Register ``fn`` as a subcommand that also takes the common options as ``common``."""
    signature = inspect.signature(fn)
    hints = typing.get_type_hints(fn, include_extras=True)
    own = [
        p.replace(annotation=hints[p.name])
        for p in signature.parameters.values()
        if p.name != "common"
    ]
    names = [p.name for p in _COMMON_OPTIONS]

    @functools.wraps(fn)
    def wrapper(**kwargs: Any) -> None:
        common = Common(**{name: kwargs.pop(name) for name in names})
        _STATE["common"] = common
        _require_spreadable(common, kwargs)
        try:
            fn(common=common, **kwargs)
        except BaseException as exc:
            if common.distributed:
                from .. import _runtime as runtime

                runtime.worker_failed(exc)
            raise

    wrapper.__signature__ = signature.replace(parameters=own + _COMMON_OPTIONS)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in own + _COMMON_OPTIONS}
    return app.command(fn.__name__.rstrip("_"))(wrapper)


_STATE: dict[str, Any] = {}


def _require_spreadable(common: Common, kwargs: dict[str, Any]) -> None:
    """Refuse the scale-out options where there is nothing to spread: they apply to a batch
    (--batch) and to a global sensitivity analysis (--bounds)."""
    given = [
        option
        for option, value in (
            ("--devices", common.devices),
            ("--distributed", common.distributed or None),
            ("--coordinator", common.coordinator),
            ("--num-processes", common.num_processes),
            ("--process-id", common.process_id),
            ("--distributed-timeout", common.distributed_timeout),
        )
        if value is not None
    ]
    if given and kwargs.get("batch") is None and kwargs.get("bounds") is None:
        raise UsageError(
            f"{given[0]} spreads many points over devices and processes: it applies to --batch "
            "and to a global sensitivity analysis (--bounds)",
            hint="one point (--at) runs on one device",
        )


def _scale_out(common: Common) -> Any:
    """Check the scale-out options and, with --distributed, join the run. Returns them, or ends
    the command with the worker's exit code in the process that only supervised it."""
    from .._operations import scaleout

    scale = scaleout.from_options(
        common.devices,
        common.distributed,
        common.coordinator,
        common.num_processes,
        common.process_id,
        common.distributed_timeout,
    )
    code = scaleout.begin(scale, show_log=common.traceback)
    if code is not None:
        raise typer.Exit(code)
    return scale


Func = Annotated[
    str | None, typer.Argument(help="FILE.py or FILE.py:NAME (omit with -e)", show_default=False)
]
Expr = Annotated[
    str | None,
    typer.Option("--expr", "-e", help="a math expression instead of FILE, e.g. 'x**2 + sin(y)'"),
]
Vars = Annotated[str | None, typer.Option("--vars", help="input order for an expression, e.g. x,y")]
At = Annotated[
    str | None,
    typer.Option("--at", help="the point: 2,1 | x=2,y=1 | '[[1,2],[3,4]]' | @x.npy"),
]
Batch = Annotated[
    str | None,
    typer.Option(
        "--batch",
        help="many points: FILE.npy|.npz|.csv|.json|.jsonl, or - for JSON Lines on stdin",
    ),
]
Wrt = Annotated[
    str | None, typer.Option("--wrt", help="differentiate these arguments only, e.g. W,b")
]
Mode = Annotated[str, typer.Option("--mode", help="auto, fwd or rev")]
Vec = Annotated[str, typer.Option("--v", help="the vector, in the same forms as --at")]
Check = Annotated[
    bool,
    typer.Option("--check", help="also check the result against SymPy and finite differences"),
]
Rtol = Annotated[
    float | None,
    typer.Option("--rtol", help="relative tolerance of a check (default 1e-6; 1e-3 for float32)"),
]
Atol = Annotated[
    float | None,
    typer.Option("--atol", help="absolute tolerance of a check (default 1e-9; 1e-5 for float32)"),
]
Plot = Annotated[
    str | None,
    typer.Option("--plot", help="also draw a chart to FILE.png|.svg|.pdf (needs jaccli[plot])"),
]
Against = Annotated[
    str | None,
    typer.Option("--against", help="references: sympy,fd,complex (default: all of them)"),
]
Sparse = Annotated[
    bool,
    typer.Option(
        "--sparse",
        help="detect the sparsity pattern and compute one JVP/VJP per colour (needs jaccli[sparse])",
    ),
]


# --- the pipeline, shared by every command ----------------------------------------------------


def _load(func: str | None, expr: str | None, variables: str | None) -> Any:
    from .._load import loader

    if (func is None) == (expr is None):
        raise UsageError(
            "give either a function file or -e/--expr"
            if func is None
            else "give a function file or -e/--expr, not both",
            hint="jaccli jacobian f.py --at 2,1   or   jaccli jacobian -e 'x**2 + y' --at 2,1",
        )
    if expr is not None:
        names = [v.strip() for v in variables.split(",")] if variables else None
        return loader.from_expression(expr, names)
    if variables:
        raise UsageError("--vars applies to -e/--expr only")
    return loader.load(func)


def _split_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise UsageError(f"--wrt has an empty name: {text!r}", hint="e.g. --wrt W,b")
    return names


def _problem(
    common: Common,
    func: str | None,
    expr: str | None,
    variables: str | None,
    at: str | None,
    wrt: str | None,
) -> Any:
    from .. import _api as api

    if at is None:
        raise UsageError("give the point with --at", hint="e.g. --at 2,1")
    function = _load(func, expr, variables)
    point = _point(function, at)
    return api.prepare(function, point, _split_names(wrt), dtype=common.dtype, device=common.device)


def _point(function: Any, at: str) -> dict[str, Any]:
    from .._load import points

    return points.bind_point(
        points.parse_point(at, "--at"), function.params, "--at", function.source
    )


def _vector(problem: Any, text: str, like: str, option: str = "--v") -> Any:
    from .._load import points

    parsed = points.parse_point(text, option)
    if like == "output":
        return points.bind_point(parsed, ("v",), option, "the output")["v"]
    bound = points.bind_point(parsed, problem.wrt, option, "the differentiated input")
    return bound[problem.wrt[0]] if len(problem.wrt) == 1 else bound


def _batch(
    common: Common,
    command: str,
    source: tuple[str | None, str | None, str | None],
    at: str | None,
    batch: str | None,
    wrt: str | None,
    mode: str = "auto",
    vector: tuple[str, str] | None = None,
    check: bool = False,
) -> bool:
    """Run ``command`` on a batch when ``--batch`` is given; False when it is a single point."""
    if (at is None) == (batch is None):
        raise UsageError(
            "give either --at (one point) or --batch (many points), not both"
            if at is not None
            else "give the point with --at, or many points with --batch",
            hint="--at 2,1   or   --batch points.npy   or   --batch - (JSON Lines on stdin)",
        )
    if batch is None:
        return False
    if check:
        raise UsageError(
            "--check works on one point (--at), not on a batch",
            hint="check a representative point: --at ... --check",
        )
    from .._operations import batch as batches
    from .._operations import scaleout

    scale = _scale_out(common)
    batches.run(
        _load(*source),
        command,
        batch,
        wrt=_split_names(wrt),
        mode=mode,
        vector=functools.partial(_vector, text=vector[0], like=vector[1]) if vector else None,
        dtype=common.dtype,
        device=common.device,
        max_bytes=common.max_bytes,
        fmt=common.format,
        output=common.output,
        # The other processes of a distributed run leave the notes to process 0.
        quiet=common.quiet or not scaleout.writes(),
        allow_nonfinite=common.allow_nonfinite,
        scale=scale,
    )
    return True


def _checked(
    problem: Any,
    result: Any,
    check: bool,
    rtol: float | None,
    atol: float | None,
    against: str | None,
) -> Any:
    """With ``--check``, the result with its check report; otherwise the result as is."""
    if not check:
        if (rtol, atol, against) != (None, None, None):
            raise UsageError("--rtol, --atol and --against apply with --check only")
        return result
    from .._check import checks

    return checks.with_check(
        problem, result, rtol=rtol, atol=atol, against=checks.parse_against(against)
    )


def _format(common: Common) -> str:
    """The output format: --format, else the --output file's suffix, else table on a terminal
    and JSON otherwise."""
    from .. import _render as render
    from .. import _runtime as runtime

    fmt = "table" if common.format == "text" else common.format  # `text`: the table's name
    if fmt is not None and fmt not in render.FORMATS:
        raise UsageError(f"--format must be one of {', '.join(render.FORMATS)}, got {fmt!r}")
    if fmt is None:
        if common.output:
            fmt = render.format_for_path(common.output)
        else:
            fmt = "table" if runtime.stdout_is_terminal() else "json"
    return fmt


def _shows_value(common: Common) -> bool:
    """Whether the output shows the function's value: array files and CSV hold the derivative
    only, and at scale computing the value beside it costs as much again."""
    return _format(common) not in ("npy", "npz", "csv")


def _emit(common: Common, result: Any, plot: str | None = None) -> None:
    """Render the finished result, write it (and its --plot) to stdout or --output, and set the
    exit status."""
    from .. import _render as render
    from .. import _runtime as runtime

    fmt = _format(common)
    color = common.output is None and runtime.stdout_is_terminal() and "NO_COLOR" not in os.environ
    width = shutil.get_terminal_size((100, 24)).columns
    data = render.render(result, fmt, color=color, width=width)
    if not common.quiet:
        for warning in result.warnings:
            sys.stderr.write(f"jaccli: warning: {render.escape(warning)}\n")
    if plot:
        _draw(result, plot, common.quiet)
    if common.output:
        payload = data.encode("utf-8") if isinstance(data, str) else data
        runtime.atomic_write(common.output, payload)
        if not common.quiet:
            sys.stderr.write(f"jaccli: wrote {result.command} to {render.escape(common.output)}\n")
    else:
        if fmt in render.BINARY_FORMATS and runtime.stdout_is_terminal():
            raise UsageError(
                f"refusing to write binary {fmt} to a terminal",
                hint=f"redirect stdout or use --output result.{fmt}",
            )
        runtime.write_stdout(data)
    report = getattr(result, "check_report", None)
    if report is not None and not report["passed"]:
        failed = [r["name"] for r in report["references"] if r["available"] and not r["passed"]]
        kinds = [d["kind"] for d in report["diagnoses"]]
        parts = [f"{', '.join(failed)} disagreed with AD"] if failed else []
        parts += [f"diagnosed {', '.join(kinds)}"] if kinds else []
        raise NotCleanError(
            "the check failed: " + ("; ".join(parts) or "no reference was available"),
            hint="the references and diagnoses above say where and why",
        )
    nonfinite = getattr(result, "nonfinite", 0)
    if nonfinite and not common.allow_nonfinite:
        raise NotCleanError(
            f"the result has {nonfinite} non-finite entr{'y' if nonfinite == 1 else 'ies'} (NaN or inf)",
            hint="pass --allow-nonfinite to accept them",
        )


def _draw(result: Any, path: str, quiet: bool) -> None:
    from .. import _render as render
    from .. import _runtime as runtime

    image = render.plots.figure(result, render.plots.plot_format(path))
    runtime.atomic_write(path, image)
    if not quiet:
        sys.stderr.write(f"jaccli: wrote the chart to {render.escape(path)}\n")


# --- commands ---------------------------------------------------------------------------------


@command
def jacobian(
    common: Common,
    func: Func = None,
    expr: Expr = None,
    variables: Vars = None,
    at: At = None,
    batch: Batch = None,
    wrt: Wrt = None,
    mode: Mode = "auto",
    check: Check = False,
    rtol: Rtol = None,
    atol: Atol = None,
    against: Against = None,
    plot: Plot = None,
    sparse: Sparse = False,
) -> None:
    """The Jacobian J[i, j] = ∂f_i/∂x_j, in forward or reverse mode (picked and explained)."""
    from .. import _api as api

    if sparse and (batch is not None or check or plot):
        option = "--batch" if batch is not None else "--check" if check else "--plot"
        raise UsageError(
            f"--sparse computes one sparse Jacobian at --at and does not combine with {option}",
            hint=f"drop --sparse for a dense Jacobian, which takes {option}",
        )
    if plot:
        if batch is not None:
            raise UsageError("--plot draws one Jacobian (--at), not a batch")
        _require_plot(plot)
    if _batch(common, "jacobian", (func, expr, variables), at, batch, wrt, mode=mode, check=check):
        return
    problem = _problem(common, func, expr, variables, at, wrt)
    if sparse:
        result = api.sparse_jacobian_at(problem, mode, common.max_bytes)
    else:
        result = api.jacobian_at(problem, mode, common.max_bytes)
    _emit(common, _checked(problem, result, check, rtol, atol, against), plot=plot)


@command
def jvp(
    common: Common,
    func: Func = None,
    expr: Expr = None,
    variables: Vars = None,
    at: At = None,
    batch: Batch = None,
    v: Vec = ...,
    wrt: Wrt = None,
    check: Check = False,
    rtol: Rtol = None,
    atol: Atol = None,
    against: Against = None,
) -> None:
    """J·v in one forward pass, without forming J (v shaped like the input)."""
    from .. import _api as api

    source = (func, expr, variables)
    if _batch(common, "jvp", source, at, batch, wrt, vector=(v, "input"), check=check):
        return
    problem = _problem(common, func, expr, variables, at, wrt)
    result = api.jvp_at(problem, _vector(problem, v, "input"))
    _emit(common, _checked(problem, result, check, rtol, atol, against))


@command
def vjp(
    common: Common,
    func: Func = None,
    expr: Expr = None,
    variables: Vars = None,
    at: At = None,
    batch: Batch = None,
    v: Vec = ...,
    wrt: Wrt = None,
    check: Check = False,
    rtol: Rtol = None,
    atol: Atol = None,
    against: Against = None,
) -> None:
    """vᵀ·J in one reverse pass, without forming J (v shaped like the output)."""
    from .. import _api as api

    source = (func, expr, variables)
    if _batch(common, "vjp", source, at, batch, wrt, vector=(v, "output"), check=check):
        return
    problem = _problem(common, func, expr, variables, at, wrt)
    result = api.vjp_at(problem, _vector(problem, v, "output"))
    _emit(common, _checked(problem, result, check, rtol, atol, against))


@command
def grad(
    common: Common,
    func: Func = None,
    expr: Expr = None,
    variables: Vars = None,
    at: At = None,
    batch: Batch = None,
    wrt: Wrt = None,
    check: Check = False,
    rtol: Rtol = None,
    atol: Atol = None,
    against: Against = None,
) -> None:
    """The gradient of a scalar-valued function (reverse mode)."""
    from .. import _api as api

    if _batch(common, "grad", (func, expr, variables), at, batch, wrt, check=check):
        return
    problem = _problem(common, func, expr, variables, at, wrt)
    result = api.grad_at(problem, value=_shows_value(common))
    _emit(common, _checked(problem, result, check, rtol, atol, against))


@command
def hessian(
    common: Common,
    func: Func = None,
    expr: Expr = None,
    variables: Vars = None,
    at: At = None,
    batch: Batch = None,
    wrt: Wrt = None,
    check: Check = False,
    rtol: Rtol = None,
    atol: Atol = None,
    against: Against = None,
) -> None:
    """The Hessian, forward-over-reverse."""
    from .. import _api as api

    if _batch(common, "hessian", (func, expr, variables), at, batch, wrt, check=check):
        return
    problem = _problem(common, func, expr, variables, at, wrt)
    result = api.hessian_at(problem, common.max_bytes)
    _emit(common, _checked(problem, result, check, rtol, atol, against))


@command
def hvp(
    common: Common,
    func: Func = None,
    expr: Expr = None,
    variables: Vars = None,
    at: At = None,
    batch: Batch = None,
    v: Vec = ...,
    wrt: Wrt = None,
    check: Check = False,
    rtol: Rtol = None,
    atol: Atol = None,
    against: Against = None,
) -> None:
    """H·v without forming H (forward-over-reverse; v shaped like the input)."""
    from .. import _api as api

    source = (func, expr, variables)
    if _batch(common, "hvp", source, at, batch, wrt, vector=(v, "input"), check=check):
        return
    problem = _problem(common, func, expr, variables, at, wrt)
    result = api.hvp_at(problem, _vector(problem, v, "input"), value=_shows_value(common))
    _emit(common, _checked(problem, result, check, rtol, atol, against))


@command
def check(
    common: Common,
    func: Func = None,
    expr: Expr = None,
    variables: Vars = None,
    at: At = None,
    wrt: Wrt = None,
    order: Annotated[
        int, typer.Option("--order", help="1: the Jacobian; 2: second derivatives (Hessian)")
    ] = 1,
    rtol: Rtol = None,
    atol: Atol = None,
    against: Against = None,
    mode: Mode = "auto",
) -> None:
    """Check the AD derivative against SymPy and finite differences, and diagnose mismatches."""
    from .._check import checks

    problem = _problem(common, func, expr, variables, at, wrt)
    result = checks.check_at(
        problem,
        order=order,
        rtol=rtol,
        atol=atol,
        against=checks.parse_against(against),
        mode=mode,
        max_bytes=common.max_bytes,
    )
    _emit(common, result)


@command
def sensitivity(
    common: Common,
    func: Func = None,
    expr: Expr = None,
    variables: Vars = None,
    at: At = None,
    wrt: Wrt = None,
    dx: Annotated[
        str | None, typer.Option("--dx", help="local: a perturbation, shaped like the input")
    ] = None,
    rel_dx: Annotated[
        float | None, typer.Option("--rel-dx", help="local: perturb every input by this · |x|")
    ] = None,
    sigma: Annotated[
        str | None,
        typer.Option("--sigma", help="local: standard deviations of independent inputs"),
    ] = None,
    cov: Annotated[
        str | None,
        typer.Option("--cov", help="local: covariance matrix of the inputs (.npy, .csv, .json)"),
    ] = None,
    top: Annotated[
        int | None, typer.Option("--top", help="show the K most influential inputs per output")
    ] = None,
    bounds: Annotated[
        str | None,
        typer.Option(
            "--bounds",
            help="global: input ranges, e.g. 'x=-pi:pi,y=normal(0,1)' or --bounds=-1:1 for all",
        ),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            "--method", help="local (with --at), or dgsm, sobol, morris (with --bounds; dgsm)"
        ),
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples", help="global: base sample size (dgsm 4096, sobol 1024, morris 100)"
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="global: seed of the sample (default 0)")
    ] = None,
    mode: Mode = "auto",
    plot: Plot = None,
) -> None:
    """Which inputs matter: local sensitivity at --at, or global indices over --bounds."""
    from .._sensitivity import sensitivities

    if plot:
        _require_plot(plot)
    if method is None:
        method = "local" if bounds is None else "dgsm"
    if method not in sensitivities.METHODS:
        raise UsageError(
            f"--method must be one of {', '.join(sensitivities.METHODS)}, got {method!r}"
        )
    local_options = {"--dx": dx, "--rel-dx": rel_dx, "--sigma": sigma, "--cov": cov}
    if method == "local":
        if bounds is not None:
            raise UsageError(
                "--bounds is for a global analysis; choose --method dgsm, sobol or morris",
                hint="a local analysis needs only --at",
            )
        if samples is not None or seed is not None:
            raise UsageError("--samples and --seed apply to a global analysis (--bounds)")
        problem = _problem(common, func, expr, variables, at, wrt)
        result = sensitivities.local_at(
            problem,
            dx=_vector(problem, dx, "input", "--dx") if dx is not None else None,
            rel_dx=rel_dx,
            sigma=_vector(problem, sigma, "input", "--sigma") if sigma is not None else None,
            cov=_cov(cov) if cov is not None else None,
            top=top,
            max_bytes=common.max_bytes,
            mode=mode,
        )
    else:
        given = [name for name, value in local_options.items() if value is not None]
        if given:
            raise UsageError(
                f"{', '.join(given)} {'is' if len(given) == 1 else 'are'} for a local analysis "
                "(at --at), not for --method " + method
            )
        if bounds is None:
            raise UsageError(
                f"--method {method} needs --bounds: the range of every input",
                hint="e.g. --bounds 'x=-pi:pi,y=0:1', or --bounds=-1:1 for every input",
            )
        from .._operations import scaleout

        scale = _scale_out(common)
        function = _load(func, expr, variables)
        point = _point(function, at) if at is not None else None
        problem, distributions = sensitivities.prepare_global(
            function, bounds, point, _split_names(wrt), dtype=common.dtype, device=common.device
        )
        progress = _progress(common, f"{method} sample") if scaleout.writes() else None
        try:
            result = sensitivities.global_at(
                problem,
                distributions,
                method,
                samples,
                seed if seed is not None else 0,
                top=top,
                max_bytes=common.max_bytes,
                on_progress=progress.advance if progress else lambda count: None,
                scale=scale,
            )
        finally:
            if progress:
                progress.close()
        scaleout.finish()
        if not scaleout.writes():
            return  # process 0 writes a distributed run's result
    _emit(common, result, plot=plot)


def _cov(text: str) -> Any:
    from .._load import values

    path = text[1:] if text.startswith("@") else text
    return values.read_value_file(path, "--cov")


def _progress(common: Common, what: str) -> Any:
    """A progress bar for long work: on a terminal's stderr, never with JSON or --quiet."""
    from .. import _render as render
    from .. import _runtime as runtime

    wanted = not common.quiet and _format(common) != "json" and runtime.stderr_is_terminal()
    return render.Progress(what, None, enabled=wanted)


def _require_plot(path: str) -> None:
    """Refuse --plot early (bad suffix, matplotlib missing), before any work is done."""
    from .._render import plots

    plots.plot_format(path)
    plots.require()


@command
def symbolic(
    common: Common,
    func: Func = None,
    expr: Expr = None,
    variables: Vars = None,
    at: At = None,
    wrt: Wrt = None,
    order: Annotated[
        int, typer.Option("--order", help="1: the Jacobian; 2: the Hessian (scalar functions)")
    ] = 1,
) -> None:
    """The Jacobian as formulas, from SymPy (a file is traced at --at; an expression needs none)."""
    from .. import _api as api

    if at is None and expr is not None:
        import numpy as np

        function = _load(func, expr, variables)
        point = {inp.name: np.zeros(inp.shape) for inp in function.expression.inputs}
        problem = api.prepare(
            function, point, _split_names(wrt), dtype=common.dtype, device=common.device
        )
    elif at is None:
        raise UsageError(
            "a function file is traced at a point to read its formulas: give --at",
            hint="the point only fixes shapes and static branches, e.g. --at 1,1",
        )
    else:
        problem = _problem(common, func, expr, variables, at, wrt)
    syntax = "latex" if common.format == "latex" else "text"
    _emit(common, api.symbolic_at(problem, order, syntax))


@command
def info(
    common: Common,
    func: Func = None,
    expr: Expr = None,
    variables: Vars = None,
    at: At = None,
    wrt: Wrt = None,
    mode: Mode = "auto",
    sparse: Sparse = False,
) -> None:
    """Shapes, n and m, the mode a Jacobian would use and why, and its size; computes nothing
    (with --sparse: also the sparsity pattern's nnz, density and colours of both directions)."""
    from .. import _api as api

    problem = _problem(common, func, expr, variables, at, wrt)
    _emit(common, api.info_at(problem, mode, sparse=sparse, max_bytes=common.max_bytes))


# --- the program with error handling -----------------------------------------------------------


def _wants_json_errors(argv: Sequence[str]) -> bool:
    for i, arg in enumerate(argv):
        if arg in ("--format", "-f") and i + 1 < len(argv) and argv[i + 1] == "json":
            return True
        if arg in ("--format=json", "-fjson"):
            return True
    return False


def _report(exc: BaseException, argv: Sequence[str], show_traceback: bool) -> None:
    from .. import _render as render

    if show_traceback:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    sys.stderr.write(render.error_text(exc, _wants_json_errors(argv)))
    sys.stderr.flush()


def _timed_out(seconds: float) -> ResourceError:
    return ResourceError(f"gave up after the --timeout of {seconds:g} s", hint="raise --timeout")


def _on_timeout(argv: Sequence[str], seconds: float) -> Callable[[], None]:
    def expire() -> None:
        from .. import _runtime as runtime

        runtime.remove_partial_files()
        _report(_timed_out(seconds), argv, False)

    return expire


def _on_child_timeout(argv: Sequence[str], seconds: float) -> Callable[[list[str]], None]:
    """What the supervisor does after it had to end a child stuck past --timeout."""

    def expire(half_written: list[str]) -> None:
        for path in half_written:
            with contextlib.suppress(OSError):
                os.unlink(path)
        _report(_timed_out(seconds), argv, False)

    return expire


def run(argv: Sequence[str]) -> int:
    """Run the command line without error handling; returns the exit code of a clean run."""
    from typer.main import get_command

    cli = get_command(app)
    outcome = cli.main(args=list(argv), prog_name="jaccli", standalone_mode=False)
    return outcome if isinstance(outcome, int) else 0


def _timeout_from(argv: Sequence[str]) -> float | None:
    for i, arg in enumerate(argv):
        value = (
            arg.split("=", 1)[1]
            if arg.startswith("--timeout=")
            else (argv[i + 1] if arg == "--timeout" and i + 1 < len(argv) else None)
        )
        if value is not None:
            try:
                return float(value) if float(value) > 0 else None
            except ValueError:
                return None
    return None


def main(argv: Sequence[str] | None = None) -> None:
    """The console script: run, and turn every failure into its exit code and one stderr line."""
    from .. import _runtime as runtime

    console = argv is None  # the program itself, not a call from Python (tests, embedding)
    argv = list(sys.argv[1:] if argv is None else argv)
    show_traceback = "--traceback" in argv
    runtime.use_compilation_cache("--no-cache" not in argv)
    timeout = _timeout_from(argv)
    if timeout and console:
        # The parent waits; the command runs in the child, which is ended from outside if it
        # is stuck past the deadline where no thread of its own can run.
        code = runtime.supervise(timeout, _on_child_timeout(argv, timeout))
        if code is not None:
            sys.exit(code)
    code = 0
    try:
        with (
            runtime.terminate_on_sigterm(),
            runtime.deadline(timeout, _on_timeout(argv, timeout or 0)),
        ):
            code = run(argv)
    except JaccliError as exc:
        _report(exc, argv, show_traceback)
        code = exc.exit_code
    except (KeyboardInterrupt, runtime.Interrupted, runtime.Terminated) as exc:
        runtime.remove_partial_files()
        interrupted = not isinstance(exc, runtime.Terminated)
        sys.stderr.write("jaccli: interrupted\n" if interrupted else "jaccli: terminated\n")
        code = 130 if interrupted else 143
    except BrokenPipeError:
        # The reader went away (`| head -1`): stop quietly, as Unix tools do.
        runtime.silence_stdout()
        code = 141
    except Exception as exc:
        if hasattr(exc, "exit_code") and hasattr(exc, "format_message"):
            # A usage error from the option parser (unknown option, missing value, ...).
            _report(UsageError(exc.format_message()), argv, False)
            code = int(getattr(exc, "exit_code", 2)) or 2
        else:
            internal = JaccliError(
                f"unexpected {type(exc).__name__}: {exc}",
                hint="this is a bug in jaccli; rerun with --traceback and report it",
            )
            internal.exit_code = 3
            _report(internal, argv, show_traceback)
            code = 3
    sys.exit(code)
