"""Smoke tests of the benchmarks in ``bench/``: each runs at a tiny size, one round, to catch
breakage (a renamed option, a changed output). Nothing here measures or asserts a speed."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.__main__ import main  # noqa: E402

pytestmark = pytest.mark.subprocess

SMOKE = {
    "startup": ["--tools", "jaccli,jax"],
    "modes": ["--tools", "jaccli,jax", "--shapes", "wide"],
    "scale": ["--tools", "jaccli,jax,scipy"],
    "sparse": ["--tools", "jaccli,jax,scipy"],
    "sparse-hessian": ["--tools", "jaccli"],
    "check": ["--tools", "jaccli,scipy"],
}


@pytest.mark.parametrize("name", list(SMOKE))
def test_benchmark_runs(name: str, tmp_path: Path) -> None:
    results = tmp_path / f"{name}.json"
    code = main([name, "--quick", "--repeat", "1", "--results", str(results), *SMOKE[name]])
    record = json.loads(results.read_text())
    broken = [
        t for t in record["tools"] if t["status"].startswith("failed") or t["correct"] is False
    ]
    assert code == 0, broken
    ran = [t for t in record["tools"] if t["status"] == "ok"]
    assert ran and all(t["median_wall"] > 0 for t in ran)
    # Every answer was compared with the exact one (--help prints no answer).
    assert all(t["max_error"] is not None for t in ran if t["case"] != "help")
    assert record["goals"]


def test_skipped_rows_say_why(tmp_path: Path) -> None:
    results = tmp_path / "scale.json"
    main(["scale", "--quick", "--results", str(results), "--tools", "scipy,numdifftools"])
    record = json.loads(results.read_text())
    statuses = {(t["case"], t["key"]): t["status"] for t in record["tools"]}
    assert all(status.startswith("skipped: ") for status in statuses.values())
    assert "evaluations" in statuses["grad", "numdifftools"]
    assert "dense Hessian" in statuses["hvp", "numdifftools"]


def test_the_coverage_study_runs(tmp_path: Path) -> None:
    results = tmp_path / "coverage.json"
    assert main(["coverage", "--quick", "--results", str(results)]) == 0
    rows = json.loads(results.read_text())["rows"]
    assert {(row["case"], row["method"], row["tool"]) for row in rows} == {
        (case, method, tool)
        for case in ("ishigami", "g", "product")
        for method in ("sobol", "dgsm")
        for tool in ("replicated", "bootstrap")
    }
    assert all(0 <= row["coverage"] <= 1 and row["rms_error"] > 0 for row in rows)


def test_the_active_subspace_benchmark_checks_the_ridge_direction(tmp_path: Path) -> None:
    results = tmp_path / "active-subspace.json"
    argv = ["active-subspace", "--quick", "--repeat", "1", "--tools", "jaccli-api"]
    code = main([*argv, "--results", str(results)])
    record = json.loads(results.read_text())
    assert code == 0, record["tools"]
    (tool,) = record["tools"]
    assert tool["status"] == "ok" and tool["median_wall"] > 0
    # The exactness goals: the first eigenvector and the rank, to rounding.
    assert [goal["met"] for goal in record["goals"][:2]] == [True, True]
