"""The one pipeline every command runs: load the function, read the point (or open the batch),
prepare the problem, compute, and hand the result to the output."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import UsageError
from .options import Common
from .output import Output, decide


@dataclass
class Request:
    """One command line: the common options and the command's own, by name."""

    common: Common
    args: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.args[name]
        except KeyError:
            raise AttributeError(name) from None

    def get(self, name: str, default: Any = None) -> Any:
        return self.args.get(name, default)

    def output(self) -> Output:
        c = self.common
        return decide(c.format, c.output, c.quiet, c.allow_nonfinite, self.get("plot"))


def load_function(request: Request) -> Any:
    """The function of FUNC or ``-e/--expr``."""
    from .._load.loader import from_expression, load

    func, expr, variables = request.get("func"), request.get("expr"), request.get("variables")
    if (func is None) == (expr is None):
        raise UsageError(
            "give either a function file or -e/--expr"
            if func is None
            else "give a function file or -e/--expr, not both",
            hint="jaccli jacobian f.py --at 2,1   or   jaccli jacobian -e 'x**2 + y' --at 2,1",
        )
    if expr is not None:
        names = [v.strip() for v in variables.split(",")] if variables else None
        return from_expression(expr, names, "--vars")
    if variables:
        raise UsageError("--vars applies to -e/--expr only")
    return load(func, expression="-e/--expr")


def wrt_names(text: str | None) -> list[str] | None:
    """``--wrt W,b`` as names."""
    if text is None:
        return None
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise UsageError(f"--wrt has an empty name: {text!r}", hint="e.g. --wrt W,b")
    return names


def input_limit(common: Common) -> Any:
    """What a point file may take once read: ``--max-bytes`` applies to inputs too."""
    from .._load.values import SizeLimit

    return SizeLimit(common.max_bytes, "--max-bytes")


def point(function: Any, at: str, common: Common) -> dict[str, Any]:
    """``--at`` bound to the function's parameters."""
    from .._load.points import bind_point, parse_point

    parsed = parse_point(at, "--at", input_limit(common))
    return bind_point(parsed, function.params, "--at", function.source)


def prepared(request: Request, function: Any, point_: dict[str, Any]) -> Any:
    """The problem at a point, its messages in the command line's words."""
    from .._problem import COMMAND_LINE, prepare

    c = request.common
    wrt = wrt_names(request.get("wrt"))
    return prepare(function, point_, wrt, dtype=c.dtype, device=c.device, labels=COMMAND_LINE)


def problem(request: Request) -> Any:
    """The problem at ``--at``."""
    at = request.get("at")
    if at is None:
        raise UsageError("give the point with --at", hint="e.g. --at 2,1")
    function = load_function(request)
    return prepared(request, function, point(function, at, request.common))


def vector(problem_: Any, text: str, like: str, option: str = "--v") -> Any:
    """A vector option (``--v``, ``--dx``, ``--sigma``) shaped like the input or the output."""
    from .._load.points import bind_point, parse_point

    parsed = parse_point(text, option)
    if like == "output":
        return bind_point(parsed, ("v",), option, "the output")["v"]
    bound = bind_point(parsed, problem_.wrt, option, "the differentiated input")
    return bound[problem_.wrt[0]] if len(problem_.wrt) == 1 else bound


def scale_out(common: Common) -> Any:
    """Check the scale-out options and, with --distributed, join the run. Returns them, or ends
    the command with the worker's exit code in the process that only supervised it."""
    import typer

    from .._operations import scaleout
    from .scale_options import from_options

    scale = from_options(
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


def workers(request: Request) -> Any:
    """``--workers``, ``--dask`` and ``--dask-timeout``, checked; None when none was given."""
    options = [request.get(k) for k in ("workers", "dask", "dask_timeout")]
    if options == [None, None, None]:
        return None
    from .._operations import workers_from
    from .._problem import COMMAND_LINE

    found = workers_from(*options, labels=COMMAND_LINE)
    if found is not None and request.common.distributed:
        raise UsageError(
            "--workers and --dask spread a function JAX cannot trace; --distributed spreads "
            "JAX's own computation: choose one"
        )
    return found


def progress(request: Request, output: Output, what: str, total: int | None = None) -> Any:
    """A progress bar for long work: on a terminal's stderr, never with JSON or --quiet."""
    from .. import _render as render
    from .. import _runtime as runtime

    wanted = not output.quiet and output.format != "json" and runtime.stderr_is_terminal()
    return render.Progress(what, total, enabled=wanted)


def require_plot(path: str) -> None:
    """Refuse --plot early (bad suffix, matplotlib missing), before any work is done."""
    from .._render import plots

    plots.plot_format(path)
    plots.require()
