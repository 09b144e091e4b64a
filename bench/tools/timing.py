"""The clock of the tool scripts: the phases of one run, and warm calls, timed in process.

It imports nothing beyond the standard library, so that a script may import it before its clock
starts without moving any of its own imports out of its ``setup`` phase.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


class Phases:
    """Seconds spent in each phase of a run, one after the other from the moment it is made.

    >>> phases = Phases()
    >>> phases.end("setup")
    >>> list(phases.seconds)
    ['setup']
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._mark = time.perf_counter()

    def end(self, name: str) -> None:
        """Close phase ``name``: the time since the last phase ended (or since the start)."""
        now = time.perf_counter()
        self.seconds[name] = now - self._mark
        self._mark = now


def warm(compute: Callable[[], Any], repeat: int) -> list[float]:
    """Seconds of each of ``repeat`` calls of ``compute``, warmed up already (the compute-only
    figure).

    >>> len(warm(lambda: None, 3))
    3
    """
    samples = []
    for _ in range(repeat):
        mark = time.perf_counter()
        compute()
        samples.append(time.perf_counter() - mark)
    return samples


def write(path: str | Path, record: dict[str, Any]) -> None:
    """Write the timings to ``--timings`` as JSON, where the benchmark reads them."""
    Path(path).write_text(json.dumps(record))
