"""Tests for jaccli._runtime.files: writing outputs atomically."""

from __future__ import annotations

import os
import stat
from pathlib import Path

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


def test_a_file_being_written_has_no_name_until_it_is_whole(tmp_path, monkeypatch):
    if files._unnamed_file(str(tmp_path)) is None:
        pytest.skip("this file system has no O_TMPFILE: the named temp file is tested below")
    seen = []

    def signal_arrives(fd):
        seen.extend(tmp_path.iterdir())
        raise KeyboardInterrupt  # a kill -9 here would leave nothing either: nothing is named

    monkeypatch.setattr(os, "fsync", signal_arrives)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "out.json", b"new")
    assert seen == [] and list(tmp_path.iterdir()) == []
    assert not files._IN_FLIGHT


@pytest.mark.parametrize("unnamed", [True, False], ids=["o-tmpfile", "named-temp"])
def test_remove_partial_files(tmp_path, monkeypatch, unnamed):
    """A signal while the temp file has a name (all the write without O_TMPFILE; between the
    naming and the rename with it): the handler removes it."""
    if not unnamed:
        monkeypatch.setattr(files, "_unnamed_file", lambda directory: None)
    found = []
    replace = os.replace

    def signal_arrives(*args):
        found.extend(_leftovers(tmp_path))
        assert len(files._IN_FLIGHT) == 1
        remove_partial_files()  # what a signal handler does
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", signal_arrives)
    with pytest.raises(KeyboardInterrupt):
        atomic_write(tmp_path / "out.json", b"new")
    monkeypatch.setattr(os, "replace", replace)
    assert len(found) == 1
    assert list(tmp_path.iterdir()) == []
    assert not files._IN_FLIGHT
    atomic_write(tmp_path / "out.json", b"whole")  # and the next write works
    assert (tmp_path / "out.json").read_bytes() == b"whole"


# --- what a shell's > would refuse ------------------------------------------------------------


@pytest.mark.parametrize("mode", [0o444, 0o400, 0o000])
def test_a_read_only_file_is_not_replaced(tmp_path, mode):
    path = tmp_path / "out.json"
    path.write_bytes(b"keep")
    path.chmod(mode)
    with pytest.raises(UsageError, match="read-only") as info:
        atomic_write(path, b"new")
    assert info.value.exit_code == 2
    path.chmod(0o600)
    assert path.read_bytes() == b"keep"
    assert _leftovers(tmp_path) == []


def test_a_symlink_to_a_read_only_file_is_not_followed_over_it(tmp_path):
    real = tmp_path / "real.json"
    real.write_bytes(b"keep")
    real.chmod(0o444)
    (tmp_path / "link.json").symlink_to(real)
    with pytest.raises(UsageError, match="read-only"):
        atomic_write(tmp_path / "link.json", b"new")
    assert real.read_bytes() == b"keep"


def test_a_file_the_user_cannot_write_is_refused_even_with_write_bits(tmp_path, monkeypatch):
    # Another user's 0644 file in a directory we may write: `>` refuses, so do we.
    path = tmp_path / "theirs.json"
    path.write_bytes(b"keep")
    monkeypatch.setattr(os, "access", lambda *args, **kwargs: False)
    with pytest.raises(UsageError, match="read-only"):
        atomic_write(path, b"new")
    assert path.read_bytes() == b"keep"


def _foreign_link(directory, target):
    """A symlink in the sticky `directory` owned by neither us nor the directory's owner."""
    link = directory / f"planted-{os.getpid()}.json"
    link.symlink_to(target)
    os.lchown(link, 54321, 54321)
    return link


@pytest.fixture
def sticky(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("planting another user's symlink takes root")
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(0o1777)
    return directory


def test_a_foreign_symlink_in_a_sticky_directory_is_not_followed(tmp_path, sticky):
    victim = tmp_path / "victim.json"
    victim.write_bytes(b"keep")
    link = _foreign_link(sticky, victim)
    with pytest.raises(UsageError, match="symlink that another user owns"):
        atomic_write(link, b"new")
    assert victim.read_bytes() == b"keep"
    assert link.is_symlink()
    assert _leftovers(tmp_path) == []


def test_a_dangling_foreign_symlink_in_a_sticky_directory_creates_nothing(tmp_path, sticky):
    link = _foreign_link(sticky, tmp_path / "created.json")
    with pytest.raises(UsageError, match="another user"):
        atomic_write(link, b"new")
    assert not (tmp_path / "created.json").exists()


def test_a_chain_through_a_foreign_symlink_is_refused(tmp_path, sticky):
    victim = tmp_path / "victim.json"
    victim.write_bytes(b"keep")
    foreign = _foreign_link(sticky, victim)
    mine = tmp_path / "mine.json"
    mine.symlink_to(foreign)
    with pytest.raises(UsageError, match="another user"):
        atomic_write(mine, b"new")
    assert victim.read_bytes() == b"keep"


def test_own_and_owner_symlinks_in_a_sticky_directory_are_followed(tmp_path, sticky):
    mine = tmp_path / "mine.json"
    (sticky / "own.json").symlink_to(mine)
    atomic_write(sticky / "own.json", b"one")
    assert mine.read_bytes() == b"one"
    # A link owned by the directory's owner (root, for /tmp) is followed too, as the kernel does.
    os.chown(sticky, 54321, 54321)
    os.lchown(sticky / "own.json", 54321, 54321)
    atomic_write(sticky / "own.json", b"two")
    assert mine.read_bytes() == b"two"


def test_a_symlink_in_tmp_that_this_user_does_not_own_is_refused_as_any_user(tmp_path, monkeypatch):
    # Without root, no link can be given to another user; this user's own link in /tmp (which
    # root owns) is then seen through the eyes of a third user instead.
    shared = Path("/tmp")
    mode = shared.stat().st_mode
    if not (mode & stat.S_ISVTX and mode & stat.S_IWOTH):
        pytest.skip("/tmp is not a sticky shared directory here")
    victim = tmp_path / "victim.json"
    victim.write_bytes(b"keep")
    link = shared / f"jaccli-planted-{os.getpid()}-{tmp_path.name}.json"
    link.symlink_to(victim)
    try:
        if os.geteuid() == 0:
            os.lchown(link, 54321, 54321)
        else:
            monkeypatch.setattr(os, "geteuid", lambda: 54321)
        with pytest.raises(UsageError, match="symlink that another user owns"):
            atomic_write(link, b"new")
    finally:
        link.unlink()
    assert victim.read_bytes() == b"keep"


def test_a_foreign_symlink_outside_a_sticky_directory_is_followed(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("planting another user's symlink takes root")
    real = tmp_path / "real.json"
    (tmp_path / "link.json").symlink_to(real)
    os.lchown(tmp_path / "link.json", 54321, 54321)
    atomic_write(tmp_path / "link.json", b"new")
    assert real.read_bytes() == b"new"


# --- the path is fixed once ------------------------------------------------------------------


def test_an_output_file_is_resolved_when_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    target = files.output_file("out.json")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # what a function's import may do
    atomic_write(target, b"x")
    assert (tmp_path / "out.json").read_bytes() == b"x"
    assert not (elsewhere / "out.json").exists()
    assert target.name == "out.json"


def test_errors_name_the_file_as_given(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UsageError) as info:
        atomic_write(files.output_file("missing/out.json"), b"x")
    assert "'missing/out.json'" in info.value.message
    assert str(tmp_path) not in info.value.message


def test_stream_names_are_kept_as_streams(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert files.output_file("/dev/stdout").path == "/dev/stdout"
