"""A benchmark's results: its tables as plain text (Markdown), its report, and its JSON file.

Every benchmark runs inside a `Benchmark` (the machine, the commit, a work folder, the clock),
builds its tables with `table` and the cell formats here, puts them together with `document`
and writes its record with `write_json`, which sees that every results file names the commit
it measured.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bench import machine
from bench.process import ROOT

Log = Callable[[str], None]


def seconds(value: float | None, estimated: bool = False, digits: int | None = None) -> str:
    """Seconds to 3 decimals (4 under 0.1 s unless ``digits``); ``~`` marks an estimate."""
    if value is None:
        return "–"
    digits = digits or (3 if value >= 0.1 else 4)
    return f"{'~' if estimated else ''}{value:.{digits}f}"


def ratio(value: float | None, floor: float | None, estimated: bool = False) -> str:
    """``value ÷ floor`` as ``1.23×`` (no decimals from 100×)."""
    if value is None or not floor:
        return "–"
    quotient = value / floor
    return f"{'~' if estimated else ''}{quotient:,.{2 if quotient < 100 else 0}f}×"


def spread(samples: Sequence[float]) -> str:
    """The range of the samples, ``0.123–0.456``."""
    return f"{min(samples):.3f}–{max(samples):.3f}"


def error(value: float | None, correct: bool | None = None) -> str:
    """A largest error, ``1.2e-15``, marked WRONG when it is beyond the tool's tolerance."""
    text = "–" if value is None else f"{value:.1e}"
    return text + " WRONG" if correct is False else text


def markdown(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """An aligned Markdown table: readable in a terminal, pasteable into a .md file."""
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in body)])


def table(
    header: Sequence[str],
    measured: Sequence[Any],
    cells: Callable[[Any], Sequence[str]],
    lead: Callable[[Any], Sequence[str]] = lambda got: (got.label,),
) -> str:
    """One row per tool: ``cells(got)`` for one that ran; for one that did not, its first
    columns ``lead(got)``, then its status (why not) and dashes."""
    body = []
    for got in measured:
        if got.status == "ok":
            body.append(tuple(cells(got)))
            continue
        first = tuple(lead(got))
        body.append((*first, got.status, *("–",) * (len(header) - len(first) - 1)))
    return markdown(header, body)


def phases_table(
    measured: Sequence[Any],
    names: Sequence[str] = ("setup", "read", "compute", "write"),
    spent: Sequence[str] | None = None,
    points: bool = True,
) -> str:
    """Median seconds of each end-to-end phase, for the tools that report them; the rest of
    the wall time (``wall`` less the phases ``spent``, all of them by default) is the
    interpreter's. A phase a tool does not report is a dash."""
    body = []
    for got in measured:
        if got.status != "ok" or not got.phases:
            continue
        medians = {
            name: statistics.median(p[name] for p in got.phases)
            for name in names
            if all(name in p for p in got.phases)
        }
        wall = statistics.median(got.walls)
        rest = wall - sum(medians.get(name, 0.0) for name in spent or names)
        body.append(
            (
                got.label,
                *([f"{got.points:,}"] if points else []),
                *(f"{medians[name]:.3f}" if name in medians else "–" for name in names),
                f"{rest:.3f}",
                f"{wall:.3f}",
            )
        )
    header = ("tool", *(["points"] if points else []), *names, "interpreter + rest", "wall")
    return markdown(header, body) if body else ""


def goals_text(goals: Sequence[dict[str, Any]]) -> str:
    """One line per goal: its figure (``figure``, else ``ratio`` and ``unit``) and whether it
    was met (``met`` None: measured, with no bound)."""
    lines = []
    for goal in goals:
        if goal["ratio"] is None:
            lines.append(f"- {goal['goal']}: not measured")
            continue
        verdict = "measured" if goal["met"] is None else ("met" if goal["met"] else "MISSED")
        figure = goal.get("figure") or f"{goal['ratio']:.2f}{goal.get('unit', '×')}"
        lines.append(f"- {goal['goal']}: {figure} — {verdict}")
    return "\n".join(lines)


def context(record: dict[str, Any]) -> list[str]:
    """The report's first lines: its title, the machine, the commit measured and the load."""
    source = record["source"]
    changed = source["src_changed"]
    return [
        record["title"],
        machine.summary(record["machine"]),
        f"jaccli at {source['commit']}"
        + (f" + uncommitted changes to {', '.join(changed)}" if changed else "")
        + f"; load average before {record['machine']['load_average']}, "
        f"after {record['load_average_after']}",
    ]


def document(record: dict[str, Any], note: str, sections: Sequence[tuple[str, str]]) -> str:
    """The whole report: the context lines, ``note`` (how the figures were taken), then each
    section ``(heading, body)`` (no heading: the body alone; an empty body: left out)."""
    parts = [*context(record), note]
    for heading, body in sections:
        if body:
            parts += ["", heading, "", body] if heading else ["", body]
    return "\n".join(parts)


def write_json(path: Path, record: dict[str, Any]) -> None:
    """Write the results file (its folder is made if needed), naming the commit it measured."""
    if "source" not in record:
        record = {**record, "source": machine.checkout(ROOT)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")


class Benchmark:
    """One benchmark from its start to its results file.

    ``with Benchmark(name, title, args, log) as bench:`` notes the machine and the commit,
    makes the work folder ``bench.workdir``, says what runs and starts the clock; leaving the
    block removes the folder (unless ``--keep``). ``bench.record(**fields)`` is the results
    record, the fields every benchmark has first; ``bench.publish`` prints and writes it.
    """

    def __init__(
        self,
        name: str,
        title: str,
        args: argparse.Namespace,
        log: Log,
        libraries: Sequence[str] = machine.LIBRARIES,
    ) -> None:
        self.name, self.title, self.args, self.log = name, title, args, log
        self.about = machine.describe(libraries)
        self.source = machine.checkout(ROOT)
        self.workdir = Path()
        self.started = 0.0

    def __enter__(self) -> Benchmark:
        self.workdir = Path(tempfile.mkdtemp(prefix=f"jaccli-bench-{self.name}-"))
        summary = machine.summary(self.about)
        self.log(f"{self.title}\nmachine: {summary}\nwork folder: {self.workdir}")
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.args.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def record(self, **fields: Any) -> dict[str, Any]:
        """What ran, where, on which commit and for how long; then ``fields``."""
        return {
            "benchmark": self.name,
            "title": self.title,
            "options": {k: v for k, v in vars(self.args).items() if k != "results"},
            "machine": self.about,
            "load_average_after": machine.describe()["load_average"],
            "source": self.source,
            "seconds": round(time.perf_counter() - self.started, 1),
            **fields,
        }

    def publish(self, results: Path, record: dict[str, Any], text: str) -> None:
        """Print the report to stdout and write the results file."""
        print(text)
        write_json(results, record)
        self.log(f"\nwrote {results}")
