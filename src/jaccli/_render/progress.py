"""A progress bar on stderr for long work.

rich is imported only when a bar is first drawn, to keep ``jaccli --help`` fast.
"""

from __future__ import annotations

import time
from typing import Any


class Progress:
    """A progress bar on stderr for long work, shown once it has run for ``delay`` seconds.

    Quick runs never flash a bar; a disabled one (stderr not a terminal, JSON output,
    ``--quiet``) costs one comparison per update. The bar is removed when the work ends.
    """

    def __init__(
        self, what: str, total: int | None, enabled: bool = True, delay: float = 1.0
    ) -> None:
        self._what = what
        self._total = total
        self._enabled = enabled
        self._started = time.monotonic() + delay
        self._done = 0
        self._bar: Any = None
        self._task: Any = None

    def advance(self, count: int) -> None:
        """Count ``count`` more items done; start drawing once the delay has passed."""
        self._done += count
        if not self._enabled:
            return
        if self._bar is None:
            if time.monotonic() < self._started:
                return
            self._start()
        self._bar.update(self._task, completed=self._done)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        console = Console(stderr=True, highlight=False, emoji=False, markup=False)
        self._bar = Bar(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=True,
        )
        self._bar.start()
        self._task = self._bar.add_task(self._what, total=self._total, completed=self._done)

    def close(self) -> None:
        """Remove the bar, if one is shown."""
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
