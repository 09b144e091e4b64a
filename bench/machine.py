"""What machine and which library versions a benchmark ran on, for its results file."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

LIBRARIES = ("jaccli", "jax", "jaxlib", "numpy", "torch", "scipy", "numdifftools", "asdex")


def _first(path: str, key: str) -> str | None:
    """The value of the first ``key : value`` line of a /proc file, if there is one."""
    try:
        text = Path(path).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return None


def _memory_gib() -> float | None:
    total = _first("/proc/meminfo", "MemTotal")  # "24561234 kB"
    return round(int(total.split()[0]) / 1024**2, 1) if total else None


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def describe(libraries: Sequence[str] = LIBRARIES) -> dict[str, object]:
    """CPU, cores, memory, OS, Python and the versions of ``libraries`` (None where not
    installed)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return {
        "cpu": _first("/proc/cpuinfo", "model name") or platform.processor() or None,
        "cores": os.cpu_count(),
        "cores_usable": len(affinity(0)) if affinity else os.cpu_count(),
        "memory_gib": _memory_gib(),
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "versions": {name: _version(name) for name in libraries},
    }


def summary(machine: dict[str, object]) -> str:
    """One line for the top of a report."""
    versions = machine["versions"]
    assert isinstance(versions, dict)
    libs = ", ".join(f"{k} {v}" for k, v in versions.items() if v)
    return (
        f"{machine['cpu']}, {machine['cores_usable']} cores, {machine['memory_gib']} GiB, "
        f"{machine['os']}, Python {machine['python']}; {libs}"
    )


def checkout(root: Path) -> dict[str, object]:
    """The commit measured (`git rev-parse HEAD`, ``"unknown"`` outside git) and the files of
    src/ changed since it (empty when clean)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(root), *args], capture_output=True, text=True, check=True
            )
        except (OSError, subprocess.CalledProcessError):
            return None
        return done.stdout

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--", "src") or ""
    return {
        "commit": commit.strip() if commit else "unknown",
        "src_changed": [line[3:] for line in status.splitlines() if line.strip()],
    }
