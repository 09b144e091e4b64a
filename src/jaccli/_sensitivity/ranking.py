"""Names of the flat inputs and outputs, inputs ranked per output, and the short summary of
output values that headers show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .._problem import PYTHON, Labels, Problem
from ..errors import UsageError
from ..results import input_labels, output_labels


def names(problem: Problem) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The flat inputs' names (``x[0]``, ``p.a``) and the flat outputs' (``f``, ``f[1]``)."""
    return tuple(input_labels(problem.wrt, problem.at())), tuple(output_labels(problem.out_shape))


def check_top(top: int | None, labels: Labels = PYTHON) -> None:
    """Refuse a ``top`` below 1: a ranking keeps at least one input.

    >>> check_top(3)
    """
    if top is not None and top < 1:
        raise UsageError(f"{labels('top')} must be at least 1, got {top}")


def rank(*keys: np.ndarray) -> np.ndarray:
    """Per row, column indices from the largest key to the smallest (later keys break ties);
    magnitudes count, and NaN ranks last.

    >>> rank(np.array([[1.0, -3.0, np.nan, 2.0]]))
    array([[1, 3, 0, 2]])
    """
    keys = tuple(np.nan_to_num(np.abs(k), nan=-1.0) for k in keys)
    return np.lexsort(tuple(-k for k in reversed(keys)), axis=-1)


def ranking(order: np.ndarray, inputs: Sequence[str], scalar: bool, top: int | None) -> Any:
    """The ranked input names: one list for a scalar output, else one list per output.

    >>> ranking(np.array([[1, 0]]), ["x", "y"], scalar=True, top=None)
    ['y', 'x']
    """
    lists = [[inputs[j] for j in row[:top]] for row in order]
    return lists[0] if scalar else lists


def summary(values: np.ndarray, shape: tuple[int, ...]) -> str:
    """Up to eight values in six significant digits, bracketed unless the output is a scalar.

    >>> summary(np.array([1 / 3]), ())
    '0.333333'
    """
    shown = ", ".join(f"{v:.6g}" for v in values[:8])
    return shown if shape == () else f"[{shown}{', …' if values.size > 8 else ''}]"
