"""Python's garbage collector in the console script's own process.

A run of the command line imports JAX (most of its start-up), computes and exits, and almost
everything it imports lives until the end. The collector meanwhile walks those objects again
and again: while JAX loads (a tenth of a second of a cold run on a 2-core machine), and once
more in the interpreter's last collection at exit (about as much again). So the console
script's process, and only it (never a program that calls jaccli), pauses the collector while
the function and JAX load and then freezes what they made (`gc.freeze`: kept, never walked
again), and freezes everything before the interpreter shuts down. Nothing that is still in use
is touched; what a run leaves behind is given back to the system when the process ends.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

_OWN_PROCESS = False


def own_process() -> None:
    """Mark this process as the console script's: the collector is its own to manage."""
    global _OWN_PROCESS
    _OWN_PROCESS = True


@contextlib.contextmanager
def loading() -> Iterator[None]:
    """Around loading the user's function (and with it JAX): no collection while it loads, and
    what it made frozen out of later collections. Elsewhere than the console's own process,
    nothing changes."""
    if not (_OWN_PROCESS and gc.isenabled()):
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def before_exit() -> None:
    """Spare the console's process the interpreter's last walk over every object at exit; the
    modules are still torn down (files flushed and closed) as usual."""
    if _OWN_PROCESS:
        gc.freeze()
