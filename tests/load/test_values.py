"""Tests for jaccli._load.values: reading point files."""

from __future__ import annotations

import os

import numpy as np
import pytest

from jaccli._load import values
from jaccli._load.values import read_value_file
from jaccli.errors import JaccliError, ParseError, ResourceError, ShapeError, UsageError


def _usage_error(path, words, kind=UsageError):
    with pytest.raises(JaccliError) as info:
        read_value_file(str(path), "--at")
    assert type(info.value) is kind
    assert info.value.exit_code == (4 if kind is ResourceError else 2)
    assert words in info.value.message
    assert "\n" not in info.value.message
    return info.value


# --- .npy / .npz -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("array", "dtype"),
    [
        (np.arange(6.0).reshape(2, 3), np.float64),
        (np.arange(4, dtype=np.int32), np.float64),
        (np.ones(3, dtype=np.float32), np.float64),
        (np.array([1 + 2j], dtype=np.complex64), np.complex128),
        (np.array(2.5), np.float64),
    ],
)
def test_npy(tmp_path, array, dtype):
    path = tmp_path / "x.npy"
    np.save(path, array)
    value = read_value_file(str(path))
    assert value.dtype == dtype
    assert value.shape == array.shape
    assert np.array_equal(value, array)


def test_npz_is_named_values(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, W=np.ones((2, 3)), b=np.array(0.5))
    value = read_value_file(str(path))
    assert list(value) == ["W", "b"]
    assert value["W"].shape == (2, 3)


def test_path_accepts_pathlike_and_tilde(tmp_path, monkeypatch):
    np.save(tmp_path / "x.npy", np.ones(2))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert read_value_file("~/x.npy").shape == (2,)
    assert read_value_file(tmp_path / "x.npy").shape == (2,)


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.array([1, None], dtype=object), "pickled"),
        (np.array(["a", "b"]), "dtype"),
        (np.array([True]), "dtype"),
        (np.array([1.0, np.nan]), "non-finite value nan at index [1]"),
        (np.array([[1.0, np.inf]]), "non-finite value inf at index [0, 1]"),
    ],
)
def test_npy_errors(tmp_path, array, words):
    path = tmp_path / "x.npy"
    np.save(path, array, allow_pickle=True)
    _usage_error(path, words)


def test_npz_with_pickled_object(tmp_path):
    path = tmp_path / "p.npz"
    np.savez(path, a=np.array([{"x": 1}], dtype=object))
    _usage_error(path, "pickled")


def test_npy_that_is_not_numpy(tmp_path):
    path = tmp_path / "x.npy"
    path.write_text("1,2,3")
    _usage_error(path, "not a NumPy .npy file")
    path.write_bytes(b"")
    _usage_error(path, "not a NumPy .npy file")


def test_npz_named_npy_and_back(tmp_path):
    npz = tmp_path / "p.npz"
    np.savez(npz, a=np.ones(2))
    wrong = tmp_path / "p.npy"
    wrong.write_bytes(npz.read_bytes())
    _usage_error(wrong, "name it .npz")
    npy = tmp_path / "x.npy"
    np.save(npy, np.ones(2))
    wrong = tmp_path / "x.npz"
    wrong.write_bytes(npy.read_bytes())
    _usage_error(wrong, "not an .npz archive")


def test_truncated_npy(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.ones(100))
    path.write_bytes(path.read_bytes()[:200])
    _usage_error(path, "cannot read --at file")


# --- .json -----------------------------------------------------------------------------------


