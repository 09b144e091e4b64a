"""The second adversarial catalogue (issue #16), through the command line: output files,
hostile environments, numbers at the edges of options, input size, --quiet and long symbolic
work. Each case holds SPEC §6: the documented exit code, stdout empty or valid, one escaped
``jaccli: error:`` line, no traceback, and no file where none belongs.

Most cases run in-process (the ``cli`` fixture); those that need a process of their own (an
environment that must be set before Python starts, an address-space limit) run the console
script with short, bounded runs.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from test_adversarial import assert_clean_failure

# --- output files ----------------------------------------------------------------------------


def test_a_function_that_chdirs_at_import_does_not_move_the_output(cli, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    function = tmp_path / "moves.py"
    function.write_text(f"import os\nos.chdir({str(elsewhere)!r})\n\ndef f(x):\n    return x**2\n")
    out = tmp_path / "J.json"
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        run = cli("grad", str(function), "--at", "3", "--output", "J.json")
    finally:
        os.chdir(cwd)
    assert run.code == 0, run.stderr
    assert json.loads(out.read_text())["result"] == 6.0
    assert list(elsewhere.iterdir()) == []
    assert "wrote grad to J.json" in run.stderr


def test_a_function_that_chdirs_when_called_does_not_move_the_output(cli, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    function = tmp_path / "moves_late.py"
    function.write_text(
        f"import os\n\ndef f(x):\n    os.chdir({str(elsewhere)!r})\n    return x * 2.0\n"
    )
    out = tmp_path / "sub" / "J.csv"
    out.parent.mkdir()
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        run = cli("jacobian", str(function), "--at", "1,2", "--output", "sub/J.csv")
    finally:
        os.chdir(cwd)
    assert run.code == 0, run.stderr
    assert out.read_text().startswith("output,x[0],x[1]")
    assert list(elsewhere.iterdir()) == []


@pytest.mark.parametrize("suffix", ["json", "csv", "npy"])
def test_a_read_only_output_file_is_left_alone(cli, tmp_path, suffix):
    out = tmp_path / f"J.{suffix}"
    out.write_bytes(b"precious")
    out.chmod(0o444)
    run = cli("jacobian", "-e", "x*2", "--at", "[1,2]", "--output", str(out))
    assert_clean_failure(run, 2, "the file is read-only")
    assert out.read_bytes() == b"precious"
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_read_only_batch_output_is_left_alone(cli, tmp_path):
    np.save(tmp_path / "points.npy", np.ones((3, 2)))
    out = tmp_path / "J.npy"
    out.write_bytes(b"precious")
    out.chmod(0o444)
    run = cli("jacobian", "-e", "x*2", "--batch", str(tmp_path / "points.npy"), "-o", str(out))
    assert_clean_failure(run, 2, "read-only")
    assert out.read_bytes() == b"precious"


def test_a_planted_symlink_in_a_sticky_directory_is_refused(cli, tmp_path):
    if os.geteuid() != 0:
        pytest.skip("planting another user's symlink takes root")
    shared = tmp_path / "tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.json"
    victim.write_text("keep")
    (shared / "J.json").symlink_to(victim)
    os.lchown(shared / "J.json", 54321, 54321)
    run = cli("grad", "-e", "x**2", "--at", "3", "--output", str(shared / "J.json"))
    assert_clean_failure(run, 2, "symlink that another user owns")
    assert victim.read_text() == "keep"


# --- control characters in names, in every format ---------------------------------------------

_NASTY = "a\x1b[31mb\x07"
_POINT = "p=" + json.dumps({_NASTY: [1.0, 2.0], "c": [3.0]})


def _no_controls(text: str) -> None:
    assert not any(ch in text for ch in "\x1b\x07\x00"), repr(text)


@pytest.mark.parametrize("fmt", ["csv", "table", "json", "mtx", "latex"])
def test_control_characters_in_names_are_escaped(cli, tmp_path, fmt):
    (tmp_path / "tree.py").write_text(f"def f(p):\n    return p[{_NASTY!r}] ** 2 + p['c']\n")
    run = cli("jacobian", str(tmp_path / "tree.py"), "--at", _POINT, "--format", fmt)
    assert run.code == 0, run.stderr
    _no_controls(run.stdout)
    if fmt in ("csv", "table"):
        assert "a\\x1b[31mb\\x07" in run.stdout
    if fmt == "json":  # JSON escapes them itself, and the key reads back as it was given
        assert _NASTY in run.json()["result"]


def test_control_characters_in_npz_member_names_are_escaped(cli, tmp_path):
    (tmp_path / "tree.py").write_text(f"def f(p):\n    return p[{_NASTY!r}] ** 2 + p['c']\n")
    run = cli("jacobian", str(tmp_path / "tree.py"), "--at", _POINT, "-o", str(tmp_path / "J.npz"))
    assert run.code == 0, run.stderr
    with np.load(tmp_path / "J.npz") as saved:
        names = list(saved)
    assert sorted(names) == ["a\\x1b[31mb\\x07", "c"]


def test_control_characters_in_a_batch_csv_header_are_escaped(cli, tmp_path):
    (tmp_path / "tree.py").write_text(f"def f(p):\n    return p[{_NASTY!r}] * 2.0\n")
    points = tmp_path / "points.jsonl"
    points.write_text(
        "\n".join(json.dumps({"p": {_NASTY: [float(i), 1.0]}}) for i in range(3)) + "\n"
    )
    run = cli("jacobian", str(tmp_path / "tree.py"), "--batch", str(points), "--format", "csv")
    assert run.code == 0, run.stderr
    _no_controls(run.stdout)
    assert run.stdout.splitlines()[0].startswith('index,"a\\x1b[31mb\\x07[0,0]"')


def test_control_characters_in_a_sensitivity_csv_are_escaped(cli, tmp_path):
    (tmp_path / "tree.py").write_text(f"def f(p):\n    return p[{_NASTY!r}].sum() ** 2\n")
    run = cli("sensitivity", str(tmp_path / "tree.py"), "--at", _POINT, "--format", "csv")
    assert run.code == 0, run.stderr
    _no_controls(run.stdout)
    assert "a\\x1b[31mb\\x07" in run.stdout
