"""Batches (`--batch`): every source form, every command, streaming, against independent truth."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from jaccli import _operations
from jaccli._load import batch_files
from jaccli.errors import ShapeError

POINTS = np.array([[2.0, 1.0], [1.0, 0.0], [-3.0, 2.5], [0.5, -1.0], [4.0, 3.0]])


def elementwise_jacobian(x: np.ndarray) -> np.ndarray:
    """samples/elementwise.py: f = [x0², sin x1], so J = diag(2 x0, cos x1)."""
    return np.diag([2 * x[0], math.cos(x[1])])


def lines(run) -> list[dict]:
    assert run.code == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def single(cli, *args: str) -> dict:
    run = cli(*args, "--format", "json")
    assert run.code == 0, run.stderr
    return run.json()


def test_npy_in_json_lines_out_match_the_single_point_path(cli, tmp_path):
    np.save(tmp_path / "x.npy", POINTS)
    out = lines(cli("jacobian", "samples/elementwise.py", "--batch", str(tmp_path / "x.npy")))
    assert [o["index"] for o in out] == list(range(len(POINTS)))
    for o, x in zip(out, POINTS, strict=True):
        np.testing.assert_allclose(o["result"], elementwise_jacobian(x), rtol=1e-12, atol=1e-15)
        one = single(
            cli, "jacobian", "samples/elementwise.py", "--at", ",".join(map(repr, x.tolist()))
        )
        assert {k: v for k, v in o.items() if k != "index"} == one


def test_npy_in_npy_out_stacks_per_sample_jacobians(cli, tmp_path):
    np.save(tmp_path / "x.npy", POINTS)
    run = cli(
        "jacobian",
        "samples/elementwise.py",
        "--batch",
        str(tmp_path / "x.npy"),
        "--output",
        str(tmp_path / "j.npy"),
    )
    assert run.code == 0, run.stderr
    assert run.stdout == ""
    jac = np.load(tmp_path / "j.npy")
    assert jac.shape == (len(POINTS), 2, 2)
    np.testing.assert_allclose(jac, [elementwise_jacobian(x) for x in POINTS], atol=1e-15)


def test_csv_with_a_header_of_parameter_names(cli, tmp_path):
    (tmp_path / "p.csv").write_text("y,x\n1,2\n0,3\n")
    out = lines(cli("grad", "-e", "x**2 + sin(y)", "--batch", str(tmp_path / "p.csv")))
    assert [o["at"] for o in out] == [{"x": 2.0, "y": 1.0}, {"x": 3.0, "y": 0.0}]
    assert out[0]["result"] == {"x": 4.0, "y": math.cos(1.0)}
    assert out[1]["result"] == {"x": 6.0, "y": 1.0}


@pytest.mark.parametrize("header", ["", "x0,x1\n", "x[1],x[0]\n"])
def test_csv_columns_are_the_flat_input(cli, tmp_path, header):
    rows = "2,1\n3,0\n" if header != "x[1],x[0]\n" else "1,2\n0,3\n"
    (tmp_path / "p.csv").write_text(header + rows)
    out = lines(cli("jacobian", "samples/elementwise.py", "--batch", str(tmp_path / "p.csv")))
    assert [o["at"]["x"] for o in out] == [[2.0, 1.0], [3.0, 0.0]]
    np.testing.assert_allclose(out[1]["result"], elementwise_jacobian(np.array([3.0, 0.0])))


def test_json_list_of_points_in_mixed_forms(cli, tmp_path):
    (tmp_path / "p.json").write_text('[[2, 1], {"x": 3, "y": 0}]')
    out = lines(cli("grad", "-e", "x*y", "--batch", str(tmp_path / "p.json")))
    assert [o["result"] for o in out] == [{"x": 1.0, "y": 2.0}, {"x": 0.0, "y": 3.0}]


def test_jsonl_file_and_npz(cli, tmp_path):
    (tmp_path / "p.jsonl").write_text('{"x": [2, 1]}\n\n[1, 0]\n')
    out = lines(cli("jacobian", "samples/elementwise.py", "--batch", str(tmp_path / "p.jsonl")))
    np.testing.assert_allclose(out[1]["result"], elementwise_jacobian(np.array([1.0, 0.0])))
    np.savez(tmp_path / "p.npz", x=np.array([2.0, 3.0]), y=np.array([1.0, 0.0]))
    out = lines(cli("grad", "-e", "x*y", "--batch", str(tmp_path / "p.npz")))
    assert [o["result"] for o in out] == [{"x": 1.0, "y": 2.0}, {"x": 0.0, "y": 3.0}]


def test_stdin_json_lines_in_process(cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("[2, 1]\n[1, 0]\n"))
    out = lines(cli("jacobian", "samples/elementwise.py", "--batch", "-"))
    assert [o["index"] for o in out] == [0, 1]
    np.testing.assert_allclose(out[0]["result"], elementwise_jacobian(np.array([2.0, 1.0])))


def test_malformed_stdin_line_keeps_earlier_results_and_names_the_line(cli, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO("[2, 1]\n[1, 0]\n[1,\n[5, 5]\n"))
    run = cli("jacobian", "samples/elementwise.py", "--batch", "-")
    assert run.code == 2
    assert [json.loads(line)["index"] for line in run.stdout.splitlines()] == [0, 1]
    assert "line 3 of stdin" in run.stderr


def test_ragged_batches_name_the_row(cli, tmp_path, monkeypatch):
    (tmp_path / "p.csv").write_text("2,1\n3,0,4\n")
    run = cli("jacobian", "samples/elementwise.py", "--batch", str(tmp_path / "p.csv"))
    assert run.code == 2 and "line 2" in run.stderr and run.stdout == ""
    (tmp_path / "p.json").write_text("[[2, 1], [3, 0, 4]]")
    run = cli("jacobian", "samples/elementwise.py", "--batch", str(tmp_path / "p.json"))
    assert run.code == 2 and "point 1" in run.stderr and run.stdout == ""
    monkeypatch.setattr(sys, "stdin", io.StringIO("[2, 1]\n[3, 0, 4]\n"))
    run = cli("jacobian", "samples/elementwise.py", "--batch", "-")
    assert run.code == 2 and "line 2 of stdin" in run.stderr
    assert [json.loads(line)["index"] for line in run.stdout.splitlines()] == [0]


def test_jvp_broadcasts_one_vector(cli, tmp_path):
    np.save(tmp_path / "x.npy", POINTS)
    out = lines(
        cli("jvp", "samples/elementwise.py", "--batch", str(tmp_path / "x.npy"), "--v", "1,2")
    )
    for o, x in zip(out, POINTS, strict=True):
        np.testing.assert_allclose(o["result"], elementwise_jacobian(x) @ [1.0, 2.0], atol=1e-15)
        assert o["v"] == [1.0, 2.0]


def rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    """samples/rosenbrock.py: (1 - x0)² + 100 (x1 - x0²)², differentiated by hand."""
    return np.array(
        [[2 - 400 * (x[1] - x[0] ** 2) + 800 * x[0] ** 2, -400 * x[0]], [-400 * x[0], 200.0]]
    )


def test_jvp_and_hvp_take_one_vector_per_point(cli, tmp_path):
    np.save(tmp_path / "x.npy", POINTS)
    vectors = np.arange(10.0).reshape(5, 2) - 3
    np.save(tmp_path / "v.npy", vectors)
    args = ["--batch", str(tmp_path / "x.npy"), "--v", f"@{tmp_path / 'v.npy'}"]
    out = lines(cli("jvp", "samples/elementwise.py", *args))
    for o, x, v in zip(out, POINTS, vectors, strict=True):
        np.testing.assert_allclose(o["result"], elementwise_jacobian(x) @ v, atol=1e-14)
        assert o["v"] == v.tolist()
    run = cli("hvp", "samples/rosenbrock.py", *args, "--output", str(tmp_path / "h.npy"))
    assert run.code == 0, run.stderr
    expected = [rosenbrock_hessian(x) @ v for x, v in zip(POINTS, vectors, strict=True)]
    np.testing.assert_allclose(np.load(tmp_path / "h.npy"), expected, rtol=1e-13)


def test_vjp_takes_one_cotangent_per_point_in_small_chunks(cli, tmp_path):
    np.save(tmp_path / "x.npy", POINTS)
    cotangents = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0], [0.5, 0.5], [-1.0, 3.0]])
    np.save(tmp_path / "w.npy", cotangents)
    # --max-bytes small enough that the batch runs in several chunks of uneven size.
    run = cli(
        "vjp",
        "samples/elementwise.py",
        "--batch",
        str(tmp_path / "x.npy"),
        "--v",
        f"@{tmp_path / 'w.npy'}",
        "--max-bytes",
        "150",
    )
    for o, x, w in zip(lines(run), POINTS, cotangents, strict=True):
        np.testing.assert_allclose(o["result"], w @ elementwise_jacobian(x), atol=1e-14)


def test_vectors_per_point_must_match_the_batch_length(cli, tmp_path):
    np.save(tmp_path / "x.npy", POINTS)
    np.save(tmp_path / "v.npy", np.ones((4, 2)))
    args = ["--batch", str(tmp_path / "x.npy"), "--v", f"@{tmp_path / 'v.npy'}"]
    run = cli("jvp", "samples/elementwise.py", *args)
    assert (run.code, run.stdout) == (2, "")
    assert "--v holds 4 vectors (one per point) but the batch has 5 points" in run.stderr
    run = cli("jvp", "samples/elementwise.py", "--batch", str(tmp_path / "x.npy"), "--v", "1,2,3")
    assert (run.code, run.stdout) == (2, "")
    assert "one per point with a leading batch axis" in run.stderr


def test_a_stream_longer_than_its_vectors_keeps_the_results_it_could_compute(
    cli, tmp_path, monkeypatch
):
    np.save(tmp_path / "v.npy", np.array([[1.0, 0.0], [0.0, 1.0]]))
    monkeypatch.setattr(sys, "stdin", io.StringIO("[2, 1]\n[1, 0]\n[3, 3]\n"))
    run = cli("jvp", "samples/elementwise.py", "--batch", "-", "--v", f"@{tmp_path / 'v.npy'}")
    assert run.code == 2 and "--v holds 2 vectors" in run.stderr
    assert [o["result"] for o in map(json.loads, run.stdout.splitlines())] == [
        [4.0, 0.0],
        [0.0, 1.0],
    ]


@pytest.mark.parametrize(
    ("command", "extra"),
    [("vjp", ["--v", "1,-1"]), ("hessian", []), ("hvp", ["--v", "0.5,2"]), ("grad", [])],
)
def test_every_command_matches_its_single_point_form(cli, tmp_path, command, extra):
    function = "samples/elementwise.py" if command == "vjp" else "samples/rosenbrock.py"
    np.save(tmp_path / "x.npy", POINTS[:3])
    out = lines(cli(command, function, "--batch", str(tmp_path / "x.npy"), *extra))
    for o, x in zip(out, POINTS, strict=False):
        one = single(cli, command, function, "--at", ",".join(map(repr, x.tolist())), *extra)
        np.testing.assert_allclose(o["result"], one["result"], rtol=1e-12)
        assert o["value"] == pytest.approx(one["value"])


def test_control_flow_falls_back_point_by_point(cli, tmp_path):
    (tmp_path / "branch.py").write_text(
        "def f(x):\n"
        "    if x[0] > 0:\n"
        "        return x[0] ** 2 + x[1]\n"
        "    return -x[0] + 3 * x[1]\n"
    )
    (tmp_path / "p.json").write_text("[[2, 1], [-1, 1], [3, 0]]")
    run = cli("grad", str(tmp_path / "branch.py"), "--batch", str(tmp_path / "p.json"))
    assert run.stderr.count("jaccli: warning:") == 1 and "point by point" in run.stderr
    assert [o["result"] for o in lines(run)] == [[4.0, 1.0], [-1.0, 3.0], [6.0, 1.0]]


def test_at_and_batch_are_mutually_exclusive(cli, tmp_path):
    np.save(tmp_path / "x.npy", POINTS)
    run = cli("grad", "samples/rosenbrock.py", "--at", "1,2", "--batch", str(tmp_path / "x.npy"))
    assert (run.code, run.stdout) == (2, "")
    assert "not both" in run.stderr
    run = cli("grad", "samples/rosenbrock.py")
    assert run.code == 2 and "--batch" in run.stderr


def test_nonfinite_results_exit_1_and_are_null(cli, tmp_path):
    (tmp_path / "p.json").write_text("[4, 0]")
    run = cli("grad", "-e", "sqrt(x)", "--batch", str(tmp_path / "p.json"))
    assert run.code == 1
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert out[0]["result"] == 0.25 and out[1]["result"] is None
    assert (
        cli("grad", "-e", "sqrt(x)", "--batch", str(tmp_path / "p.json"), "--allow-nonfinite").code
        == 0
    )


def test_table_and_csv_outputs(cli, tmp_path):
    np.save(tmp_path / "x.npy", POINTS[:2])
    run = cli(
        "jacobian", "samples/elementwise.py", "--batch", str(tmp_path / "x.npy"), "-f", "table"
    )
    assert run.code == 0 and "at 2 points" in run.stdout and "x=[2, 1]" in run.stdout
    run = cli(
        "jacobian",
        "samples/elementwise.py",
        "--batch",
        str(tmp_path / "x.npy"),
        "-o",
        str(tmp_path / "j.csv"),
    )
    assert run.code == 0
    rows = (tmp_path / "j.csv").read_text().splitlines()
    assert rows[0] == 'index,"x[0,0]","x[0,1]","x[1,0]","x[1,1]"'
    assert rows[1].startswith("0,4.0,0.0,0.0,0.5403")


def test_chunks_follow_max_bytes_and_padding_compiles_few_shapes(cli, tmp_path):
    x = np.random.default_rng(0).normal(size=(37, 2))
    np.save(tmp_path / "x.npy", x)
    run = cli(
        "jacobian",
        "samples/elementwise.py",
        "--batch",
        str(tmp_path / "x.npy"),
        "--max-bytes",
        "800",
        "-o",
        str(tmp_path / "j.npy"),
    )
    assert run.code == 0, run.stderr
    np.testing.assert_allclose(np.load(tmp_path / "j.npy"), [elementwise_jacobian(p) for p in x])
    assert (
        _operations.padded(5, 8) == 8
        and _operations.padded(5, 6) == 6
        and _operations.padded(1, 8) == 1
    )


def test_array_files_must_share_a_batch_axis(tmp_path):
    with pytest.raises(ShapeError, match=r"\(N, 2\)"):
        batch_files._columns_of_array(np.zeros((3, 3)), ["x", "y"], "f")


@pytest.mark.subprocess
def test_streaming_through_a_real_pipe():
    """A result comes back before stdin closes; a malformed line then fails with its number."""
    script = Path(sys.executable).with_name("jaccli")
    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen(
        [str(script), "jacobian", "samples/elementwise.py", "--batch", "-"],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as proc:
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        try:
            proc.stdin.write("[2, 1]\n")
            proc.stdin.flush()
            first = json.loads(proc.stdout.readline())
            assert first["index"] == 0
            expected = elementwise_jacobian(np.array([2.0, 1.0]))
            np.testing.assert_allclose(first["result"], expected)
            proc.stdin.write("[1, oops]\n")
            proc.stdin.close()
            rest = proc.stdout.read()
            stderr = proc.stderr.read()
            code = proc.wait(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert code == 2
    assert rest == ""
    assert "line 2 of stdin" in stderr


def test_npy_output_is_streamed_in_equal_chunks_and_matches_every_point(cli, tmp_path):
    np.save(tmp_path / "x.npy", POINTS)
    # About two points per chunk: three chunks, the last one padded.
    run = cli(
        "jacobian",
        "samples/elementwise.py",
        "--batch",
        str(tmp_path / "x.npy"),
        "--output",
        str(tmp_path / "J.npy"),
        "--max-bytes",
        "200",
    )
    assert run.code == 0, run.stderr
    stacked = np.load(tmp_path / "J.npy")
    assert stacked.shape == (5, 2, 2)
    for jac, x in zip(stacked, POINTS, strict=True):
        np.testing.assert_allclose(jac, elementwise_jacobian(x), atol=1e-15)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["J.npy", "x.npy"]


def test_npy_output_of_several_arguments_is_refused_and_leaves_no_file(cli, tmp_path):
    np.save(tmp_path / "x.npy", POINTS)
    run = cli(
        "jacobian",
        "-e",
        "x * y",
        "--batch",
        str(tmp_path / "x.npy"),
        "--output",
        str(tmp_path / "J.npy"),
    )
    assert (run.code, run.stdout) == (2, "") and ".npz" in run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.npy"]


def test_a_batch_in_matrix_market_and_latex_has_one_row_or_block_per_point(cli, tmp_path):
    import scipy.io

    np.save(tmp_path / "x.npy", POINTS)
    batch = str(tmp_path / "x.npy")
    run = cli("jacobian", "samples/elementwise.py", "--batch", batch, "-o", str(tmp_path / "j.mtx"))
    assert run.code == 0, run.stderr
    rows = scipy.io.mmread(tmp_path / "j.mtx").toarray()
    want = np.stack([elementwise_jacobian(x).ravel() for x in POINTS])
    np.testing.assert_allclose(rows, want, rtol=1e-15, atol=1e-15)
    latex = cli("jacobian", "samples/elementwise.py", "--batch", batch, "--format", "latex")
    assert latex.code == 0 and latex.stdout.count("\\begin{bmatrix}") == len(POINTS)
    assert latex.stdout.startswith("% point 0\n")
