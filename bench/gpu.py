"""The GPU run: install JAX's CUDA build, run the tests marked gpu and the batch and gradient
benchmarks on the GPU, and write bench/results/gpu.json.

One command for the day a GPU machine is at hand, in this order, each step a process of its own:

1. install: ``pip install "jax[cuda12]==V"``, V the JAX already installed (so that the GPU runs
   the same JAX as the CPU figures), unless JAX sees a GPU already; ``--find-links DIR``
   installs from wheels downloaded beforehand, for a machine without network access;
2. probe: which devices JAX sees; no GPU ends the run with a message (exit 1);
3. tests: ``pytest -m gpu tests`` with ``JACCLI_TEST_DEVICE=gpu`` (`tests/cli/test_gpu.py`: the
   seed functions, a batch, a sparse Jacobian, DGSM and ``--devices all``, each equal to the
   CPU's answer to 1e-12);
4. benchmarks: ``python -m bench batch`` (10⁶ points) and ``python -m bench scale`` (the
   gradient at 10⁷, an HVP at 10⁶), jaccli against raw JAX, both on the GPU, their results in
   ``gpu-batch.json`` and ``gpu-scale.json`` beside the run's own file.

``--cpu`` runs steps 2–4 on two CPU devices instead (no install): the tests then prove
themselves, and the script its steps, on a machine without a GPU. ``--dry-run`` prints the
commands and runs none. Every process runs with ``XLA_PYTHON_CLIENT_PREALLOCATE=false``: a test
and the jaccli process it starts share the GPU, which JAX would otherwise claim 75% of at once.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shlex
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import process, report

Log = Callable[[str], None]
PROBE = (
    "import json, jax; print(json.dumps({'backend': jax.default_backend(), "
    "'devices': [f'{d.platform}:{d.id} {d.device_kind}' for d in jax.devices()]}))"
)
# name -> (the benchmark's options at full size, with --quick)
BENCHMARKS = {
    "batch": (["--repeat", "3"], ["--n", "10000", "--subset", "100", "--repeat", "1"]),
    "scale": (["--repeat", "3"], ["--quick", "--repeat", "1"]),
}
TOOLS = "jaccli,jax"  # jaccli against the raw JAX script: the only tools that use the GPU


@dataclass
class Step:
    """One process of the run: its name, its command, and its environment's additions."""

    name: str
    argv: list[str]
    env: dict[str, str]
    timeout: float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--cpu", action="store_true", help="on two CPU devices, no install")
    parser.add_argument("--quick", action="store_true", help="small benchmark sizes, one round")
    parser.add_argument("--dry-run", action="store_true", help="print the commands only")
    parser.add_argument("--no-install", action="store_true", help="JAX's CUDA build is there")
    parser.add_argument("--find-links", type=Path, help="install from these wheels, offline")
    parser.add_argument("--results", type=Path, help="results file (bench/results/gpu.json)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")


def _environment(cpu: bool) -> dict[str, str]:
    extra = {"XLA_PYTHON_CLIENT_PREALLOCATE": "false", "JACCLI_TEST_DEVICE": "gpu"}
    if cpu:
        extra.update(JACCLI_TEST_DEVICE="cpu", JAX_PLATFORMS="cpu", JAX_NUM_CPU_DEVICES="2")
    return extra


def cuda_requirement() -> str:
    """The CUDA build of the JAX installed now."""
    return f"jax[cuda12]=={metadata.version('jax')}"


def sub_results(results: Path, name: str) -> Path:
    """Where a benchmark of the run writes its results: gpu-batch.json beside gpu.json."""
    return results.with_name(f"{results.stem}-{name}.json")


def install_command(find_links: Path | None = None) -> list[str]:
    """pip (or uv's pip, where the environment has no pip) installing `cuda_requirement`."""
    requirement = cuda_requirement()
    if importlib.util.find_spec("pip") is not None:
        command = [sys.executable, "-m", "pip", "install", requirement]
    else:
        command = ["uv", "pip", "install", "--python", sys.executable, requirement]
    if find_links:
        command += ["--no-index", "--find-links", str(find_links)]
    return command


def steps(args: argparse.Namespace, results: Path, workdir: Path) -> list[Step]:
    """The processes of the run, in order."""
    env = _environment(args.cpu)
    plan = []
    if not (args.cpu or args.no_install):
        plan.append(Step("install", install_command(args.find_links), {}, 900))
    plan.append(Step("probe", [sys.executable, "-c", PROBE], env, 120))
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-m", "gpu"]
    junit = str(workdir / "junit.xml")
    plan.append(Step("tests", [*pytest, "--junitxml", junit, "tests"], env, 900))
    for name, (full, quick) in BENCHMARKS.items():
        options = [*(quick if args.quick else full), "--tools", TOOLS]
        output = sub_results(results, name)
        argv = [sys.executable, "-m", "bench", name, *options, "--results", str(output)]
        plan.append(Step(name, argv, env, 900))
    return plan


