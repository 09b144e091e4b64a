"""The command line's options: the ones every command takes, and the ones commands pick from
the table `OPTIONS` by name (a command record lists the names it takes)."""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Annotated, Any

import typer


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

    @property
    def scale_out(self) -> list[str]:
        """The scale-out options given, as their flags."""
        given = (
            ("--devices", self.devices),
            ("--distributed", self.distributed or None),
            ("--coordinator", self.coordinator),
            ("--num-processes", self.num_processes),
            ("--process-id", self.process_id),
            ("--distributed-timeout", self.distributed_timeout),
        )
        return [option for option, value in given if value is not None]


def _option(annotation: Any, *flags: str, default: Any = None, **kw: Any) -> tuple[Any, Any, Any]:
    """One table entry: the parameter's type, its default, and typer's option for it."""
    return annotation, default, typer.Option(*flags, **kw)


# The longest wait an option may ask for: about four months, far inside what the clocks and
# waits of the OS take (a larger number overflows them).
MAX_SECONDS = 1e7


def _seconds(low: str) -> Any:
    """A callback that checks a number of seconds: above 0 (``low`` is ``>``) or from 0
    (``>=``), up to `MAX_SECONDS`, and never NaN."""

    def check(value: float | None) -> float | None:
        if value is None:
            return None
        above = value > 0 if low == ">" else value >= 0  # NaN fails both
        if not (above and value <= MAX_SECONDS):
            raise typer.BadParameter(
                f"must be a number of seconds {'above' if low == '>' else 'from'} 0 up to "
                f"{MAX_SECONDS:g}, got {value:g}"
            )
        return value

    return check


# name: (type, default, typer parameter) — the options every command takes.
COMMON: dict[str, tuple[Any, Any, Any]] = {
    "format": _option(
        str | None,
        "--format",
        "-f",
        help="table, json, csv, npy, npz or latex (default: table on a terminal, json otherwise)",
    ),
    "output": _option(
        str | None,
        "--output",
        "-o",
        help="write the result to this file (atomically); format from its suffix",
    ),
    "dtype": _option(str, "--dtype", default="float64", help="float64 or float32"),
    "device": _option(str, "--device", default="auto", help="auto, cpu or gpu"),
    "quiet": _option(bool, "--quiet", "-q", default=False, help="no notes or warnings on stderr"),
    "traceback": _option(
        bool, "--traceback", default=False, help="show the Python traceback of a failure"
    ),
    "timeout": _option(
        float | None,
        "--timeout",
        help="give up after this many seconds (exit 4)",
        callback=_seconds(">="),
    ),
    "max_bytes": _option(
        int,
        "--max-bytes",
        default=1 << 30,
        help="refuse Jacobians/Hessians, and point files once read, larger than this (bytes)",
        min=1,
    ),
    "no_cache": _option(
        bool,
        "--no-cache",
        default=False,
        help="do not use the compilation cache (also JACCLI_NO_CACHE=1)",
    ),
    "allow_nonfinite": _option(
        bool, "--allow-nonfinite", default=False, help="exit 0 even when the result has NaN or inf"
    ),
    "devices": _option(
        str | None,
        "--devices",
        metavar="all|N",
        help="batch, global sensitivity: spread the points over all (default) or N of this "
        "process's devices",
    ),
    "distributed": _option(
        bool,
        "--distributed",
        default=False,
        help="batch, global sensitivity: be one process of a run over several processes or "
        "hosts (jax.distributed; detects SLURM and Open MPI)",
    ),
    "coordinator": _option(
        str | None,
        "--coordinator",
        metavar="HOST:PORT",
        help="with --distributed: the address of process 0",
    ),
    "num_processes": _option(
        int | None, "--num-processes", help="with --distributed: how many processes"
    ),
    "process_id": _option(
        int | None, "--process-id", help="with --distributed: this process's rank, 0…N-1"
    ),
    "distributed_timeout": _option(
        float | None,
        "--distributed-timeout",
        help="with --distributed: seconds to wait for every process to join, and for a "
        "silent one, before giving up with exit 4 (default 120)",
        callback=_seconds(">"),
    ),
}

