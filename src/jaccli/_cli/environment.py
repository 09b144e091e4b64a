"""The process's environment, checked before JAX reads it: what JAX or XLA would fail on is a
usage error (exit 2) that names the variable, not a crash."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Mapping

from ..errors import UsageError

# JAX's platform names (JAX_PLATFORMS takes a comma-separated list of them).
PLATFORMS = ("cpu", "gpu", "cuda", "rocm", "tpu", "metal")
# Every flag XLA reads from XLA_FLAGS is named --xla_...; XLA aborts the process on any other.
_XLA_FLAG = re.compile(r"--xla_\w+(?:=.*)?", re.DOTALL)
# A word of XLA_FLAGS: a value may be quoted, spaces and all (--xla_dump_to="a b").
_WORD = re.compile(r'(?:[^\s"]+|"[^"]*")+')


def check_environment(environ: Mapping[str, str] | None = None) -> None:
    """Refuse, before JAX reads them, the settings JAX or XLA would fail on: a platform in
    ``JAX_PLATFORMS`` that JAX does not know, and a word in ``XLA_FLAGS`` that is not an XLA
    flag (XLA ends the process on it, in native code, with no way to report it)."""
    environ = os.environ if environ is None else environ
    platforms = environ.get("JAX_PLATFORMS", "")
    unknown = [p for p in platforms.split(",") if p.strip() and p.strip() not in PLATFORMS]
    if unknown:
        raise UsageError(
            f"the environment variable JAX_PLATFORMS={platforms!r} names {unknown[0]!r}, which is "
            "not a JAX platform",
            hint=f"platforms: {', '.join(PLATFORMS)}; or unset JAX_PLATFORMS to let JAX choose",
        )
    flags = environ.get("XLA_FLAGS", "")
    wrong = [word for word in _WORD.findall(flags) if not _XLA_FLAG.fullmatch(word)]
    if wrong:
        raise UsageError(
            f"the environment variable XLA_FLAGS={flags!r} holds {wrong[0]!r}, which is not an "
            "XLA flag (XLA would abort on it)",
            hint="XLA's flags look like --xla_force_host_platform_device_count=8; or unset "
            "XLA_FLAGS",
        )
    unknown_flag = unknown_xla_flag(flags) if flags.strip() else None
    if unknown_flag:
        raise UsageError(
            f"the environment variable XLA_FLAGS={flags!r} holds {unknown_flag!r}, which this "
            "XLA does not know (XLA would abort on it)",
            hint="remove it from XLA_FLAGS, or unset XLA_FLAGS",
        )


# XLA reads XLA_FLAGS once, in native code, and ends the process on a flag it does not know.
_PROBE = "from jaxlib import xla_client; xla_client.make_cpu_client()"
_UNKNOWN = re.compile(r"Unknown flags? in XLA_FLAGS: (\S+)")


def unknown_xla_flag(flags: str) -> str | None:
    """The first flag of ``flags`` that this XLA does not know, found by letting XLA read them
    in a process of its own; None when XLA takes them all.

    The verdict on flags XLA took is remembered in jaccli's cache directory (per jaxlib version),
    so that only the first run with new flags pays for the probe (about a third of a second).
    """
    import hashlib
    import importlib.metadata
    import subprocess
    import sys

    from .._runtime import cache_directory

    try:
        version = importlib.metadata.version("jaxlib")
    except importlib.metadata.PackageNotFoundError:
        return None
    key = hashlib.sha256(f"{version}\0{flags}".encode()).hexdigest()[:32]
    accepted = os.path.join(cache_directory(), "xla-flags", key)
    if os.path.exists(accepted):
        return None
    env = {**os.environ, "XLA_FLAGS": flags, "JAX_PLATFORMS": "cpu"}
    try:
        probe = subprocess.run(
            [sys.executable, "-c", _PROBE], capture_output=True, text=True, timeout=60, env=env
        )
    except (OSError, subprocess.SubprocessError):
        return None  # no verdict: let XLA read them as it will
    found = _UNKNOWN.search(probe.stderr)
    if probe.returncode != 0 and found:
        return found.group(1)
    if probe.returncode == 0:
        with contextlib.suppress(OSError):  # a read-only home only costs the probe next time
            os.makedirs(os.path.dirname(accepted), exist_ok=True)
            open(accepted, "w").close()
    return None
