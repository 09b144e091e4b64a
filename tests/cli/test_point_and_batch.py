"""One point (--at) and a one-row batch (--batch) run one plan: for every command that takes a
batch they give the same mode and reason, the same result, the same errors with the same hints,
and accept the same --format values."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

# command, function, point, extra arguments (the vector, where the command takes one)
COMMANDS = [
    ("jacobian", "samples/elementwise.py", [2.0, 1.0], []),
    ("jvp", "samples/elementwise.py", [2.0, 1.0], ["--v", "1,0.5"]),
    ("vjp", "samples/elementwise.py", [2.0, 1.0], ["--v", "1,-1"]),
    ("grad", "samples/rosenbrock.py", [-1.2, 1.0], []),
    ("hessian", "samples/rosenbrock.py", [-1.2, 1.0], []),
    ("hvp", "samples/rosenbrock.py", [-1.2, 1.0], ["--v", "1,0"]),
]
FORMATS = ["table", "text", "json", "csv", "npy", "npz", "latex", "mtx"]

# command, function, point, arguments: each is refused, at a point and in a batch alike.
ERRORS = [
    ("jacobian", "samples/elementwise.py", [2.0, 1.0], ["--mode", "sideways"]),
    ("jacobian", "samples/elementwise.py", [2.0, 1.0], ["--max-bytes", "8"]),
    ("grad", "samples/elementwise.py", [2.0, 1.0], []),
    ("hessian", "samples/elementwise.py", [2.0, 1.0], ["--max-bytes", "8"]),
    ("hessian", "samples/complex_fn.py", {"re": 1.0, "im": 2.0}, []),
    ("hvp", "samples/elementwise.py", [2.0, 1.0], ["--v", "1,0"]),
    ("jvp", "samples/elementwise.py", [2.0, 1.0], ["--v", "1,2,3"]),
    ("jvp", "samples/elementwise.py", [2.0, 1.0], ["--v", "1j,0"]),
    ("vjp", "samples/elementwise.py", [2.0, 1.0], ["--v", "1,2,3"]),
    ("vjp", "samples/elementwise.py", [2.0, 1.0], ["--v", "1j,0"]),
    ("grad", "samples/rosenbrock.py", [-1.2, 1.0], ["--wrt", "y"]),
]


def _point_text(point: list[float] | dict[str, float]) -> str:
    if isinstance(point, dict):
        return f"{point['re']}+{point['im']}j"
    return ",".join(repr(x) for x in point)


def _batch_file(tmp_path: Path, point: list[float] | dict[str, float]) -> str:
    path = tmp_path / "one.json"
    path.write_text(json.dumps([point]))
    return str(path)


@pytest.mark.parametrize(
    ("command", "function", "point", "extra"), COMMANDS, ids=[c[0] for c in COMMANDS]
)
def test_a_point_and_a_one_row_batch_give_the_same_result(
    cli, tmp_path, command, function, point, extra
):
    one = cli(command, function, "--at", _point_text(point), *extra, "--format", "json")
    many = cli(
        command, function, "--batch", _batch_file(tmp_path, point), *extra, "--format", "json"
    )
    assert one.code == 0 and many.code == 0, one.stderr + many.stderr
    single, (row,) = one.json(), [json.loads(line) for line in many.stdout.splitlines()]
    assert row.pop("index") == 0
    assert row["mode"] == single["mode"]
    assert row["mode_reason"] == single["mode_reason"]
    np.testing.assert_allclose(row["result"], single["result"], rtol=1e-13, atol=1e-15)
    assert row == single


@pytest.mark.parametrize(
    ("command", "function", "point", "extra"), ERRORS, ids=[f"{e[0]}{e[3]}" for e in ERRORS]
)
def test_a_point_and_a_one_row_batch_refuse_alike(cli, tmp_path, command, function, point, extra):
    one = cli(command, function, "--at", _point_text(point), *extra, "--format", "json")
    many = cli(
        command, function, "--batch", _batch_file(tmp_path, point), *extra, "--format", "json"
    )
    assert one.code != 0 and one.stdout == "" and many.stdout == ""
    assert (many.code, json.loads(many.stderr)) == (one.code, json.loads(one.stderr))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("command", "function", "point", "extra"), COMMANDS, ids=[c[0] for c in COMMANDS]
)
def test_a_point_and_a_one_row_batch_take_the_same_formats(
    cli, tmp_path, fmt, command, function, point, extra
):
    one = cli(
        command,
        function,
        "--at",
        _point_text(point),
        *extra,
        "--format",
        fmt,
        "-o",
        str(tmp_path / "one"),
    )
    many = cli(
        command,
        function,
        "--batch",
        _batch_file(tmp_path, point),
        *extra,
        "--format",
        fmt,
        "-o",
        str(tmp_path / "many"),
    )
    assert (one.code == 0) == (many.code == 0), (one.stderr, many.stderr)
    if one.code:
        assert many.stderr == one.stderr
    else:
        assert (tmp_path / "one").stat().st_size > 0 and (tmp_path / "many").stat().st_size > 0
