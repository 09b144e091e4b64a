"""jaccli's own Sobol' points are SciPy's, bit for bit (scrambled and not); its Saltelli sample is
SALib's; its t quantile is SciPy's; and so DGSM and Sobol' import neither ``scipy.stats``, SALib
nor pandas."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pytest
from scipy.special import stdtrit
from scipy.stats import qmc

from jaccli._sensitivity.replicates import replicate_generators, replicate_sizes, t_quantile
from jaccli._sensitivity.saltelli import saltelli_points
from jaccli._sensitivity.sobol_sequence import (
    direction_table,
    initial_directions,
    sequence,
    sobol_points,
)


def scipy_sobol(count: int, dimension: int, seed: int, scramble: bool = True) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # counts that are not powers of two
        engine = qmc.Sobol(dimension, scramble=scramble, rng=np.random.default_rng(seed))
        return engine.random(count)


@pytest.mark.parametrize("dimension", [1, 2, 3, 7, 40, 500])
@pytest.mark.parametrize("count", [1, 2, 5, 64, 1000])
def test_scrambled_points_are_scipys_bit_for_bit(dimension, count):
    for seed in (0, 11):
        np.testing.assert_array_equal(
            sobol_points(count, dimension, seed), scipy_sobol(count, dimension, seed)
        )


def test_a_generator_is_used_as_scipy_uses_it():
    ours, theirs = replicate_generators(3, 2), replicate_generators(3, 2)
    for a, b in zip(ours, theirs, strict=True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            expected = qmc.Sobol(4, rng=b).random(10)
        np.testing.assert_array_equal(sobol_points(10, 4, a), expected)


def test_unscrambled_points_are_the_published_sequence():
    # The first points of the Joe–Kuo sequence in two dimensions, by hand, then SciPy's in many.
    v = initial_directions(2, *direction_table())
    first = sequence(8, v, np.zeros(2, dtype=np.uint64))
    halves = [[0, 0], [0.5, 0.5], [0.75, 0.25], [0.25, 0.75], [0.375, 0.375]]
    np.testing.assert_array_equal(first[:5], halves)
    for dimension in (1, 9, 1111):
        v = initial_directions(dimension, *direction_table())
        np.testing.assert_array_equal(
            sequence(4096, v, np.zeros(dimension, dtype=np.uint64)),
            scipy_sobol(4096, dimension, 0, scramble=False),
        )


def test_the_saltelli_sample_is_salibs():
    from SALib.sample import sobol

    n, samples, replicates = 3, 20, 4
    spec = {"num_vars": n, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * n}
    sizes = replicate_sizes(samples, replicates)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parts = [
            sobol.sample(spec, size, calc_second_order=False, scramble=True, seed=rng)
            for size, rng in zip(sizes, replicate_generators(5, replicates), strict=True)
        ]
    unit, got_sizes = saltelli_points(samples, n, 5, replicates)
    assert got_sizes == sizes
    np.testing.assert_array_equal(unit, np.concatenate(parts))


@pytest.mark.parametrize("replicates", [2, 3, 4, 8, 9, 30, 101, 1001, 1002, 5000, 10**6])
def test_the_t_quantile_is_scipys(replicates):
    assert t_quantile(replicates) == pytest.approx(stdtrit(replicates - 1, 0.975), rel=1e-12)


def test_dgsm_and_sobol_import_neither_scipy_stats_salib_nor_pandas():
    code = (
        "import sys, numpy as np, jaccli\n"
        "f = jaccli.parse_expr('sin(x) + 7*sin(y)**2 + 0.1*z**4*sin(x)')\n"
        "for method in ('dgsm', 'sobol'):\n"
        "    jaccli.sensitivity(f, bounds='-3:3', method=method, samples=32)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('SALib', 'pandas')"
        " or m.startswith('scipy.stats') or m == 'scipy.special'))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "[]", run.stdout
