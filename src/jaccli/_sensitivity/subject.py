"""What a global result describes: a function bound to its inputs, or a model run outside
jaccli on a design (``analyze``), with its flat inputs and outputs named alike."""

from __future__ import annotations

from dataclasses import dataclass

from .._problem import Problem
from ..results import FunctionInfo
from .ranking import names


@dataclass(frozen=True)
class Subject:
    """The function or model of a global analysis: how it is described in the result, its flat
    inputs and outputs, the output's shape, and where it ran."""

    info: FunctionInfo
    wrt: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    out_shape: tuple[int, ...]
    dtype: str
    device: str


def subject_of(problem: Problem) -> Subject:
    """The subject of a global analysis of ``problem``'s function.

    >>> from jaccli import parse_expr
    >>> from jaccli._problem import prepare
    >>> subject_of(prepare(parse_expr("x * y"), {"x": 1.0, "y": 2.0})).inputs
    ('x', 'y')
    """
    inputs, outputs = names(problem)
    return Subject(
        problem.info(),
        tuple(problem.wrt),
        inputs,
        outputs,
        tuple(problem.out_shape),
        problem.dtype,
        problem.device_name,
    )
