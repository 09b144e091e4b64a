"""Scale-out: a batch spread over the devices of a process, and over processes and hosts.

Both levels are JAX's own machinery:

* Devices (``--devices all|N``). Each chunk of a batch is placed on a one-axis device mesh with
  its batch axis sharded (``NamedSharding(mesh, PartitionSpec("batch"))``), so the chunk's one
  compiled, vmapped program runs SPMD: every device computes its slice, and the result is one
  array whose rows are in input order.
* Processes (``--distributed``). `jax.distributed` joins the processes; it finds the coordinator
  and the process's rank itself under SLURM, Open MPI and on TPU pods, or takes them from
  ``--coordinator``, ``--num-processes`` and ``--process-id``. Every process reads the batch (or
  draws the same sample), evaluates its share of each chunk (a contiguous slice) on its own
  devices, and `process_allgather` concatenates the shares in process order, which is input
  order. Only process 0 writes.

Chunks are sized to a multiple of ``processes × devices per process`` so that every device gets
the same number of rows and one shape is compiled. Each point's result is computed by the same
program whatever the split, so the output does not depend on the number of devices or processes.
JAX is imported only inside functions.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

from .._problem import PYTHON, Labels
from ..errors import DistributedError, UsageError

AXIS = "batch"
DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class ScaleOut:
    """How a batch may be spread: the options ``--devices`` and ``--distributed``.

    Attributes:
        devices: devices per process; None for all local devices of the chosen platform.
        distributed: join the other processes of the run with `jax.distributed`.
        coordinator: ``HOST:PORT`` of process 0; None to detect it (SLURM, Open MPI, ...).
        num_processes: the number of processes; None to detect it.
        process_id: this process's rank, 0 to ``num_processes - 1``; None to detect it.
        timeout: seconds to wait for every process to join, and for a silent process before
            the run is given up.
    """

    devices: int | None = None
    distributed: bool = False
    coordinator: str | None = None
    num_processes: int | None = None
    process_id: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    labels: Labels = PYTHON
    """How messages name the options (the command line's flags, or Python's names)."""


# --- processes --------------------------------------------------------------------------------


@dataclass
class _Joined:
    process: int = 0
    processes: int = 1
    active: bool = False


_JOINED = _Joined()


def count_from(text: str | int | None) -> int:
    """``text`` as a whole number of devices, processes or workers; 0 when it is none.

    >>> count_from("4"), count_from("many"), count_from(None)
    (4, 0, 0)
    """
    try:
        return int(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def begin(scale: ScaleOut, show_log: bool = False) -> int | None:
    """Join the distributed run when ``scale.distributed``; do nothing otherwise.

    It must run before JAX computes anything. The process splits in two first (see
    `runtime.supervise_distributed`): the parent only waits for the child and returns its exit
    code; the child joins the run and returns None, and goes on to compute.
    """
    if not scale.distributed:
        return None
    from .. import _runtime as runtime

    _refuse_busy_port(scale)

    code = runtime.supervise_distributed(scale, show_log)
    if code is not None:
        return code
    _join(scale)
    return None


def _refuse_busy_port(scale: ScaleOut) -> None:
    """On process 0, refuse a coordinator port that another program holds, before JAX's
    coordinator fails on it in native code (where the process dies without a word)."""
    if scale.process_id != 0 or scale.coordinator is None:
        return
    import errno
    import socket

    port = int(scale.coordinator.rsplit(":", 1)[1])
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As a server binds: a port left in TIME_WAIT by an earlier run is free to take.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("", port))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return  # not ours to judge (no IPv4, say): the coordinator reports its own
            name = scale.labels
            raise UsageError(
                f"the coordinator's port {port} is busy: another program listens on it",
                hint=f"pick a free port for {name('coordinator')} HOST:PORT on every process",
            ) from None


def _join(scale: ScaleOut) -> None:
    import jax

    from .. import _runtime as runtime

    with contextlib.suppress(AttributeError, KeyError, ValueError):
        # CPU processes exchange their shares through Gloo (the default in recent JAX).
        jax.config.update("jax_cpu_collectives_implementation", "gloo")
    # One patience for joining, for a silent peer and for leaving: the user gave one number.
    seconds = max(1, math.ceil(scale.timeout))
    timeouts = ("initialization_timeout", "heartbeat_timeout_seconds", "shutdown_timeout_seconds")
    try:
        jax.distributed.initialize(
            coordinator_address=scale.coordinator,
            num_processes=scale.num_processes,
            process_id=scale.process_id,
            **dict.fromkeys(timeouts, seconds),
        )
    except ValueError as exc:
        name = scale.labels
        raise UsageError(
            f"{name('distributed')} found no cluster to join ({exc})",
            hint=f"run under srun or mpirun, or give {name('coordinator')} HOST:PORT "
            f"{name('num_processes')} N {name('process_id')} I",
        ) from None
    except RuntimeError as exc:
        raise DistributedError(
            f"could not start the distributed run: {str(exc).strip()}",
            hint="is the coordinator's port free on process 0, and reachable from every host?",
        ) from None
    _JOINED.process, _JOINED.processes, _JOINED.active = (
        jax.process_index(),
        jax.process_count(),
        True,
    )
    runtime.announce_joined(_JOINED.process, _JOINED.processes)


def writes() -> bool:
    """Whether this process writes the results: always, except the non-zero processes of a
    distributed run."""
    return _JOINED.process == 0


def finish() -> None:
    """Leave the distributed run once every share is assembled, before the results are written,
    so that a process that ends later cannot take this one down with it."""
    if _JOINED.active:
        import jax

        jax.distributed.shutdown()
        _JOINED.active = False


# --- devices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """How the chunks of a batch are laid out: over a mesh of this process's devices, and over
    the processes of a distributed run.

    Attributes:
        mesh: a one-axis `jax.sharding.Mesh` (axis ``"batch"``) of this process's devices.
        process: this process's rank.
        processes: the number of processes.
        multiple: every chunk's length is a multiple of this (equal rows on every device).
    """

    mesh: Any
    process: int
    processes: int
    multiple: int

    @property
    def sharded(self) -> Any:
        """Arrays whose leading (batch) axis is split over the mesh."""
        from jax.sharding import NamedSharding, PartitionSpec

        return NamedSharding(self.mesh, PartitionSpec(AXIS))

    @property
    def replicated(self) -> Any:
        """Arrays held whole on every device of the mesh (a vector shared by all points)."""
        from jax.sharding import NamedSharding, PartitionSpec

        return NamedSharding(self.mesh, PartitionSpec())

    def share(self, padded: int) -> slice:
        """The rows of a chunk of ``padded`` rows that this process evaluates."""
        rows = padded // self.processes
        return slice(self.process * rows, (self.process + 1) * rows)

    def gather(self, tree: Any) -> Any:
        """Every process's share of a chunk (NumPy arrays, equal shapes), concatenated in process
        order, on every process."""
        if self.processes == 1:
            return tree
        from jax.experimental import multihost_utils

        return multihost_utils.process_allgather(tree, tiled=True)


def spread(device: Any, scale: ScaleOut | None) -> Spread | None:
    """The layout for a batch on ``device``'s platform, or None when one device of one process
    does all the work (the unsharded path, unchanged).

    Raises:
        UsageError: ``devices`` asks for more devices than this process has.
    """
    import jax
    import numpy as np
    from jax.sharding import Mesh

    scale = scale or ScaleOut()
    platform = device.platform
    local = list(jax.local_devices(backend=platform))
    # The chosen device first: a single device's results then come from where they did before.
    local.sort(key=lambda d: (d != device, d.id))
    count = len(local) if scale.devices is None else scale.devices
    if count > len(local):
        devices = scale.labels("devices")
        raise UsageError(
            f"{devices} {count}: this process has {len(local)} {platform} "
            f"device{'' if len(local) == 1 else 's'}",
            hint=(
                f"for {count} CPU devices set JAX_NUM_CPU_DEVICES={count} before starting jaccli"
                if platform == "cpu"
                else f"choose fewer, or {devices} all"
            ),
        )
    processes = jax.process_count() if _JOINED.active else 1
    if count == 1 and processes == 1:
        return None
    if processes > 1 and scale.devices is None:
        # Every process must cut its share to fit its own devices: use a common multiple.
        owners = [d.process_index for d in jax.devices(backend=platform)]
        per_process = math.lcm(*(owners.count(p) for p in range(processes)))
    else:
        per_process = count
    mesh = Mesh(np.array(local[:count]), (AXIS,))
    return Spread(
        mesh, _JOINED.process if _JOINED.active else 0, processes, processes * per_process
    )
