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


def _option(*flags: str, **kw: Any) -> Any:
    return typer.Option(*flags, **kw)


# name: (type, default, typer parameter) — the options every command takes.
COMMON: dict[str, tuple[Any, Any, Any]] = {
    "format": (
        str | None,
        None,
        _option(
            "--format",
            "-f",
            help="table, json, csv, npy, npz or latex (default: table on a terminal, json otherwise)",
        ),
    ),
    "output": (
        str | None,
        None,
        _option(
            "--output",
            "-o",
            help="write the result to this file (atomically); format from its suffix",
        ),
    ),
    "dtype": (str, "float64", _option("--dtype", help="float64 or float32")),
    "device": (str, "auto", _option("--device", help="auto, cpu or gpu")),
    "quiet": (bool, False, _option("--quiet", "-q", help="no notes or warnings on stderr")),
    "traceback": (
        bool,
        False,
        _option("--traceback", help="show the Python traceback of a failure"),
    ),
    "timeout": (
        float | None,
        None,
        _option("--timeout", help="give up after this many seconds (exit 4)", min=0.0),
    ),
    "max_bytes": (
        int,
        1 << 30,
        _option("--max-bytes", help="refuse Jacobians/Hessians larger than this (bytes)", min=1),
    ),
    "no_cache": (
        bool,
        False,
        _option("--no-cache", help="do not use the compilation cache (also JACCLI_NO_CACHE=1)"),
    ),
    "allow_nonfinite": (
        bool,
        False,
        _option("--allow-nonfinite", help="exit 0 even when the result has NaN or inf"),
    ),
    "devices": (
        str | None,
        None,
        _option(
            "--devices",
            metavar="all|N",
            help="batch, global sensitivity: spread the points over all (default) or N of this "
            "process's devices",
        ),
    ),
    "distributed": (
        bool,
        False,
        _option(
            "--distributed",
            help="batch, global sensitivity: be one process of a run over several processes or "
            "hosts (jax.distributed; detects SLURM and Open MPI)",
        ),
    ),
    "coordinator": (
        str | None,
        None,
        _option(
            "--coordinator",
            metavar="HOST:PORT",
            help="with --distributed: the address of process 0",
        ),
    ),
    "num_processes": (
        int | None,
        None,
        _option("--num-processes", help="with --distributed: how many processes"),
    ),
    "process_id": (
        int | None,
        None,
        _option("--process-id", help="with --distributed: this process's rank, 0…N-1"),
    ),
    "distributed_timeout": (
        float | None,
        None,
        _option(
            "--distributed-timeout",
            help="with --distributed: seconds to wait for every process to join, and for a "
            "silent one, before giving up with exit 4 (default 120)",
        ),
    ),
}

# name: (type, default, typer parameter) — the options a command picks by name.
OPTIONS: dict[str, tuple[Any, Any, Any]] = {
    "func": (
        str | None,
        None,
        typer.Argument(help="FILE.py or FILE.py:NAME (omit with -e)", show_default=False),
    ),
    "expr": (
        str | None,
        None,
        _option("--expr", "-e", help="a math expression instead of FILE, e.g. 'x**2 + sin(y)'"),
    ),
    "variables": (
        str | None,
        None,
        _option("--vars", help="input order for an expression, e.g. x,y"),
    ),
    "at": (
        str | None,
        None,
        _option("--at", help="the point: 2,1 | x=2,y=1 | '[[1,2],[3,4]]' | @x.npy"),
    ),
    "batch": (
        str | None,
        None,
        _option(
            "--batch",
            help="many points: FILE.npy|.npz|.csv|.json|.jsonl, or - for JSON Lines on stdin",
        ),
    ),
    "v": (str, ..., _option("--v", help="the vector, in the same forms as --at")),
    "wrt": (
        str | None,
        None,
        _option("--wrt", help="differentiate these arguments only, e.g. W,b"),
    ),
    "mode": (str, "auto", _option("--mode", help="auto, fwd or rev")),
    "check": (
        bool,
        False,
        _option("--check", help="also check the result against SymPy and finite differences"),
    ),
    "rtol": (
        float | None,
        None,
        _option("--rtol", help="relative tolerance of a check (default 1e-6; 1e-3 for float32)"),
    ),
    "atol": (
        float | None,
        None,
        _option("--atol", help="absolute tolerance of a check (default 1e-9; 1e-5 for float32)"),
    ),
    "against": (
        str | None,
        None,
        _option("--against", help="references: sympy,fd,complex (default: all of them)"),
    ),
    "plot": (
        str | None,
        None,
        _option("--plot", help="also draw a chart to FILE.png|.svg|.pdf (needs jaccli[plot])"),
    ),
    "sparse": (
        bool,
        False,
        _option(
            "--sparse",
            help="detect the sparsity pattern and compute one JVP/VJP per colour (needs jaccli[sparse])",
        ),
    ),
    "order": (
        int,
        1,
        _option("--order", help="1: the Jacobian; 2: second derivatives (Hessian)"),
    ),
    "dx": (str | None, None, _option("--dx", help="local: a perturbation, shaped like the input")),
    "rel_dx": (
        float | None,
        None,
        _option("--rel-dx", help="local: perturb every input by this · |x|"),
    ),
    "sigma": (
        str | None,
        None,
        _option("--sigma", help="local: standard deviations of independent inputs"),
    ),
    "cov": (
        str | None,
        None,
        _option("--cov", help="local: covariance matrix of the inputs (.npy, .csv, .json)"),
    ),
    "top": (
        int | None,
        None,
        _option("--top", help="show the K most influential inputs per output"),
    ),
    "bounds": (
        str | None,
        None,
        _option(
            "--bounds",
            help="global: input ranges, e.g. 'x=-pi:pi,y=normal(0,1)' or --bounds=-1:1 for all",
        ),
    ),
    "method": (
        str | None,
        None,
        _option("--method", help="local (with --at), or dgsm, sobol, morris (with --bounds; dgsm)"),
    ),
    "samples": (
        int | None,
        None,
        _option("--samples", help="global: base sample size (dgsm 4096, sobol 1024, morris 100)"),
    ),
    "seed": (int | None, None, _option("--seed", help="global: seed of the sample (default 0)")),
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
