"""JAX's persistent compilation cache, turned on for the command line's process.

A repeated run then loads its compiled programs instead of compiling them again. It works through
JAX's environment variables, so it must be set up before JAX is imported.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import warnings

CACHE_BYTES = 1 << 30


def cache_directory() -> str:
    """Where compiled programs are kept: ``$JACCLI_CACHE_DIR``, else ``jaccli/jax`` in the user's
    cache directory (``$XDG_CACHE_HOME``, else ``~/.cache``)."""
    explicit = os.environ.get("JACCLI_CACHE_DIR")
    if explicit:
        return os.path.expanduser(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "jaccli", "jax")


def use_compilation_cache(enabled: bool = True) -> str | None:
    """Turn on JAX's persistent compilation cache for this process, so that a repeated run loads
    its compiled programs instead of compiling them again; returns the directory, or None.

    Off with ``enabled=False`` (``--no-cache``) or ``JACCLI_NO_CACHE=1``; the user's own
    ``JAX_COMPILATION_CACHE_DIR`` wins. It works through JAX's environment variables, so it must
    run before JAX is imported (after that, it does nothing). A directory that cannot be created
    or written leaves the cache off: it only saves time, and a read-only home must not fail a run.
    """
    if not enabled or os.environ.get("JACCLI_NO_CACHE", "") not in ("", "0"):
        return None
    if "jax" in sys.modules:
        return None
    directory = os.environ.get("JAX_COMPILATION_CACHE_DIR") or cache_directory()
    try:
        os.makedirs(directory, exist_ok=True)
    except OSError:
        return None
    if not os.access(directory, os.W_OK | os.X_OK):
        return None
    os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", directory)
    # jaccli's programs are small and compile in well under JAX's default threshold of 1 s,
    # but loading one still saves most of a cold run's compile time.
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    if _installed("filelock"):
        # JAX bounds the cache only with filelock installed; without it, a bound is an error.
        os.environ.setdefault("JAX_COMPILATION_CACHE_MAX_SIZE", str(CACHE_BYTES))
        _mend_cache_entries(directory)
    # The cache only saves time: a failed read or write (another jaccli evicting the same entry
    # at the same moment) costs a compile, and is not worth a warning on every run.
    warnings.filterwarnings(
        "ignore", message="Error (reading|writing) persistent compilation cache entry"
    )
    return directory


def _mend_cache_entries(directory: str) -> None:
    """Give every cached program that lacks its access-time file one that makes it the oldest.

    A run ended between JAX writing ``KEY-cache`` and ``KEY-atime`` (Ctrl-C, --timeout, two runs
    evicting at once) leaves a program without its access time. JAX's bounded cache then fails
    every later write with FileNotFoundError (jax-ml/jax#39880, fixed after JAX 0.10.2), so the
    cache would stop growing for good. Access time 0 is what JAX's fix gives such an entry too.
    """
    try:
        names = set(os.listdir(directory))
    except OSError:
        return
    for name in names:
        key = name.removesuffix("-cache")
        if key != name and f"{key}-atime" not in names:
            path = os.path.join(directory, f"{key}-atime")
            with contextlib.suppress(OSError), open(path, "xb") as atime:
                atime.write((0).to_bytes(8, "little"))


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):  # ValueError: a module blocked with sys.modules[name] = None
        return False
