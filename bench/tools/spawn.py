"""Run one command and report its wall time, CPU time and peak memory: ``python -I -S
bench/tools/spawn.py REPORT.json COMMAND...`` (the benchmarks start every timed run this way).

Why a process in between: Linux charges a child the peak memory of the process that started it
(``ru_maxrss`` keeps the high-water mark of the memory the child had before ``exec``, which for
a ``fork`` or ``vfork`` is the parent's). A benchmark that has loaded a 10⁷-entry array would
make every tool it starts look at least that big. This script is started with Python's
isolated, site-free flags (a few MiB), starts the command itself, and writes what ``wait4``
says about it. It imports little (``os``, ``signal``, ``sys``, ``time``), and forwards SIGTERM and SIGABRT.
"""

import os
import signal
import sys
import time


def main() -> None:
    report, argv = sys.argv[1], sys.argv[2:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)

    def forward(signum: int, frame: object) -> None:
        try:  # noqa: SIM105  (contextlib would be this script's only import beyond os and sys)
            os.kill(pid, signum)
        except ProcessLookupError:  # it has ended already
            pass

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGABRT, forward)
    while True:
        try:
            _, status, usage = os.wait4(pid, 0)
            break
        except InterruptedError:
            continue
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    with open(report, "w") as out:
        cpu = usage.ru_utime + usage.ru_stime
        out.write(
            f'{{"wall": {wall!r}, "cpu": {cpu!r}, "maxrss_kib": {usage.ru_maxrss}, '
            f'"returncode": {code}}}'
        )
    sys.exit(code if code >= 0 else 128 - code)


if __name__ == "__main__":
    main()
