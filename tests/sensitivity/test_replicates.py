"""Replicates: the interval of an estimate from its spread over independently scrambled
sequences, and how many of them (``--replicates``), checked against Student's t by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

import jaccli
from jaccli import parse_expr
from jaccli._sensitivity.replicates import jackknife, replicate_sizes
from jaccli.errors import UsageError

F = parse_expr("x + 2*y**2 + x*y")


def test_the_interval_of_a_mean_is_students_t_over_the_replicate_means():
    rng = np.random.default_rng(7)
    rows = rng.normal(size=(40, 3))
    estimate, half = jackknife(rows, [5] * 8, lambda means: means)
    group_means = rows.reshape(8, 5, 3).mean(axis=1)
    expected = stats.t.ppf(0.975, 7) * group_means.std(axis=0, ddof=1) / np.sqrt(8)
    np.testing.assert_allclose(estimate, rows.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(half, expected, rtol=1e-12)


def test_a_ratio_is_estimated_on_the_whole_sample_and_one_replicate_has_no_interval():
    # Replicate ratios 1, 0.75 and 3; of the whole sample 13/13.
    rows = np.array([[1.0, 2.0], [3.0, 2.0], [2.0, 4.0], [4.0, 4.0], [3.0, 1.0]])

    def ratio(means):
        return means[..., 0] / means[..., 1]

    estimate, half = jackknife(rows, [2, 2, 1], ratio)
    # Without each replicate in turn: 9/9, 7/5, 10/12.
    without = np.array([1.0, 7 / 5, 10 / 12])
    expected = stats.t.ppf(0.975, 2) * np.sqrt(2 * np.mean((without - without.mean()) ** 2))
    assert estimate == pytest.approx(1.0) and half == pytest.approx(expected, rel=1e-12)
    estimate, half = jackknife(rows, [5], ratio)
    assert estimate == pytest.approx(1.0) and np.isnan(half)


def test_sizes_split_the_sample_as_evenly_as_possible():
    for samples, replicates in [(1024, 8), (1000, 8), (9, 8), (7, 7), (100, 1), (33, 16)]:
        sizes = replicate_sizes(samples, replicates)
        assert sum(sizes) == samples and len(sizes) == replicates
        assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("method", ["dgsm", "sobol"])
def test_more_replicates_fewer_degrees_of_freedom_lost_and_one_replicate_no_interval(method):
    keys = {"dgsm": ("vi", "dgsm"), "sobol": ("S1", "ST")}[method]
    wide = jaccli.sensitivity(F, bounds="0:1", method=method, samples=64, replicates=16)
    d = wide.to_dict()
    assert d["replicates"] == 16 and "t on 15 degrees of freedom" in d["interval"]
    assert "16 independently scrambled" in d["sampling"]
    one = jaccli.sensitivity(F, bounds="0:1", method=method, samples=64, replicates=1)
    d = json.loads(json.dumps(one.to_dict()), parse_constant=pytest.fail)
    assert d["replicates"] == 1 and d["interval"] is None
    assert "one scrambled Sobol' sequence" in d["sampling"]
    for key in keys:
        assert all(np.isfinite(d["indices"][key]))
        assert d["indices"][f"{key}_conf"] == [None, None]


def test_one_replicate_shows_estimates_without_plus_minus(cli):
    run = cli("sensitivity", "-e", "x + 2*y", "--bounds", "0:1", "--replicates", "1", "-f", "table")
    assert run.code == 0, run.stderr
    assert "no confidence intervals" in run.stdout and "±" not in run.stdout
    run = cli(
        "sensitivity", "-e", "x + 2*y**2", "--bounds", "0:1", "--samples", "64", "-f", "table"
    )
    assert "± is the half-width of the 95% confidence interval: Student's t" in run.stdout


@pytest.mark.parametrize(
    ("method", "replicates", "message"),
    [
        ("dgsm", 0, "from 1 to samples (64)"),
        ("sobol", 65, "from 1 to samples (64)"),
        ("dgsm", 2.5, "must be an integer"),
        ("morris", 4, "Morris trajectories are independent already"),
    ],
)
def test_bad_replicates_are_refused(method, replicates, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        jaccli.sensitivity(F, bounds="0:1", method=method, samples=64, replicates=replicates)


def test_replicates_are_for_a_global_analysis(cli):
    with pytest.raises(UsageError, match="for a global analysis"):
        jaccli.sensitivity(F, 1.0, 2.0, replicates=4)
    run = cli("sensitivity", "-e", "x*y", "--at", "1,2", "--replicates", "4")
    assert run.code == 2 and "--replicates and --dimension apply to a global analysis" in run.stderr
