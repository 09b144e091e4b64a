"""Tests for jaccli._runtime.files: writing outputs atomically."""

from __future__ import annotations

import os
import stat

import pytest

from jaccli._runtime import files
from jaccli._runtime.files import atomic_write, remove_partial_files
from jaccli.errors import UsageError

# --- atomic_write ----------------------------------------------------------------------------


def _leftovers(directory):
    return [p.name for p in directory.iterdir() if p.name.startswith(files.TEMP_PREFIX)]


def test_atomic_write_creates_file(tmp_path):
    path = tmp_path / "out.json"
    atomic_write(path, b'{"a": 1}')
    assert path.read_bytes() == b'{"a": 1}'
    assert _leftovers(tmp_path) == []
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_atomic_write_replaces_by_rename(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_bytes(b"old")
    path.chmod(0o640)
    old_inode = path.stat().st_ino
    seen = []
    real_fsync = os.fsync

    def fsync_and_look(fd):
        # Mid-write, the target still holds the old contents in full.
        seen.append(path.read_bytes())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_and_look)
    atomic_write(str(path), b"new contents")
    assert seen == [b"old"]
    assert path.read_bytes() == b"new contents"
    assert path.stat().st_ino != old_inode
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert _leftovers(tmp_path) == []


def test_atomic_write_through_symlink_keeps_link(tmp_path):
    real = tmp_path / "real.json"
    real.write_bytes(b"old")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    atomic_write(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_atomic_write_missing_directory(tmp_path):
    with pytest.raises(UsageError) as info:
        atomic_write(tmp_path / "no" / "out.json", b"x")
    assert "No such file or directory" in info.value.message
    assert "out.json" in info.value.message
    assert info.value.exit_code == 2


def test_atomic_write_directory_as_target(tmp_path):
    with pytest.raises(UsageError, match="is a directory"):
        atomic_write(tmp_path, b"x")
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_atomic_write_read_only_directory(tmp_path):
    directory = tmp_path / "ro"
    directory.mkdir()
    directory.chmod(0o500)
    try:
        with pytest.raises(UsageError, match="Permission denied"):
            atomic_write(directory / "out.json", b"x")
        assert _leftovers(directory) == []
    finally:
        directory.chmod(0o700)


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_atomic_write_device_full():
    with pytest.raises(UsageError, match="No space left on device"):
        atomic_write("/dev/full", b"x" * 10)


def test_atomic_write_dev_null():
    atomic_write("/dev/null", b"discarded")


def test_atomic_write_failure_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "out.json"
    path.write_bytes(b"old")

    def refuse(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(UsageError, match="No space left"):
        atomic_write(path, b"new")
    assert path.read_bytes() == b"old"
    assert _leftovers(tmp_path) == []
    assert not files._IN_FLIGHT


def test_atomic_write_interrupt_leaves_no_temp(tmp_path, monkeypatch):
    def interrupt(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupt)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "out.json", b"new")
    assert list(tmp_path.iterdir()) == []


def test_remove_partial_files(tmp_path, monkeypatch):
    found = []

    def signal_arrives(fd):
        found.extend(_leftovers(tmp_path))
        assert len(files._IN_FLIGHT) == 1
        remove_partial_files()  # what a signal handler does
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", signal_arrives)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "out.json", b"new")
    assert len(found) == 1
    assert list(tmp_path.iterdir()) == []
    assert not files._IN_FLIGHT
