"""`--mode` on grad, hessian, hvp and local sensitivity, and forward mode where reverse mode
cannot be taken (a Newton solve in a while_loop), through the command line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from iterative_programs import kepler_truth, sqrt_truth

KEPLER = "tests/iterative_programs.py:kepler"
NEWTON = "tests/iterative_programs.py:newton_sqrt"


@pytest.mark.parametrize(
    "args",
    [
        ("grad", KEPLER, "--at", "1,0.1"),
        ("jacobian", KEPLER, "--at", "1,0.1"),
        ("hessian", KEPLER, "--at", "1,0.1"),
        ("hvp", KEPLER, "--at", "1,0.1", "--v", "1,0"),
        ("sensitivity", KEPLER, "--at", "1,0.1"),
    ],
)
def test_reverse_mode_by_name_on_a_while_loop_is_a_usage_error_that_says_use_fwd(cli, args):
    run = cli(*args, "--mode", "rev")
    assert run.code == 2 and run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert lines[0].startswith("jaccli: error: reverse mode cannot differentiate ")
    assert "lax.while_loop" in lines[0] and "Traceback" not in run.stderr
    assert lines[1] == "hint: use --mode fwd (forward mode), or --mode auto, which falls back to it"


def test_auto_mode_answers_every_command_and_says_why(cli):
    gradient, hessian = kepler_truth(1.0, 0.1)
    for command, extra, mode in [
        ("grad", (), "forward"),
        ("hessian", (), "forward-over-forward"),
        ("hvp", ("--v", "1,0"), "forward-over-forward"),
    ]:
        run = cli(command, KEPLER, "--at", "1,0.1", *extra, "--format", "json")
        assert run.code == 0, run.stderr
        out = run.json()
        assert out["mode"] == mode and "reverse mode cannot be taken here" in out["mode_reason"]
        if command == "grad":
            np.testing.assert_allclose([out["result"]["M"], out["result"]["e"]], gradient)
        elif command == "hessian":
            got = [[out["result"][a][b] for b in "Me"] for a in "Me"]
            np.testing.assert_allclose(got, hessian, rtol=1e-8)
        else:
            np.testing.assert_allclose([out["result"]["M"], out["result"]["e"]], hessian[:, 0])


def test_the_table_says_forward_mode_and_why(cli):
    run = cli("grad", NEWTON, "--at", "4", "--format", "table")
    assert run.code == 0
    assert "forward" in run.stdout and "reverse mode cannot be taken here" in run.stdout


def test_a_batch_takes_the_mode_its_first_point_plans(cli, tmp_path):
    points = tmp_path / "points.jsonl"
    points.write_text('{"a": 2.0}\n{"a": 9.0}\n')
    run = cli("grad", NEWTON, "--batch", str(points), "--format", "json")
    assert run.code == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["mode"] for line in lines] == ["forward", "forward"]
    np.testing.assert_allclose(
        [line["result"] for line in lines], sqrt_truth(np.array([2, 9.0]))[0]
    )


def test_a_batch_vjp_of_a_while_loop_with_one_v_per_point(cli, tmp_path):
    a, v = np.array([[2.0, 9.0], [0.25, 4.0]]), np.array([[1.0, -2.0], [3.0, 0.5]])
    np.save(tmp_path / "a.npy", a)
    np.save(tmp_path / "v.npy", v)
    run = cli(
        "vjp",
        "tests/iterative_programs.py:newton_sqrt_vector",
        "--batch",
        str(tmp_path / "a.npy"),
        "--v",
        f"@{tmp_path / 'v.npy'}",
        "--format",
        "json",
    )
    assert run.code == 0, run.stderr
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["mode"] for line in lines] == ["forward", "forward"]
    np.testing.assert_allclose([line["result"] for line in lines], v * sqrt_truth(a)[0])


@pytest.mark.parametrize("order", ["1", "2"])
def test_check_of_a_while_loop_compares_the_forward_derivative(cli, order):
    run = cli("check", KEPLER, "--at", "1,0.1", "--order", order, "--format", "json")
    assert run.code == 0, run.stderr
    out = run.json()
    assert out["passed"] is True and out["mode"].startswith("forward")


# x³y + sin y at (2, 1), by hand: ∇ = (3x²y, x³ + cos y), H = [[6xy, 3x²], [3x², −sin y]].
_H = np.array([[12.0, 12.0], [12.0, -np.sin(1.0)]])


@pytest.mark.parametrize(
    ("command", "extra", "mode", "truth"),
    [
        ("grad", (), "forward", [12.0, 8 + np.cos(1.0)]),
        ("hessian", (), "forward-over-forward", _H.ravel()),
        ("hvp", ("--v", "1,2"), "forward-over-forward", _H @ [1.0, 2.0]),
        ("sensitivity", (), "forward", [12.0, 8 + np.cos(1.0)]),
    ],
)
def test_mode_fwd_by_name_gives_the_closed_form_as_reverse_mode_does(
    cli, command, extra, mode, truth
):
    args = (command, "-e", "x^3*y + sin(y)", "--at", "2,1", *extra, "--format", "json")
    forward, reverse = cli(*args, "--mode", "fwd").json(), cli(*args, "--mode", "rev").json()
    assert forward["mode"] == mode and forward["mode_reason"].count("forward mode requested") == 1
    assert reverse["mode"] in ("reverse", "forward-over-reverse")
    for out in (forward, reverse):
        np.testing.assert_allclose(np.ravel(list(_leaves(out["result"]))), truth, rtol=1e-14)


def _leaves(tree):
    if isinstance(tree, dict):
        for key in sorted(tree):
            yield from _leaves(tree[key])
    else:
        yield tree