def test_json_forms(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[[1, 2], [3, 4]]")
    assert read_value_file(str(path)).shape == (2, 2)
    path.write_text('{"x": 1, "W": [[1, 2]], "c": {"re": 1, "im": 2}}')
    value = read_value_file(str(path))
    assert list(value) == ["x", "W", "c"]
    assert value["c"] == 1 + 2j
    path.write_text("3.5\n")
    assert read_value_file(str(path)).shape == ()


@pytest.mark.parametrize(
    ("content", "kind", "words"),
    [
        ("[1, NaN]", UsageError, "non-finite value NaN"),
        ('{"x": Infinity}', UsageError, "non-finite value Infinity"),
        ("[1, 1e999]", UsageError, "non-finite value inf"),
        ("[1, 2", UsageError, "invalid JSON at line 1"),
        ('{"x": 1, "x": 2}', UsageError, "duplicate key"),
        ('["a"]', ParseError, "string"),
        ("[true]", ParseError, "true/false"),
        ("[" * 100 + "]" * 100, UsageError, "nested deeper than 64"),
        ("[[1, 2], [3]]", ShapeError, "ragged"),
    ],
)
def test_json_errors(tmp_path, content, kind, words):
    path = tmp_path / "x.json"
    path.write_text(content)
    _usage_error(path, words, kind)


def test_json_not_utf8(tmp_path):
    path = tmp_path / "x.json"
    path.write_bytes(b"[1, \xff]")
    _usage_error(path, "not UTF-8")
    path.write_bytes(b"[1,\x00 2]")
    _usage_error(path, "binary")


# --- .csv / .txt -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "want"),
    [
        ("x.csv", "1,2,3\n", np.array([1.0, 2.0, 3.0])),
        ("x.csv", "1,2\n3,4\n", np.array([[1.0, 2.0], [3.0, 4.0]])),
        ("x.csv", "# comment\n1, 2\n\n3, 4\n", np.array([[1.0, 2.0], [3.0, 4.0]])),
        ("x.csv", "\ufeff1e-3,.5,-0.0\n", np.array([1e-3, 0.5, -0.0])),
        ("x.csv", "1+2j,3\n", np.array([1 + 2j, 3])),
        ("x.csv", "5\n", np.array([5.0])),
        ("x.txt", "1 2\t3\n4 5 6\n", np.array([[1.0, 2, 3], [4, 5, 6]])),
        ("x.txt", "7\n8\n", np.array([[7.0], [8.0]])),
    ],
)
def test_tables(tmp_path, name, content, want):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    value = read_value_file(str(path))
    assert value.dtype == want.dtype
    assert np.array_equal(value, want)


def test_table_header_gives_named_values(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("x,y\n2,1\n")
    value = read_value_file(str(path))
    assert list(value) == ["x", "y"]
    assert value["x"].shape == ()
    path = tmp_path / "x.txt"
    path.write_text("a b\n2 1\n")
    assert list(read_value_file(str(path))) == ["a", "b"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("x,y\n1,2\n3,4\n", "exactly one data row"),
        ("x,y\n1,2,3\n", "found 3 values"),
        ("x,x\n1,2\n", "repeats a name"),
        ("1,2\n3\n", "line 2 has 1 values"),
        ("1,two\n", "'two' is not a number"),
        ("1,,2\n", "empty cell"),
        ("１,２\n", "is not a number"),
        ("1_000\n", "is not a number"),
        ("1,nan\n", "non-finite value nan"),
        ("1,-inf\n", "non-finite value -inf"),
        ("1e999\n", "non-finite value 1e999"),
        ("# only a comment\n", "holds no numbers"),
        ("", "holds no numbers"),
    ],
)
def test_table_errors(tmp_path, content, words):
    path = tmp_path / "x.csv"
    path.write_text(content, encoding="utf-8")
    _usage_error(path, words)


# --- file-system errors ----------------------------------------------------------------------


def test_missing_file(tmp_path):
    error = _usage_error(tmp_path / "nope.npy", "No such file or directory")
    assert "nope.npy" in error.message


def test_directory(tmp_path):
    (tmp_path / "d.json").mkdir()
    _usage_error(tmp_path / "d.json", "is a directory")


def test_fifo_does_not_block(tmp_path):
    path = tmp_path / "f.json"
    os.mkfifo(path)
    _usage_error(path, "not a regular file")


def test_unknown_suffix(tmp_path):
    error = _usage_error(tmp_path / "x.xlsx", "unknown suffix '.xlsx'")
    assert ".npy" in error.hint and ".csv" in error.hint
    _usage_error(tmp_path / "noext", "unknown suffix '(none)'")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable(tmp_path):
    path = tmp_path / "x.json"
    path.write_text("[1]")
    path.chmod(0)
    _usage_error(path, "Permission denied")


def test_size_limit(tmp_path, monkeypatch):
    path = tmp_path / "x.json"
    path.write_text("[1, 2, 3]")
    monkeypatch.setattr(values, "MAX_FILE_BYTES", 4)
    _usage_error(path, "the limit is 4", ResourceError)
