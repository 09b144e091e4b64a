"""A benchmark's results as a plain-text (Markdown) table, and as a JSON file."""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench import machine
from bench.harness import Measured

HEADER = (
    "tool",
    "points",
    "wall s",
    "wall range s",
    "cpu s",
    "compute s",
    "wall ÷ floor",
    "cpu ÷ floor",
    "compute ÷ floor",
    "peak MiB",
    "max error",
)


def _seconds(value: float | None, estimated: bool = False) -> str:
    if value is None:
        return "–"
    digits = 3 if value >= 0.1 else 4
    return f"{'~' if estimated else ''}{value:.{digits}f}"


def _ratio(value: float | None, floor: float | None, estimated: bool = False) -> str:
    if value is None or not floor:
        return "–"
    ratio = value / floor
    return f"{'~' if estimated else ''}{ratio:,.{2 if ratio < 100 else 0}f}×"


def rows(measured: Sequence[Measured], floor_key: str) -> list[tuple[str, ...]]:
    """One row of strings per tool; ``~`` marks figures extrapolated from a subset."""
    floor = next((got for got in measured if got.key == floor_key), None)
    floor_wall = floor.wall if floor else None
    floor_compute = floor.compute if floor else None
    floor_cpu = floor.cpu if floor else None
    table = []
    for got in measured:
        if got.status != "ok":
            table.append((got.label, f"{got.points:,}", got.status, *("–",) * (len(HEADER) - 3)))
            continue
        estimated = got.extrapolated_to is not None
        points = f"{got.points:,}" + (f" of {got.extrapolated_to:,} ~" if estimated else "")
        spread = f"{min(got.walls):.3f}–{max(got.walls):.3f}" if not estimated else "–"
        error = "–" if got.error_vs_exact is None else f"{got.error_vs_exact:.1e}"
        if got.correct is False:
            error += " WRONG"
        table.append(
            (
                got.label,
                points,
                _seconds(got.wall, estimated),
                spread,
                _seconds(got.cpu),
                _seconds(got.compute, estimated),
                _ratio(got.wall, floor_wall, estimated),
                _ratio(got.cpu, floor_cpu),
                _ratio(got.compute, floor_compute, estimated),
                f"{got.max_rss_mib:.0f}",
                error,
            )
        )
    return table


def markdown(header: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    """An aligned Markdown table: readable in a terminal, pasteable into a .md file."""
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in body)])


def phases_table(measured: Sequence[Measured]) -> str:
    """Median seconds of each end-to-end phase, for the tools that report them."""
    names = ("setup", "read", "compute", "write")
    body = []
    for got in measured:
        if got.status != "ok" or not got.phases:
            continue
        medians = [statistics.median(p.get(name, 0.0) for p in got.phases) for name in names]
        wall = statistics.median(got.walls)
        body.append(
            (
                got.label,
                f"{got.points:,}",
                *(f"{m:.3f}" for m in medians),
                f"{wall - sum(medians):.3f}",
                f"{wall:.3f}",
            )
        )
    header = ("tool", "points", *names, "interpreter + rest", "wall")
    return markdown(header, body) if body else ""


def differences_table(differences: dict[str, dict[str, float]]) -> str:
    """Max |J_a − J_b| between tools, on the points both computed."""
    keys = list(differences)
    body = [(a, *(f"{differences[a][b]:.1e}" for b in keys)) for a in keys]
    return markdown(("max abs ΔJ", *keys), body)


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


def text(record: dict[str, Any], measured: Sequence[Measured], floor_label: str) -> str:
    """The whole report: context lines, the main table, phases, agreement and goals."""
    parts = [
        *context(record),
        f"medians of {record['options']['repeat']} fresh processes per tool; wall = the whole "
        "process (start-up, imports, read, compute, write); cpu = its user + system time; "
        f"compute = warm, in process; ratios ÷ {floor_label}; ~ = extrapolated from the subset; "
        "max error = largest absolute difference from the exact Jacobian",
        "",
        markdown(HEADER, rows(measured, record["floor"])),
    ]
    phases = phases_table(measured)
    if phases:
        parts += ["", "phases of the end-to-end runs (medians, s)", "", phases]
    parts += ["", "agreement between tools", "", differences_table(record["differences"])]
    parts += ["", "goals", "", goals_text(record["goals"])]
    return "\n".join(parts)


def write_json(path: Path, record: dict[str, Any]) -> None:
    """Write the results file (its folder is made if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
