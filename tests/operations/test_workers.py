"""Black boxes (functions JAX cannot trace) evaluated by a pool of worker processes: the numbers
are those of one process, a failing point is named and stops the others, and a traced function
is left vectorised with a note."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import time

import numpy as np
import pytest

from jaccli._operations import parse_workers
from jaccli._operations.workers import Tasks, Workers, chunk_starts
from jaccli.errors import UsageError

# `float(x)` is Python control flow on a value: JAX cannot trace this model.
MODEL = """\
import numpy as np


def f(x, y, z):
    if float(x) > {limit}:
        {failure}
    return np.sin(x) + 7 * np.sin(y) ** 2 + 0.1 * z**4 * np.sin(x)
"""


def model(tmp_path, limit: float = 10.0, failure: str = "return 0.0") -> str:
    path = tmp_path / "model.py"
    path.write_text(MODEL.format(limit=limit, failure=failure))
    return str(path)


def sobol(cli, path: str, *extra: str):
    return cli(
        "sensitivity",
        path,
        "--bounds=-3:3",
        "--method",
        "sobol",
        "--samples",
        "8",
        "--format",
        "json",
        *extra,
    )


def test_sobol_of_a_black_box_is_the_same_with_one_and_four_workers(cli, tmp_path):
    path = model(tmp_path)
    one = sobol(cli, path)
    four = sobol(cli, path, "--workers", "4")
    assert one.code == four.code == 0, four.stderr
    a, b = one.json(), four.json()
    assert a.pop("warnings") != b.pop("warnings")
    assert a == b
    assert "4 worker processes" in four.stderr
    assert not multiprocessing.active_children() or all(
        "ForkServer" in type(p).__name__ for p in multiprocessing.active_children()
    )


def test_fd_gradient_and_dgsm_of_a_black_box_with_workers(cli, tmp_path):
    path = model(tmp_path)
    one = cli("grad", path, "--at", "1,2,3", "--format", "json").json()
    three = cli("grad", path, "--at", "1,2,3", "--workers", "3", "--format", "json").json()
    assert one["result"] == three["result"] and one["error_estimate"] == three["error_estimate"]
    assert (
        three["evaluations"] == 1 + 2 * 12 * 3 + 2 and "3 worker processes" in three["mode_reason"]
    )
    # Hand-derived: ∂f/∂x = cos x (1 + 0.1 z⁴), ∂f/∂y = 14 sin y cos y, ∂f/∂z = 0.4 z³ sin x.
    x, y, z = 1.0, 2.0, 3.0
    truth = [np.cos(x) * (1 + 0.1 * z**4), 14 * np.sin(y) * np.cos(y), 0.4 * z**3 * np.sin(x)]
    np.testing.assert_allclose([three["result"][k] for k in "xyz"], truth, rtol=1e-9)


def test_hessian_of_a_black_box_by_second_differences_with_workers(cli, tmp_path):
    path = model(tmp_path)
    one = cli("hessian", path, "--at", "1,2,3", "--format", "json").json()
    two = cli("hessian", path, "--at", "1,2,3", "--workers", "2", "--format", "json").json()
    assert one["result"] == two["result"] and one["method"] == "finite_differences"
    assert one["evaluations"] == 1 + 2 * 12 * 3 + 2 * 12 * 3 * 2 + 2
    x, y, z = 1.0, 2.0, 3.0
    h = two["result"]
    # Hand-derived second derivatives of sin x + 7 sin² y + 0.1 z⁴ sin x.
    np.testing.assert_allclose(
        [h["x"]["x"], h["y"]["y"], h["z"]["z"], h["x"]["z"], h["z"]["x"]],
        [
            -np.sin(x) * (1 + 0.1 * z**4),
            14 * np.cos(2 * y),
            1.2 * z**2 * np.sin(x),
            0.4 * z**3 * np.cos(x),
            0.4 * z**3 * np.cos(x),
        ],
        rtol=1e-7,
    )
    assert abs(h["x"]["y"]) < 1e-6


def test_a_batch_of_a_black_box_is_differentiated_point_by_point(cli, tmp_path):
    path = model(tmp_path)
    points = tmp_path / "points.csv"
    points.write_text("1,2,3\n0.5,0.1,2\n-1,0,1\n")
    args = ("jacobian", path, "--batch", str(points), "--format", "json")
    one, two = cli(*args), cli(*args, "--workers", "2")
    assert one.code == two.code == 0, two.stderr
    assert one.stdout == two.stdout
    rows = [json.loads(line) for line in two.stdout.splitlines()]
    assert [r["mode"] for r in rows] == ["finite_differences"] * 3
    x, y, z = 0.5, 0.1, 2.0
    np.testing.assert_allclose(
        [rows[1]["result"][k] for k in "xyz"],
        [np.cos(x) * (1 + 0.1 * z**4), 14 * np.sin(y) * np.cos(y), 0.4 * z**3 * np.sin(x)],
        rtol=1e-9,
    )


def test_a_failing_point_of_a_batch_is_named(cli, tmp_path):
    path = model(tmp_path, limit=0.75, failure="raise ValueError('out of range')")
    points = tmp_path / "points.csv"
    points.write_text("0,0,0\n0.5,0.5,0.5\n0.9,0,0\n")
    run = cli("grad", path, "--batch", str(points), "--workers", "2", "--format", "json")
    assert run.code == 3 and run.stdout == ""
    assert "failed at point 2 (x=0.9" in run.stderr and "out of range" in run.stderr


def test_dgsm_of_a_linear_black_box_is_exact(cli, tmp_path):
    path = tmp_path / "linear.py"
    path.write_text("def f(a, b):\n    return 2.0 * float(a) - 3.0 * float(b)\n")
    args = ("sensitivity", str(path), "--bounds", "a=0:1,b=-2:2", "--method", "dgsm")
    one = cli(*args, "--samples", "16", "--format", "json")
    two = cli(*args, "--samples", "16", "--format", "json", "--workers", "2")
    assert one.code == two.code == 0, one.stderr
    d = two.json()
    np.testing.assert_allclose(d["indices"]["vi"], [4.0, 9.0], rtol=1e-8)
    assert d["evaluations"] == 16 * 5 and "central differences" in d["sampling"]
    assert one.json()["indices"] == d["indices"]


def test_a_failing_point_is_named_and_stops_the_run(cli, tmp_path):
    path = model(tmp_path, limit=2.5, failure="raise ValueError('out of range')")
    run = sobol(cli, path, "--workers", "3")
    assert run.code == 3 and run.stdout == ""
    assert "failed at point" in run.stderr and "x = [" in run.stderr
    assert "out of range" in run.stderr and "Traceback" not in run.stderr
    assert not [p for p in multiprocessing.active_children() if "ForkServer" not in str(p)]


def test_a_worker_that_dies_is_an_error_not_a_hang(cli, tmp_path):
    path = model(tmp_path, limit=2.5, failure="import os; os._exit(9)")
    run = sobol(cli, path, "--workers", "2")
    assert run.code == 3 and "worker process died" in run.stderr


def test_the_python_api_takes_workers(tmp_path):
    import jaccli

    f = jaccli.load(model(tmp_path))
    options = {"bounds": "-3:3", "method": "morris", "samples": 4}
    serial = jaccli.sensitivity(f, **options).to_dict()
    pooled = jaccli.sensitivity(f, **options, workers=2).to_dict()
    assert serial["indices"] == pooled["indices"]
    with pytest.raises(UsageError, match="dask_timeout applies with dask"):
        jaccli.sensitivity(f, **options, dask_timeout=3)


def test_a_traced_function_ignores_workers_with_a_note(cli):
    run = cli(
        "sensitivity",
        "-e",
        "x + 2*y",
        "--bounds=0:1",
        "--method",
        "sobol",
        "--samples",
        "8",
        "--workers",
        "4",
        "--format",
        "json",
    )
    assert run.code == 0 and "apply to functions it cannot trace" in run.stderr


def test_workers_option_is_checked():
    assert parse_workers("auto") >= 1
    for bad in ("0", "-2", "many"):
        with pytest.raises(UsageError, match="auto or a positive number"):
            parse_workers(bad)


def test_chunks_cover_every_point_once_in_order():
    for count, workers in ((1, 8), (7, 2), (1000, 3)):
        tasks = chunk_starts(count, workers)
        assert tasks[0][0] == 0 and tasks[-1][1] == count
        assert all(a[1] == b[0] for a, b in itertools.pairwise(tasks))


def sleep_per_row(rows: np.ndarray) -> np.ndarray:
    """A task of a black box that waits 20 ms a run, as a simulator waiting on I/O would."""
    for _ in rows:
        time.sleep(0.02)
    return rows.sum(axis=1)


def test_eight_workers_take_under_0_4_of_one_process_on_a_sleeping_black_box():
    """Sobol' with N = 256 and 3 inputs: 1,280 runs of 20 ms, so one process needs 25.6 s at the
    least; 8 workers must take at most 0.4 × that, results in order. Only the pool is timed: a
    worker that evaluates a function also starts JAX, whose start-up BENCHMARKS.md measures in
    whole commands (on a busy 2-core machine it can take several seconds per worker)."""
    from jaccli._operations.pool import spread_tasks

    points = np.arange(1280 * 3, dtype=np.float64).reshape(1280, 3)
    ranges = chunk_starts(len(points), 8)
    arguments = [(points[start:stop],) for start, stop in ranges]

    def spread(count: int) -> list[np.ndarray]:
        tasks = Tasks(sleep_per_row, arguments[:count], ranges[:count], lambda n: None, Exception)
        return spread_tasks(tasks, Workers(8))

    spread(1)  # the fork server, which imports JAX, started once
    started = time.perf_counter()
    out = np.concatenate(spread(len(ranges)))
    wall = time.perf_counter() - started
    assert np.array_equal(out, points.sum(axis=1))
    assert wall <= 0.4 * len(points) * 0.02, f"{wall:.1f} s with 8 workers"