# name: (type, default, typer parameter) — the options a command picks by name.
OPTIONS: dict[str, tuple[Any, Any, Any]] = {
    "func": (
        str | None,
        None,
        typer.Argument(help="FILE.py or FILE.py:NAME (omit with -e)", show_default=False),
    ),
    "expr": _option(
        str | None, "--expr", "-e", help="a math expression instead of FILE, e.g. 'x**2 + sin(y)'"
    ),
    "variables": _option(str | None, "--vars", help="input order for an expression, e.g. x,y"),
    "at": _option(str | None, "--at", help="the point: 2,1 | x=2,y=1 | '[[1,2],[3,4]]' | @x.npy"),
    "batch": _option(
        str | None,
        "--batch",
        help="many points: FILE.npy|.npz|.csv|.json|.jsonl, or - for JSON Lines on stdin",
    ),
    "v": _option(str, "--v", default=..., help="the vector, in the same forms as --at"),
    "wrt": _option(str | None, "--wrt", help="differentiate these arguments only, e.g. W,b"),
    "mode": _option(str, "--mode", default="auto", help="auto, fwd or rev"),
    "check": _option(
        bool,
        "--check",
        default=False,
        help="also check the result against SymPy and finite differences",
    ),
    "rtol": _option(
        float | None,
        "--rtol",
        help="relative tolerance of a check (default 1e-6; 1e-3 for float32)",
    ),
    "atol": _option(
        float | None,
        "--atol",
        help="absolute tolerance of a check (default 1e-9; 1e-5 for float32)",
    ),
    "against": _option(
        str | None, "--against", help="references: sympy,fd,complex (default: all of them)"
    ),
    "plot": _option(
        str | None, "--plot", help="also draw a chart to FILE.png|.svg|.pdf (needs jaccli[plot])"
    ),
    "sparse": _option(
        bool,
        "--sparse",
        default=False,
        help="detect the sparsity pattern and compute one JVP/VJP (hessian: HVP) per colour",
    ),
    "order": _option(
        int, "--order", default=1, help="1: the Jacobian; 2: second derivatives (Hessian)"
    ),
    "dx": _option(str | None, "--dx", help="local: a perturbation, shaped like the input"),
    "rel_dx": _option(float | None, "--rel-dx", help="local: perturb every input by this · |x|"),
    "sigma": _option(
        str | None, "--sigma", help="local: standard deviations of independent inputs"
    ),
    "cov": _option(
        str | None, "--cov", help="local: covariance matrix of the inputs (.npy, .csv, .json)"
    ),
    "top": _option(int | None, "--top", help="show the K most influential inputs per output"),
    "bounds": _option(
        str | None,
        "--bounds",
        help="global: input ranges, e.g. 'x=-pi:pi,y=normal(0,1)' or --bounds=-1:1 for all",
    ),
    "method": _option(
        str | None,
        "--method",
        help="local (with --at), or dgsm, sobol, morris, active-subspace (with --bounds; dgsm)",
    ),
    "samples": _option(
        int | None,
        "--samples",
        help="global: base sample size (dgsm and active-subspace 4096, sobol 1024, morris 100)",
    ),
    "seed": _option(int | None, "--seed", help="global: seed of the sample (default 0)"),
    "replicates": _option(
        int | None,
        "--replicates",
        help="dgsm, sobol: independently scrambled replicates the intervals come from "
        "(default 8; 1: no interval, the most accurate estimate for smooth functions)",
    ),
    "dimension": _option(
        int | None,
        "--dimension",
        help="active-subspace: the subspace dimension K (default: at the largest eigenvalue gap)",
    ),
    "workers": _option(
        str | None,
        "--workers",
        metavar="N|auto",
        help="a function JAX cannot trace: evaluate its points in N processes (auto: one per "
        "core); the numbers are those of one process",
    ),
    "dask": _option(
        str | None,
        "--dask",
        metavar="ADDRESS",
        help="a function JAX cannot trace: evaluate its points on the Dask cluster at "
        "ADDRESS, e.g. tcp://scheduler:8786 (needs jaccli[dask])",
    ),
    "dask_timeout": _option(
        float | None,
        "--dask-timeout",
        help="with --dask: seconds to reach the scheduler, and to wait while the cluster "
        "has no worker, before giving up with exit 4 (default 60)",
    ),
    "design_file": (
        str,
        ...,
        typer.Argument(
            metavar="DESIGN", help="the design jaccli design wrote (.csv, or .npy with its .json)"
        ),
    ),
    "outputs_file": (
        str,
        ...,
        typer.Argument(
            metavar="OUTPUTS",
            help="the model's outputs, one row per design row (.csv with or without a header "
            "of output names, or .npy)",
        ),
    ),
}


def parameters(
    names: tuple[str, ...], table: dict[str, tuple[Any, Any, Any]]
) -> list[inspect.Parameter]:
    """The keyword parameters of a command's signature, typer's way, for ``names`` of ``table``."""
    return [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=table[name][1],
            annotation=Annotated[table[name][0], table[name][2]],
        )
        for name in names
    ]
