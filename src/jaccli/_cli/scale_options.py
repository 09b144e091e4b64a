"""The scale-out options (``--devices``, ``--distributed`` and the options that go with it),
checked against each other and bundled as a `ScaleOut`."""

from __future__ import annotations

import re

from .._operations.scaleout import DEFAULT_TIMEOUT, ScaleOut, count_from
from .._problem import COMMAND_LINE
from ..errors import UsageError

_ADDRESS = re.compile(r"\[?[^\s\[\]]+\]?:\d{1,5}")
MAX_PORT = 65535


def parse_devices(text: str | None) -> int | None:
    """``--devices``: ``all`` (None) or a positive number of devices.

    >>> parse_devices("all") is None, parse_devices("4")
    (True, 4)
    """
    if text is None or text.strip().lower() == "all":
        return None
    count = count_from(text)
    if count < 1:
        raise UsageError(
            f"--devices must be all or a positive number, got {text!r}", hint="e.g. --devices 4"
        )
    return count


def from_options(
    devices: str | None,
    distributed: bool,
    coordinator: str | None = None,
    num_processes: int | None = None,
    process_id: int | None = None,
    timeout: float | None = None,
) -> ScaleOut:
    """Check the scale-out options against each other and bundle them.

    >>> from_options("2", False).devices
    2
    """
    explicit = {
        "--coordinator": coordinator,
        "--num-processes": num_processes,
        "--process-id": process_id,
        "--distributed-timeout": timeout,
    }
    given = [name for name, value in explicit.items() if value is not None]
    if given and not distributed:
        raise UsageError(
            f"{', '.join(given)} {'applies' if len(given) == 1 else 'apply'} with --distributed",
            hint="add --distributed to run as one process of several",
        )
    if coordinator is not None and not _ADDRESS.fullmatch(coordinator):
        raise UsageError(
            f"--coordinator must be HOST:PORT, got {coordinator!r}", hint="e.g. 10.0.0.1:1234"
        )
    port = int(coordinator.rsplit(":", 1)[1]) if coordinator is not None else 1
    if not 1 <= port <= MAX_PORT:
        raise UsageError(
            f"--coordinator's port must be between 1 and {MAX_PORT}, got {port}",
            hint="e.g. 10.0.0.1:1234",
        )
    if num_processes is not None and num_processes < 1:
        raise UsageError(f"--num-processes must be at least 1, got {num_processes}")
    if process_id is not None and (
        process_id < 0 or (num_processes is not None and process_id >= num_processes)
    ):
        raise UsageError(
            f"--process-id must be between 0 and --num-processes - 1, got {process_id}"
        )
    if timeout is not None and timeout <= 0:
        raise UsageError(f"--distributed-timeout must be positive, got {timeout:g}")
    return ScaleOut(
        parse_devices(devices),
        distributed,
        coordinator,
        num_processes,
        process_id,
        DEFAULT_TIMEOUT if timeout is None else timeout,
        labels=COMMAND_LINE,
    )
