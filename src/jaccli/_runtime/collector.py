"""Python's garbage collector in the console script's own process.

A run of the command line imports its libraries (JAX above all), computes and exits, and what
it imports lives until the end. The collector meanwhile walks those objects again and again:
while JAX loads, and in the interpreter's last collection at exit. So the console script's
process, and only it (never a program that calls jaccli), starts with the collector paused and,
once the libraries are in and before the user's code runs, freezes what they made (`gc.freeze`:
kept, never walked again) and resumes collecting. Whatever the user's code makes is collected
as usual, at exit too (a file it left open in a reference cycle is still flushed and closed).
A command that will need another large library imports it before the function loads, to be
frozen with JAX (`check` and ``--check`` fork a process that imports SymPy instead, and import
it so only where no process can be forked: `jaccli._check.preload`).
A run that loads neither JAX nor a function file (``design``, ``analyze``, ``symbolic`` of an
expression) keeps the collector paused to its end: short runs over NumPy arrays and SymPy
expressions within their budgets, which make little garbage that only the collector frees.
"""

from __future__ import annotations

import gc

_PAUSED = False


def own_process() -> None:
    """Mark this process as the console script's: its collector pauses until `settle`."""
    global _PAUSED
    if gc.isenabled():
        gc.disable()
        _PAUSED = True


def settle() -> None:
    """The libraries are in: freeze what the process has made so far out of later collections,
    and resume collecting. Call before the user's code runs; elsewhere than the console's own
    process, and once settled, it does nothing."""
    global _PAUSED
    if _PAUSED:
        _PAUSED = False
        gc.freeze()
        gc.enable()