def sees_a_gpu() -> bool:
    """Whether JAX, started afresh, sees a GPU (its CUDA build installed and a driver there)."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired:
        return False
    lines = done.stdout.strip().splitlines()
    return done.returncode == 0 and bool(lines) and json.loads(lines[-1])["backend"] == "gpu"


def tests_summary(junit: Path) -> dict[str, int] | None:
    """Passed, failed, errors and skipped from pytest's JUnit XML (None if it wrote none)."""
    if not junit.exists():
        return None
    suite = ElementTree.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite[0]
    counts = {key: int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")}
    counts["passed"] = counts["tests"] - counts["failures"] - counts["errors"] - counts["skipped"]
    return counts


def _run(step: Step, log: Log) -> tuple[int, str, float]:
    """Run one step, its output shown as it comes (the probe's kept: its last line is JSON)."""
    log(f"\n=== {step.name}: {shlex.join(step.argv)}")
    started = time.perf_counter()
    env = process.environment(step.env)
    capture = step.name == "probe"
    try:
        done = subprocess.run(
            step.argv,
            cwd=process.ROOT,
            env=env,
            timeout=step.timeout,
            text=True,
            stdout=subprocess.PIPE if capture else None,
        )
    except FileNotFoundError as missing:
        return 127, str(missing), time.perf_counter() - started
    except subprocess.TimeoutExpired:
        return 124, f"stopped after {step.timeout:.0f} s", time.perf_counter() - started
    return done.returncode, done.stdout or "", time.perf_counter() - started


INSTALL_FAILED = (
    "could not install the CUDA build of JAX (pip install '{requirement}' exited with {code}; "
    "its output is above). Without network access, download the wheels on another machine "
    "(pip download '{requirement}' -d WHEELS), then run python -m bench gpu --find-links WHEELS; "
    "or install it by hand and run python -m bench gpu --no-install."
)


def _verdict(step: Step, code: int, output: str, args: argparse.Namespace) -> str | None:
    """Why the run cannot go on after ``step``, or None."""
    if step.name == "install" and code != 0:
        return INSTALL_FAILED.format(code=code, requirement=cuda_requirement())
    if step.name == "probe":
        if code != 0:
            return f"JAX did not start (exit {code}): {output.strip()[-500:]}"
        backend = json.loads(output.strip().splitlines()[-1])["backend"]
        if backend != ("cpu" if args.cpu else "gpu"):
            return (
                f"JAX sees no GPU (its default backend is {backend}): check nvidia-smi and that "
                "the CUDA build is installed, or run python -m bench gpu --cpu to try the steps "
                "on CPU devices"
            )
    return None


def main(args: argparse.Namespace, results: Path, log: Log) -> int:
    """Run the steps; exit 1 when one fails, or a gpu test fails or is skipped."""
    title = "The GPU run: the tests marked gpu, and the batch and gradient benchmarks"
    with report.Benchmark("gpu", title, args, log) as bench:
        plan = steps(args, results, bench.workdir)
        if args.dry_run:
            for step in plan:
                print(" ".join([*(f"{k}={v}" for k, v in step.env.items()), shlex.join(step.argv)]))
            return 0
        for name in BENCHMARKS:
            sub_results(results, name).unlink(missing_ok=True)
        done, device, stopped = [], None, None
        for step in plan:
            if step.name == "install" and sees_a_gpu():
                log("\nJAX sees a GPU already: nothing to install")
                continue
            code, output, seconds = _run(step, log)
            done.append(
                {"step": step.name, "argv": step.argv, "exit": code, "seconds": round(seconds, 1)}
            )
            if step.name == "probe" and code == 0:
                device = json.loads(output.strip().splitlines()[-1])
            stopped = _verdict(step, code, output, args)
            if stopped:
                log(f"\n{stopped}")
                break
        record = bench.record(
            device=device,
            steps=done,
            stopped=stopped,
            tests=tests_summary(bench.workdir / "junit.xml"),
            benchmarks=_benchmarks([step["step"] for step in done], results),
        )
        bench.publish(results, record, _text(record))
    return 1 if failed(record) or stopped else 0


def _benchmarks(ran: Sequence[str], results: Path) -> dict[str, Any]:
    """Each benchmark that ran: its results file, its goals and its tools' median times."""
    found = {}
    for name in BENCHMARKS:
        output = sub_results(results, name)
        if name not in ran or not output.exists():
            continue
        record = json.loads(output.read_text())
        tools = [
            {
                "case": tool.get("case"),
                "label": tool["label"],
                "status": tool["status"],
                "median_wall": tool.get("median_wall"),
            }
            for tool in record["tools"]
        ]
        found[name] = {"results": str(output), "goals": record.get("goals", []), "tools": tools}
    return found


def failed(record: dict[str, Any]) -> bool:
    """Whether a step failed, or a gpu test failed, erred or was skipped, or none ran."""
    tests = record["tests"]
    bad_tests = not tests or tests["passed"] == 0 or tests["failures"] + tests["errors"] > 0
    return bad_tests or bool(tests["skipped"]) or any(s["exit"] != 0 for s in record["steps"])


def _text(record: dict[str, Any]) -> str:
    device = record["device"] or {"backend": "–", "devices": []}
    steps_table = report.markdown(
        ("step", "exit", "seconds"),
        [(s["step"], str(s["exit"]), f"{s['seconds']:.1f}") for s in record["steps"]],
    )
    tests = record["tests"]
    counts = ", ".join(f"{v} {k}" for k, v in tests.items() if k != "tests") if tests else "–"
    sections = [
        ("Devices", f"{device['backend']}: {', '.join(device['devices'])}"),
        ("Steps", steps_table),
        ("Tests marked gpu", counts),
        *(
            (f"python -m bench {name} on the device", report.goals_text(entry["goals"]))
            for name, entry in record["benchmarks"].items()
        ),
        ("Stopped", record["stopped"] or ""),
    ]
    return report.document(record, "", sections)
