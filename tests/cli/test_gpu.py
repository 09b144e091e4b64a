"""The accelerator run: every seed function, a batch, a sparse Jacobian, DGSM and
``--devices all`` on a GPU, each equal to the CPU's answer to 1e-12.

Marked ``gpu``: the default run leaves them out (``-m "not gpu"`` in pyproject's addopts), and
``python -m bench gpu`` runs them (``-m gpu``) once JAX sees a GPU. ``JACCLI_TEST_DEVICE=cpu``
runs the same tests on CPU devices (``python -m bench gpu --cpu``, with two CPU devices), which
proves the tests themselves when no GPU is at hand.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from test_samples import SAMPLES, documented_commands

pytestmark = pytest.mark.gpu

DEVICE = os.environ.get("JACCLI_TEST_DEVICE", "gpu")
# The commands that take --device: the derivatives and the sensitivity analyses.
ON_A_DEVICE = ("jacobian", "grad", "hessian", "sensitivity")
SEED_COMMANDS = [
    command
    for path in SAMPLES
    for command in documented_commands(path)
    if shlex.split(command)[1] in ON_A_DEVICE
]
R2R3 = """
import jax.numpy as jnp


def f(x):
    return jnp.stack([x[0] * x[1], jnp.sin(x[0]) + x[1] ** 2, jnp.exp(-x[0]) * jnp.cos(x[1])])
"""
ISHIGAMI_DGSM = ("sensitivity", "samples/ishigami.py", "--bounds=-pi:pi", "--method", "dgsm")


@pytest.fixture(autouse=True)
def device_present() -> None:
    """A run on a machine whose JAX sees no such device is skipped: a hardware condition."""
    import jax

    try:
        jax.devices(DEVICE)
    except RuntimeError:
        pytest.skip(f"no {DEVICE.upper()} visible to JAX")


def numbers(value: Any) -> np.ndarray | None:
    """A JSON number or nested list of numbers as an array; None for anything else."""
    if isinstance(value, (str, dict)) or value is None:
        return None
    try:
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None


def assert_same_numbers(got: Any, expected: Any, where: str = "") -> None:
    """Every number of two JSON results equal to 1e-12 (relative, and absolute near zero);
    every other field equal, except the device each ran on."""
    if isinstance(expected, dict):
        assert got.keys() == expected.keys(), where
        for key in expected.keys() - {"device"}:
            assert_same_numbers(got[key], expected[key], f"{where}.{key}")
    elif numbers(expected) is not None:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12, err_msg=where)
    elif isinstance(expected, list):
        assert len(got) == len(expected), where
        for i, (a, b) in enumerate(zip(got, expected, strict=True)):
            assert_same_numbers(a, b, f"{where}[{i}]")
    else:
        assert got == expected, where


def on_device_and_cpu(cli, *args: str) -> tuple[Any, Any]:
    """The JSON results of ``jaccli ARGS`` on the device under test and on the CPU."""
    results = []
    for device in (DEVICE, "cpu"):
        run = cli(*args, "--device", device, "--format", "json")
        assert run.code == 0, run.stderr
        results.append(run.json())
    return results[0], results[1]


@pytest.mark.parametrize("command", SEED_COMMANDS)
def test_seed_function_on_the_device_equals_the_cpu(cli, command: str) -> None:
    got, expected = on_device_and_cpu(cli, *shlex.split(command)[1:])
    assert got["device"] == DEVICE
    assert_same_numbers(got, expected)


def batch_on(cli, tmp_path: Path, device: str, *options: str) -> np.ndarray:
    """Per-sample Jacobians of r2r3 at 1,001 points (the last chunk padded) on ``device``."""
    source, points = tmp_path / "r2r3.py", tmp_path / "points.npy"
    if not source.exists():
        source.write_text(R2R3)
        np.save(points, np.random.default_rng(7).uniform(-2, 2, size=(1001, 2)))
    output = tmp_path / f"{device}{''.join(options)}.npy"
    run = cli(
        "jacobian", str(source), "--batch", str(points), "--output", str(output), "--quiet",
        "--device", device, *options,
    )  # fmt: skip
    assert run.code == 0, run.stderr
    return np.load(output)


def test_a_batch_on_the_device_equals_the_cpu(cli, tmp_path: Path) -> None:
    got = batch_on(cli, tmp_path, DEVICE, "--devices", "1")
    expected = batch_on(cli, tmp_path, "cpu", "--devices", "1")
    assert got.shape == (1001, 3, 2)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_a_batch_over_all_devices_equals_one_cpu_device(cli, tmp_path: Path) -> None:
    got = batch_on(cli, tmp_path, DEVICE, "--devices", "all")
    expected = batch_on(cli, tmp_path, "cpu", "--devices", "1")
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_a_sparse_jacobian_on_the_device_equals_the_cpu(cli, tmp_path: Path) -> None:
    x = tmp_path / "x.npy"
    n = 300
    np.save(x, np.random.default_rng(3).uniform(-1, 1, size=n))
    args = ("jacobian", "samples/broyden.py", "--at", f"@{x}", "--sparse")
    got, expected = on_device_and_cpu(cli, *args)
    assert_same_numbers(got, expected)
    coo = got["result"]
    assert coo["format"] == "coo"
    dense = np.zeros(coo["shape"])
    dense[coo["rows"], coo["cols"]] = coo["values"]
    # Broyden's tridiagonal function: ∂fᵢ/∂xᵢ = 3 − 4xᵢ, ∂fᵢ/∂xᵢ₋₁ = −1, ∂fᵢ/∂xᵢ₊₁ = −2.
    exact = np.diag(3 - 4 * np.load(x)) - np.eye(n, k=-1) - 2 * np.eye(n, k=1)
    np.testing.assert_allclose(dense, exact, rtol=1e-12, atol=1e-12)


def test_dgsm_on_the_device_equals_the_cpu(cli) -> None:
    got, expected = on_device_and_cpu(cli, *ISHIGAMI_DGSM, "--samples", "4096")
    assert got["device"] == DEVICE
    assert_same_numbers(got, expected)


def test_dgsm_over_all_devices_equals_one_cpu_device(cli) -> None:
    run = cli(
        *ISHIGAMI_DGSM, "--samples", "4096", "--devices", "all", "--device", DEVICE, "-f", "json"
    )
    assert run.code == 0, run.stderr
    one = cli(
        *ISHIGAMI_DGSM, "--samples", "4096", "--devices", "1", "--device", "cpu", "-f", "json"
    )
    assert one.code == 0, one.stderr
    assert_same_numbers(run.json(), one.json())
