"""Confidence intervals mean what they say: over many seeds, a 95% interval holds the exact index
about 95% of the time — not 100% with half-widths ten times the error, as a bootstrap that takes
scrambled Sobol' points for independent draws gives.

Functions with closed-form indices (Ishigami, Sobol' G, a product, a sum of normal inputs) are
evaluated in NumPy on jaccli's own samples and analysed by jaccli's own estimators, so that many
seeds stay fast; one seed is checked against the full `jaccli.sensitivity` to tie the two.
Small samples keep it quick; `python -m bench coverage` runs the larger study."""

from __future__ import annotations

import numpy as np
import pytest
from closed_forms import G_A, G_EXPR, ISHIGAMI, A, B, g_truth, ishigami_truth

import jaccli
from jaccli import parse_expr
from jaccli._load import parse_bounds
from jaccli._sensitivity.dgsm import dgsm_indices
from jaccli._sensitivity.salib_methods import morris_indices
from jaccli._sensitivity.saltelli import saltelli_points, sobol_indices
from jaccli._sensitivity.sample import from_unit, replicated_sobol_points

SEEDS = range(24)
PI = np.pi


def ishigami(x):
    x1, x2, x3 = x.T
    value = np.sin(x1) + A * np.sin(x2) ** 2 + B * x3**4 * np.sin(x1)
    gradient = np.stack(
        [np.cos(x1) * (1 + B * x3**4), 2 * A * np.sin(x2) * np.cos(x2), 4 * B * x3**3 * np.sin(x1)],
        axis=1,
    )
    return value, gradient


def g_function(x):
    a = np.array(G_A)
    factors = (np.abs(4 * x - 2) + a) / (1 + a)
    value = np.prod(factors, axis=1)
    return value, value[:, None] / factors * 4 * np.sign(4 * x - 2) / (1 + a)


def product(x):
    return x[:, 0] * x[:, 1], x[:, ::-1].copy()


# Var(x₁x₂) = 1/9 − 1/16 = 7/144 on [0, 1]²; V₁ = Var(x₁/2) = 3/144; ν₁ = E[x₂²] = 1/3.
PRODUCT = {"S1": np.array([3, 3]) / 7, "ST": np.array([4, 4]) / 7, "vi": np.array([1, 1]) / 3}
PRODUCT["dgsm"] = PRODUCT["vi"] / PI**2 / (7 / 144)  # C = (b − a)²/π² on [0, 1]

CASES = {
    "ishigami": (ishigami, "-pi:pi", 3, ishigami_truth()),
    "g": (g_function, "0:1", 4, g_truth()),
    "product": (product, "0:1", 2, PRODUCT),
}


def distributions(bounds: str, n: int):
    return [parse_bounds(bounds)[None]] * n


def sobol_run(case: str, samples: int, seed: int) -> dict[str, np.ndarray]:
    f, bounds, n, _ = CASES[case]
    unit, sizes = saltelli_points(samples, n, seed, replicates=8)
    values = f(from_unit(unit, distributions(bounds, n)))[0][:, None]
    return sobol_indices(values, n, sizes)


def dgsm_run(case: str, samples: int, seed: int) -> dict[str, np.ndarray]:
    f, bounds, n, _ = CASES[case]
    unit, sizes = replicated_sobol_points(samples, n, seed)
    values, gradients = f(from_unit(unit, distributions(bounds, n)))
    return dgsm_indices(values[:, None], gradients[:, None, :], distributions(bounds, n), sizes)


def coverage(run, case: str, keys: tuple[str, ...], samples: int) -> tuple[float, float]:
    """The share of intervals that hold the exact index over `SEEDS`, and the mean error over
    the mean half-width (about 0.34 for t on 7 degrees of freedom)."""
    truth = CASES[case][3]
    errors, halves = [], []
    for seed in SEEDS:
        found = run(case, samples, seed)
        for key in keys:
            errors.append(np.abs(found[key][0] - truth[key]))
            halves.append(found[f"{key}_conf"][0])
    errors, halves = np.concatenate(errors), np.concatenate(halves)
    return float(np.mean(errors <= halves)), float(np.mean(errors) / np.mean(halves))


