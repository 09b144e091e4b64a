"""The process's environment, checked before JAX reads it: what JAX or XLA would fail on is a
usage error (exit 2) that names the variable, not a crash."""

from __future__ import annotations

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
