"""Point files bounded before they are read: what an .npy or .npz may take once read (as
float64 or complex128), from its headers, against ``--max-bytes``; and .npz members that are
paths rather than names."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest

from jaccli._load import values
from jaccli._load.batch_files import read_arrays
from jaccli._load.points import parse_point
from jaccli._load.values import SizeLimit, read_value_file
from jaccli.errors import ResourceError, UsageError

LIMIT = SizeLimit(8000, "--max-bytes")


def _never_load(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the data was read before the size was checked")

    monkeypatch.setattr(np, "load", refuse)


@pytest.mark.parametrize(
    ("array", "size"),
    [
        (np.zeros(1001), 8008),
        (np.zeros(1001, dtype=np.int8), 8008),  # 1 KB on disk, 8 KB once read as float64
        (np.zeros(501, dtype=np.complex64), 8016),
        (np.zeros((10, 101), dtype=np.float32), 8080),
    ],
)
def test_an_npy_over_the_limit_is_refused_from_its_header(tmp_path, monkeypatch, array, size):
    np.save(tmp_path / "x.npy", array)
    _never_load(monkeypatch)
    with pytest.raises(ResourceError) as info:
        read_value_file(str(tmp_path / "x.npy"), "--at", LIMIT)
    assert f"would take {size:,} bytes once read" in info.value.message
    assert "the limit (--max-bytes) is 8,000" in info.value.message
    assert info.value.exit_code == 4
    assert "raise --max-bytes" in info.value.hint


def test_an_npy_at_the_limit_is_read(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(1000, dtype=np.int16))
    assert read_value_file(str(tmp_path / "x.npy"), "--at", LIMIT)[999] == 999.0


def test_a_compressed_npz_is_bounded_by_what_it_inflates_to(tmp_path, monkeypatch):
    path = tmp_path / "bomb.npz"
    np.savez_compressed(path, x=np.zeros(100_000))  # ~1 KB on disk, 800 KB once read
    assert path.stat().st_size < 10_000
    monkeypatch.setattr(values.np.lib.npyio.NpzFile, "__getitem__", _unreachable)
    with pytest.raises(ResourceError, match="800,000 bytes once read"):
        parse_point(f"@{path}", "--at", SizeLimit(100_000, "--max-bytes"))


def _unreachable(*args):
    raise AssertionError("a member was read before the sizes were checked")


def test_the_members_of_an_npz_count_together(tmp_path):
    np.savez(tmp_path / "two.npz", x=np.zeros(600), y=np.zeros(600))
    with pytest.raises(ResourceError, match="9,600 bytes"):
        read_value_file(str(tmp_path / "two.npz"), "--at", LIMIT)
    assert set(read_value_file(str(tmp_path / "two.npz"), "--at")) == {"x", "y"}


def _sparse_int8_npy(path, entries):
    """An .npy of int8 zeros that takes no disk: its data is a hole in a sparse file."""
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(
            handle, {"descr": "|i1", "fortran_order": False, "shape": (entries,)}
        )
        handle.truncate(handle.tell() + entries)


def test_a_batch_file_is_bounded_by_what_it_takes_once_read(tmp_path, monkeypatch):
    # 300 MB of int8 on disk (a hole), 2.4 GB once read as float64: over the 2 GiB of any file.
    _sparse_int8_npy(tmp_path / "points.npy", 300_000_000)
    _never_load(monkeypatch)
    with pytest.raises(ResourceError, match="2,400,000,000 bytes once read; the limit is"):
        read_arrays(str(tmp_path / "points.npy"), ["x"], "f", "--batch")


def _npz_with(path, *names):
    buffer = io.BytesIO()
    np.save(buffer, np.ones(3))
    with zipfile.ZipFile(path, "w") as archive:
        for name in names:
            archive.writestr(name, buffer.getvalue())


@pytest.mark.parametrize(
    "member",
    ["../../evil.npy", "/etc/evil.npy", "a/b.npy", "..\\evil.npy", ".hidden.npy", "a\x1bb.npy"],
)
def test_an_npz_member_that_is_a_path_is_an_input_error(tmp_path, member):
    _npz_with(tmp_path / "evil.npz", "x.npy", member)
    with pytest.raises(UsageError) as info:
        read_value_file(str(tmp_path / "evil.npz"), "--at")
    assert info.value.exit_code == 2
    assert "which is a path, not a name" in info.value.message


def test_plain_and_dotted_member_names_are_read(tmp_path):
    np.savez(tmp_path / "ok.npz", **{"x": np.ones(2), "params.w": np.ones(3), "arr_0": 1.0})
    assert set(read_value_file(str(tmp_path / "ok.npz"), "--at")) == {"x", "params.w", "arr_0"}
