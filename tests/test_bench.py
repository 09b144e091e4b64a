"""Smoke tests of the benchmarks in ``bench/``: each runs at a tiny size, one round, to catch
breakage (a renamed option, a changed output). Nothing here measures or asserts a speed."""

from __future__ import annotations

import json
import subprocess
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
    "sparse-hessian": ["--tools", "jaccli", "--large-n", "0"],
    "check": ["--tools", "jaccli,scipy"],
    "global": ["--tools", "jaccli,salib"],
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


def test_results_name_the_commit_they_measured(tmp_path: Path) -> None:
    from bench import machine

    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert machine.checkout(ROOT)["commit"] == head
    assert machine.checkout(tmp_path)["commit"] == "unknown"


def test_the_gpu_run_installs_then_tests_then_measures(tmp_path: Path, capsys) -> None:
    from importlib import metadata

    results = tmp_path / "gpu.json"
    assert main(["gpu", "--dry-run", "--results", str(results)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(" -m ")[1].split()[:2] for line in lines if " -m " in line] == [
        ["pip", "install"],
        ["pytest", "-q"],
        ["bench", "batch"],
        ["bench", "scale"],
    ]
    assert f"jax[cuda12]=={metadata.version('jax')}" in lines[0]
    assert all("JACCLI_TEST_DEVICE=gpu" in line for line in lines[1:])
    assert "-m gpu" in lines[2] and str(tmp_path / "gpu-batch.json") in lines[3]


def test_the_gpu_run_on_cpu_devices_installs_nothing(tmp_path: Path, capsys) -> None:
    assert main(["gpu", "--cpu", "--dry-run", "--results", str(tmp_path / "gpu.json")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert not any("install" in line for line in lines)
    assert all(
        "JACCLI_TEST_DEVICE=cpu" in line and "JAX_NUM_CPU_DEVICES=2" in line for line in lines
    )


def test_the_gpu_run_fails_on_a_failed_or_skipped_test(tmp_path: Path) -> None:
    from bench import gpu

    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite tests="5" failures="0" errors="0" skipped="2">'
        "</testsuite></testsuites>"
    )
    tests = gpu.tests_summary(junit)
    assert tests == {"tests": 5, "failures": 0, "errors": 0, "skipped": 2, "passed": 3}
    steps = [{"step": "tests", "exit": 0}]
    assert gpu.failed({"tests": tests, "steps": steps})
    assert not gpu.failed({"tests": {**tests, "skipped": 0, "passed": 5}, "steps": steps})
    assert gpu.failed({"tests": None, "steps": steps})
    assert gpu.tests_summary(tmp_path / "absent.xml") is None


def test_the_default_run_leaves_the_gpu_tests_out() -> None:
    import tomllib

    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert '-m "not gpu"' in options["addopts"]
    assert any(marker.startswith("gpu:") for marker in options["markers"])
