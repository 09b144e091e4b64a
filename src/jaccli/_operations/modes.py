"""The mode of each command, and forward mode where reverse mode cannot be taken.

``auto`` picks reverse mode for a gradient, for the gradient inside a Hessian or an HVP, and for
a Jacobian with many more inputs than outputs (`compute.choose_mode`). Some programs JAX takes
forward but not in reverse (`lax.while_loop`, a custom rule that cannot be transposed): there
``auto`` takes forward mode and says why, and a reverse mode asked for by name is refused with
the mode that works. One point, a batch and ``info`` all decide here, so they agree.
"""

from __future__ import annotations

from typing import Any

from .._derivatives.modes import FORWARD, REVERSE, passes
from .._problem import Problem
from ..errors import UsageError

MODES = ("auto", *FORWARD, *REVERSE)


def check_mode(mode: str, labels: Any) -> None:
    """Refuse a mode other than auto, fwd (forward) or rev (reverse)."""
    if mode not in MODES:
        raise UsageError(f"{labels('mode')} must be auto, fwd or rev, got {mode!r}")


def reverse_or_forward(problem: Problem, requested: str) -> str | None:
    """Whether the problem's function can be differentiated in reverse mode: None when it can,
    else why not, for a reason that then names forward mode. ``requested="rev"`` where reverse
    mode cannot be taken is an error that says to use fwd.

    Reverse mode is traced abstractly once (`modes.reverse_obstacle`); nothing runs.
    """
    from .._derivatives import modes

    obstacle = problem.run(lambda: modes.reverse_obstacle(problem.call, problem.primals))
    if obstacle is None:
        return None
    if requested in REVERSE:
        label = problem.labels("mode")
        raise UsageError(
            f"reverse mode cannot differentiate {problem.function.source}: {obstacle}",
            hint=f"use {label} fwd (forward mode), or {label} auto, which falls back to it",
        )
    return f"reverse mode cannot be taken here ({obstacle})"


def gradient_mode(problem: Problem, mode: str) -> tuple[str, str]:
    """The mode of a gradient (alone, or inside a Hessian or an HVP): ``reverse`` unless
    forward mode is asked for or reverse mode cannot be taken; and, for forward, why."""
    if mode in FORWARD:
        return "forward", "forward mode requested"
    why = reverse_or_forward(problem, mode)
    return ("reverse", "") if why is None else ("forward", why)


def jacobian_mode(problem: Problem, requested: str) -> Any:
    """The mode of a Jacobian (`compute.choose_mode`), forward where reverse cannot be taken."""
    from .._derivatives import compute

    n, m = problem.n, problem.m
    choice = compute.choose_mode(n, m, requested)
    if choice.mode == "reverse":
        why = reverse_or_forward(problem, requested)
        if why:
            return compute.ModeChoice("forward", forward_instead(n, m, why))
    return choice


def forward_instead(n: int, m: int, why: str) -> str:
    """The reason for forward mode where reverse mode cannot be taken (``why``)."""
    return f"n={n}, m={m}: {why}, so forward mode: {passes(n, 'JVP')} (one per input)"
