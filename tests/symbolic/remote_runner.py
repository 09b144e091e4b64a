"""One case of test_remote, in a fresh interpreter: fork the SymPy process before JAX is imported
(as the console does), then compute the derivative of the case's function there and here.

Usage: python remote_runner.py CASE.json, where the case has ``body`` (or ``expression``),
``point``, ``order`` and,
optionally, ``stop_early`` (close the request unanswered and say whether the process is gone)
``cpu_seconds`` (the SymPy process's CPU limit) and ``far_only`` (no derivative computed here).
Prints JSON: ``[far, far_where, here, here_where]``, each outcome ``["value", nested list]`` or
``[refusal class, reason, hint]``; with ``stop_early``, ``{"gone": bool}``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from jaccli._symbolic import limits, remote


def outcome(pending):
    from jaccli._symbolic import SymbolicUnavailable

    try:
        return ["value", pending.result().tolist()]
    except SymbolicUnavailable as exc:
        return [type(exc).__name__, exc.reason, exc.hint]


def main(path: str) -> None:
    case = json.loads(Path(path).read_text())
    if "cpu_seconds" in case:
        limits.MAX_CPU_SECONDS = case["cpu_seconds"]
    assert remote.launch(), "no SymPy process could start"
    from symbolic_cases import bind, traced_file  # imports JAX, after the fork

    from jaccli._symbolic import exact_at

    if "expression" in case:
        from jaccli._load import from_expression

        function = from_expression(case["expression"])
    else:
        function = traced_file(Path(path).parent, case["body"])
    problem = bind(function, **case["point"])
    far = exact_at(problem, case["order"])
    if case.get("stop_early"):
        pid = far._worker.pid
        far.close()
        try:
            os.kill(pid, 0)
            gone = False
        except ProcessLookupError:
            gone = True
        print(json.dumps({"gone": gone}))
        return
    results = [outcome(far), far.where]
    if case.get("far_only"):
        print(json.dumps(results))
        return
    here = exact_at(problem, case["order"])
    results += [outcome(here), here.where]
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1])