@pytest.mark.parametrize("case", ["ishigami", "g", "product"])
def test_sobol_intervals_hold_the_truth_about_95_percent_of_the_time(case):
    held, tightness = coverage(sobol_run, case, ("S1", "ST"), samples=128)
    assert 0.88 <= held <= 0.995, held
    # Not a blanket: the errors are a fair share of the half-widths (a bootstrap of the
    # scrambled points gave about 0.1).
    assert tightness > 0.2, tightness


@pytest.mark.parametrize("case", ["ishigami", "g", "product"])
def test_dgsm_intervals_hold_the_truth_about_95_percent_of_the_time(case):
    held, tightness = coverage(dgsm_run, case, ("vi", "dgsm"), samples=128)
    assert 0.88 <= held <= 1.0, held
    assert tightness > 0.2, tightness


def test_a_measure_the_sample_gets_exactly_has_a_tiny_interval():
    # ν = E[(2π cos 2πx)²] = 2π²: scrambled Sobol' points integrate it almost exactly, and the
    # interval says so (a bootstrap of the points said ±3%).
    n = 1
    unit, sizes = replicated_sobol_points(4096, n, seed=0)
    x = unit[:, 0]
    values, gradients = np.sin(2 * PI * x)[:, None], 2 * PI * np.cos(2 * PI * x)[:, None, None]
    found = dgsm_indices(values, gradients, distributions("0:1", n), sizes)
    assert abs(found["vi"][0, 0] - 2 * PI**2) <= found["vi_conf"][0, 0] * 2
    assert found["vi_conf"][0, 0] < 1e-6 * 2 * PI**2


def test_a_linear_function_has_exact_measures_and_zero_half_widths():
    result = jaccli.sensitivity(parse_expr("2*x - 3*y"), bounds="0:1", method="dgsm", samples=64)
    indices = result.to_dict()["indices"]
    np.testing.assert_allclose(indices["vi"], [4.0, 9.0], rtol=1e-14)
    np.testing.assert_allclose(indices["vi_conf"], [0.0, 0.0], atol=1e-12)


def test_morris_intervals_hold_the_truth_about_95_percent_of_the_time():
    from SALib.sample import morris

    # f = x₁² + x₂ on a 4-level grid (Δ = 2/3): x₁'s elementary effects are 2/3 and 4/3,
    # equally likely, so μ* = 1; x₂'s are all 1, and its interval is 0.
    spec = {"num_vars": 2, "names": ["x1", "x2"], "bounds": [[0.0, 1.0]] * 2}
    held = []
    for seed in SEEDS:
        unit = morris.sample(spec, 20, num_levels=4, seed=seed)
        values = (unit[:, 0] ** 2 + unit[:, 1])[:, None]
        found = morris_indices(spec, unit, values, seed, [])
        held.append(abs(found["mu_star"][0, 0] - 1) <= found["mu_star_conf"][0, 0])
        assert found["mu_star"][0, 1] == pytest.approx(1) and found["mu_star_conf"][0, 1] < 1e-12
    assert 0.85 <= np.mean(held) <= 1.0, np.mean(held)


@pytest.mark.parametrize(
    ("method", "run", "expr", "case"),
    [("sobol", sobol_run, ISHIGAMI, "ishigami"), ("dgsm", dgsm_run, G_EXPR, "g")],
)
def test_the_study_above_is_what_jaccli_sensitivity_computes(method, run, expr, case):
    bounds, n = CASES[case][1], CASES[case][2]
    result = jaccli.sensitivity(parse_expr(expr), bounds=bounds, method=method, samples=64, seed=5)
    d = result.to_dict()
    assert d["replicates"] == 8 and "Student's t on 7 degrees of freedom" in d["interval"]
    mine = run(case, 64, 5)
    for key, value in mine.items():
        np.testing.assert_allclose(d["indices"][key], value[0], rtol=1e-9, atol=1e-12)
    assert len(d["inputs"]) == n
