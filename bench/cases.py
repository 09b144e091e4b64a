"""Run benchmark cases: the same problem through several tools, each in fresh processes.

A `Case` is one problem at one size (a wide Jacobian, a gradient of 10⁷ inputs, …) and the
`Row`s that compute it: a jaccli command, a raw JAX script, PyTorch, SciPy, numdifftools. A row
is a command line, or a reason it is skipped ("numdifftools at 10⁷ inputs: …"), so a tool that
cannot do a problem in reasonable time still has its line in the table.

How the numbers are taken, as in `bench.harness`: every run is a fresh process timed from
outside (interpreter start-up, imports, reading, compiling, computing, writing, exit); *cpu* is
its user + system time, *peak* its maximum resident set size (``getrusage`` of the child).
One untimed run of each tool comes first (it fills the OS's file cache), and of every row that
uses a compilation cache (to fill it); then the timed rounds are interleaved, one run of every row per
round in a rotated order, so that a slow spell of a busy machine lands on all rows. Figures are
medians; the results file keeps every sample. The output of the last run of each row is
compared with the exact answer.
"""

from __future__ import annotations

import compileall
import dataclasses
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import answers, process, report
from bench.process import ROOT, Spawned

# Settings of the environment that change what a run does; each row sets its own.
_CLEARED = (
    "JACCLI_NO_CACHE",
    "JACCLI_CACHE_DIR",
    "JAX_COMPILATION_CACHE_DIR",
    "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS",
    "JAX_COMPILATION_CACHE_MAX_SIZE",
)

# Each tool's derivative script in `bench.tools`, and the modules it needs.
SCRIPTS = {
    "jax": ("jax_derivative", ()),
    "torch": ("torch_derivative", ("torch",)),
    "scipy": ("scipy_derivative", ("scipy",)),
    "numdifftools": ("numdifftools_derivative", ("numdifftools",)),
    "asdex": ("asdex_hessian", ("asdex",)),
}


@dataclass(frozen=True)
class ToolKey:
    """A tool's name for ``--tools`` (a row belongs to the tool its key starts with)."""

    key: str
    label: str


@dataclass(frozen=True)
class Row:
    """One tool computing one case.

    Attributes:
        key: short name, unique in the case (``--tools`` selects rows by the part before ``-``).
        label: the name in the table.
        argv: the command; empty for a skipped row.
        skip: why the row is not run (printed as "skipped: ..."), or None.
        requires: modules that must be importable, else the row says "not installed".
        output: the file the command writes, compared with the case's exact answer.
        stdout: the command prints its answer: its standard output goes to ``output``.
        read: turns ``output`` into an array (or sparse matrix); None: nothing to compare.
        env: environment settings for this row (the cache settings are cleared otherwise).
        prime: run once before the rounds even when its tool has warmed up (a cache to fill);
            not in a smoke run (``--quick``).
        rtol: the largest error, relative to the largest exact entry, that counts as correct.
    """

    key: str
    label: str
    argv: Sequence[str] = ()
    skip: str | None = None
    requires: tuple[str, ...] = ()
    output: Path | None = None
    stdout: bool = False
    read: answers.Reader | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    prime: bool = False
    rtol: float = 1e-10

    @property
    def tool(self) -> str:
        """The tool this row belongs to (``jaccli`` for ``jaccli-fwd``)."""
        return self.key.split("-")[0]


@dataclass(frozen=True)
class Case:
    """One problem at one size, the rows that compute it, and the row the ratios divide by."""

    key: str
    title: str
    rows: Sequence[Row]
    floor: str
    exact: Any = None  # ndarray or SciPy sparse matrix, compared with every row's output


@dataclass(frozen=True)
class Goal:
    """``metric`` of row ``numerator`` in ``case``, divided by the smallest of ``denominator``
    (or, with no denominator, the value itself), at most ``bound`` (None: only measured)."""

    text: str
    case: str
    metric: str  # "wall", "cpu" or "peak"
    numerator: str
    denominator: tuple[str, ...] = ()
    bound: float | None = 1.0


@dataclass
class Measured:
    """Everything measured for one row; seconds and MiB."""

    case: str
    key: str
    label: str
    status: str = "ok"  # "ok", "skipped: ...", "not installed", "failed: ..."
    walls: list[float] = dataclasses.field(default_factory=list)
    cpus: list[float] = dataclasses.field(default_factory=list)
    peaks: list[float] = dataclasses.field(default_factory=list)
    max_error: float | None = None
    correct: bool | None = None

    def median(self, metric: str) -> float | None:
        samples = {"wall": self.walls, "cpu": self.cpus, "peak": self.peaks}[metric]
        return statistics.median(samples) if samples and self.status == "ok" else None

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for metric in ("wall", "cpu", "peak"):
            data[f"median_{metric}"] = self.median(metric)
        return data


def environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment without cache settings, ``bench`` importable, plus ``extra``."""
    return process.environment({"PYTHONFAULTHANDLER": "1", **extra}, _CLEARED)


def _check(case: Case, row: Row, got: Measured) -> None:
    if row.read is None or row.output is None or case.exact is None:
        return
    try:
        found = row.read(row.output)
        if isinstance(found, float):  # the tool reports its own error (jaccli check)
            got.max_error, got.correct = found, True
            return
        error, scale = answers.errors(found, case.exact)
    except Exception as exc:
        got.status = f"failed: unreadable or wrong output: {exc}"
        got.correct = False
        return
    got.max_error = error
    got.correct = error <= row.rtol * max(scale, 1.0)


def measure(
    cases: Sequence[Case],
    repeat: int,
    wanted: set[str],
    log: Callable[[str], None],
    warmup: bool = True,
    timeout: float = 600.0,
) -> list[Measured]:
    """Run every row of every case ``repeat`` times, interleaved within each case."""
    results: list[Measured] = []
    warmed: set[str] = set()  # tools whose files are in the OS's cache already
    for case in cases:
        rows = [row for row in case.rows if row.tool in wanted]
        measured = {row.key: Measured(case.key, row.key, row.label) for row in rows}
        active = []
        for row in rows:
            if row.skip:
                measured[row.key].status = f"skipped: {row.skip}"
            elif not process.installed(row.requires):
                measured[row.key].status = "not installed"
            else:
                active.append(row)
        log(f"{case.title}")
        for row in active:
            # A smoke run (no warm-up) skips priming too: it checks that rows run, not speed.
            if warmup and (row.prime or row.tool not in warmed):
                warmed.add(row.tool)
                done = _run(row, measured[row.key], timeout, log)
                if done:
                    log(f"  warm-up     {row.label:<40} {done.wall:8.3f} s")
        for round_, row in process.rounds(active, repeat):
            got = measured[row.key]
            done = _run(row, got, timeout, log) if got.status == "ok" else None
            if not done:
                continue
            got.walls.append(done.wall)
            got.cpus.append(done.cpu)
            got.peaks.append(done.max_rss_mib)
            log(
                f"  round {round_ + 1}/{repeat}  {row.label:<40} {done.wall:8.3f} s  "
                f"cpu {done.cpu:.3f} s  peak {done.max_rss_mib:.0f} MiB"
            )
        for row in active:
            if measured[row.key].status == "ok":
                _check(case, row, measured[row.key])
        results += [measured[row.key] for row in rows]
    return results


def _run(row: Row, got: Measured, timeout: float, log: Callable[[str], None]) -> Spawned | None:
    """One run of ``row``; None when it failed (``got.status`` then says why)."""
    stdout = row.output if row.stdout else None
    done = process.spawn(row.argv, environment(row.env), stdout, timeout)
    if done.returncode == 0:
        return done
    got.status = f"failed: {process.reason(done, timeout)}"
    log(f"  {row.label}: {got.status}")
    if done.timed_out:
        log(done.stderr[-20000:])
    return None


def evaluate(goal: Goal, measured: Sequence[Measured]) -> dict[str, Any]:
    """The goal's ratio (or value) and whether it is met; None where a side was not measured."""
    by_key = {(got.case, got.key): got for got in measured}
    top_row = by_key.get((goal.case, goal.numerator))
    top = top_row.median(goal.metric) if top_row else None
    bottom: float | None = 1.0
    if goal.denominator:
        values = [
            by_key[(goal.case, key)].median(goal.metric)
            for key in goal.denominator
            if (goal.case, key) in by_key
        ]
        bottom = min(values) if values and None not in values else None
    ratio = top / bottom if top is not None and bottom else None
    return {
        "goal": goal.text,
        "case": goal.case,
        "metric": goal.metric,
        "ratio": ratio,
        "bound": goal.bound,
        "unit": "×" if goal.denominator else (" MiB" if goal.metric == "peak" else " s"),
        "met": None if ratio is None or goal.bound is None else ratio <= goal.bound,
    }


# --- reporting --------------------------------------------------------------------------------

HEADER = (
    "tool",
    "wall s",
    "wall range s",
    "cpu s",
    "peak MiB",
    "wall ÷ floor",
    "cpu ÷ floor",
    "peak ÷ floor",
    "max error",
)


