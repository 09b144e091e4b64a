"""The table of a local analysis with a step: beside the linear prediction J·dx, the actual change
of each input moved alone, and, per output, the whole step's actual change and linearisation
error — the numbers a user needs to judge whether the first-order picture holds."""

from __future__ import annotations

import math
import re

import pytest


def table(cli, *args: str) -> str:
    run = cli("sensitivity", *args, "-f", "table")
    assert run.code == 0, run.stderr
    return " ".join(run.stdout.split())  # the footer wraps with the width; compare words


def footer(text: str) -> list[tuple[float, float, float]]:
    """(actual, linear, error) of every "dx at once" line, in output order."""
    found = re.findall(
        r"dx at once: actual f\(x\+dx\) − f\(x\) = (\S+), linear J·dx = (\S+), "
        r"linearisation error (\S+)",
        text,
    )
    return [tuple(float(v) for v in row) for row in found]


def test_sin_at_one_shows_the_actual_change_beside_the_linear_one(cli):
    text = table(cli, "-e", "sin(x)", "--at", "1", "--dx", "0.5")
    actual, linear = math.sin(1.5) - math.sin(1), math.cos(1) * 0.5
    [(got_actual, got_linear, error)] = footer(text)
    assert got_actual == pytest.approx(actual, rel=1e-5)
    assert got_linear == pytest.approx(linear, rel=1e-5)
    assert error == pytest.approx(actual - linear, rel=1e-5)
    assert "(73% of the actual)" in text
    # The row: J·dx, then the actual change of x moved alone.
    assert re.search(r"1 x 0\.540302 0\.642093 0\.270151 0\.156024 ", text)


def test_exp_far_from_linear_and_a_line_exactly_linear(cli):
    [(actual, linear, error)] = footer(table(cli, "-e", "exp(x)", "--at", "0", "--dx", "1"))
    assert (actual, linear) == (pytest.approx(math.e - 1, rel=1e-5), 1.0)
    assert error == pytest.approx(math.e - 2, rel=1e-5)
    [(actual, linear, error)] = footer(table(cli, "-e", "3*x - 2*y", "--at", "1,1", "--dx", "2,1"))
    assert actual == linear == 4.0 and error == 0.0


def test_each_output_has_its_own_line_and_inputs_their_own_actual_change(cli):
    text = table(cli, "-e", "[x**2*y, x + y]", "--at", "x=1,y=2", "--dx", "x=0.5,y=0.1")
    # f0: 1.5²·2.1 − 2 = 2.725 against 4·0.5 + 1·0.1 = 2.1; f1 is linear.
    assert footer(text) == [(2.725, 2.1, 0.625), (0.6, 0.6, pytest.approx(0, abs=1e-15))]
    # x alone: 1.5²·2 − 2 = 2.5 (J·dx 2); y alone: 1·2.1 − 2 = 0.1.
    assert re.search(r"1 x 4 2 2 2\.5 ", text) and re.search(r"2 y 1 1 0\.1 0\.1 ", text)


def test_a_step_whose_actual_change_is_zero_gives_no_percentage(cli):
    # (1 − 2)² − 1² = 0 while J·dx = −4: the whole change is linearisation error.
    text = table(cli, "-e", "x**2", "--at", "1", "--dx", "-2")
    assert footer(text) == [(0.0, -4.0, 4.0)]
    assert "% of the actual" not in text


def test_a_relative_step_and_the_csv_column(cli):
    text = table(cli, "samples/beam.py", "--at", "F=1000,L=2,E=2e11,I=8e-6", "--rel-dx", "0.1")
    base = 1000 * 8 / (3 * 2e11 * 8e-6)
    [(actual, linear, _)] = footer(text)
    assert actual == pytest.approx(base * (1.1**2 - 1), rel=1e-5)
    assert linear == pytest.approx(base * 0.2, rel=1e-5)
    run = cli("sensitivity", "-e", "x**2*y", "--at", "1,2", "--dx", "0.5,0.1", "-f", "csv")
    lines = run.stdout.splitlines()
    assert lines[0].endswith("J·dx,f(x+dxⱼ)−f(x)")
    assert lines[1].startswith("f,x,1,") and lines[1].endswith(",2.0,2.5")


def test_without_a_step_there_is_no_perturbation_line(cli):
    text = table(cli, "-e", "x*y", "--at", "1,2", "--sigma", "0.1,0.1")
    assert "dx at once" not in text and "f(x+dxⱼ)" not in text