def table(case: Case, measured: Sequence[Measured]) -> str:
    """One row per tool of ``case``; ratios divide by the case's floor row."""
    mine = [got for got in measured if got.case == case.key]
    floor = next((got for got in mine if got.key == case.floor), None)

    def cells(got: Measured) -> tuple[str, ...]:
        return (
            got.label,
            report.seconds(got.median("wall")),
            report.spread(got.walls),
            report.seconds(got.median("cpu")),
            f"{got.median('peak'):.0f}",
            *(
                report.ratio(got.median(metric), floor.median(metric) if floor else None)
                for metric in ("wall", "cpu", "peak")
            ),
            report.error(got.max_error, got.correct),
        )

    return report.table(HEADER, mine, cells)


def text(
    record: dict[str, Any],
    cases: Sequence[Case],
    measured: Sequence[Measured],
    extra: Sequence[str],
) -> str:
    """The whole report: context lines, one table per case, ``extra`` sections, the goals."""
    note = (
        f"medians of {record['options']['repeat']} fresh processes per tool, interleaved; "
        "wall = the whole process; cpu = its user + system time; peak = its largest resident "
        "memory; ratios ÷ the floor of each table; max error = largest absolute difference "
        "from the exact answer"
    )
    sections = []
    for case in cases:
        floor = next((row.label for row in case.rows if row.key == case.floor), case.floor)
        sections.append((f"{case.title} (floor: {floor})", table(case, measured)))
    sections += [("", section) for section in extra]
    sections.append(("goals", report.goals_text(record["goals"])))
    return report.document(record, note, sections)


# --- one benchmark, start to finish ---------------------------------------------------------


def compile_sources() -> None:
    """Byte-compile jaccli and the benchmark scripts, as an installation does.

    With ``PYTHONDONTWRITEBYTECODE`` set and an editable install, every run would otherwise
    compile jaccli's modules from source again (about 0.05 s), a cost no installed copy pays.
    """
    import jaccli

    for folder in (Path(jaccli.__file__).parent, ROOT / "bench"):
        compileall.compile_dir(folder, quiet=1)


def run_benchmark(
    name: str,
    title: str,
    args: Any,
    build: Callable[[Path], Sequence[Case]],
    goals: Sequence[Goal],
    results: Path,
    log: Callable[[str], None],
    extra: Callable[[Path, Sequence[Case]], dict[str, Any]] | None = None,
) -> int:
    """Build the cases in a work folder, measure them, print the report, write the JSON.

    ``extra`` may add fields to the record (and ``extra_text`` lines to the report). Returns 1
    when a row failed or computed a wrong answer, else 0.
    """
    compile_sources()
    wanted = {key.strip() for key in args.tools.split(",") if key.strip()}
    with report.Benchmark(name, title, args, log) as bench:
        cases = build(bench.workdir)
        added = extra(bench.workdir, cases) if extra else {}
        measured = measure(
            cases, args.repeat, wanted, log, warmup=not args.quick, timeout=args.timeout
        )
    extra_text = added.pop("extra_text", ())
    record = bench.record(
        cases=[
            {"key": case.key, "title": case.title, "floor": case.floor, "rows": _describe(case)}
            for case in cases
        ],
        tools=[got.to_dict() for got in measured],
        **added,
    )
    record["goals"] = [evaluate(goal, measured) for goal in goals] + list(added.get("goals", []))
    bench.publish(results, record, text(record, cases, measured, extra_text))
    broken = [got for got in measured if got.status.startswith("failed") or got.correct is False]
    return 1 if broken or added.get("failed") else 0


def _describe(case: Case) -> list[dict[str, Any]]:
    return [
        {"key": row.key, "label": row.label, "argv": [str(a) for a in row.argv], "skip": row.skip}
        for row in case.rows
    ]


def derivative_row(
    key: str,
    label: str,
    kind: str,
    function: str,
    x: Path,
    output: Path,
    *extra: Any,
    read: answers.Reader = answers.read_npy,
    **options: Any,
) -> Row:
    """A row that runs its tool's derivative script (`SCRIPTS`, `bench.tools.derivative_args`):
    derivative ``kind`` of ``function`` (``PROBLEM:FUNCTION``) at ``x``, written to ``output``."""
    module, requires = SCRIPTS[key.split("-")[0]]
    argv = process.script(module, kind, function, "--x", x, *extra, "--output", output)
    return Row(key, label, argv, requires=requires, output=output, read=read, **options)


def size_text(nbytes: float) -> str:
    """``8e10`` → ``"80 GB"``: a byte count for a sentence."""
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.3g} {unit}"
    return f"{nbytes:.0f} bytes"


def add_common_arguments(parser: Any) -> None:
    """Options every case benchmark takes besides ``--repeat``, ``--tools``, ``--keep``."""
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: small sizes, one round, no warm-up runs",
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="stop a run after this many seconds (600)"
    )
