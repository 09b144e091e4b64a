"""The frames between a supervised child and its parent (jaccli._runtime.channel)."""

from __future__ import annotations

import os

from jaccli._runtime import channel


def framed(kind: bytes, payload: bytes) -> bytes:
    read_fd, write_fd = os.pipe()
    try:
        channel.attach(write_fd, stdout_tty=False, stdout_closed=False, stdout_columns=None)
        channel.send(kind, payload)
        return os.read(read_fd, 1 << 16)
    finally:
        channel.attach(None, False, False, None)
        os.close(read_fd)
        os.close(write_fd)


def test_frames_arrive_whole_however_the_pipe_cuts_them():
    data = framed(channel.STDOUT, b'{"result": 1}\n') + framed(channel.EXIT, b"0")
    frames = channel.Frames()
    seen = []
    for i in range(len(data)):  # one byte at a time
        seen += frames.feed(data[i : i + 1])
    assert seen == [(channel.STDOUT, b'{"result": 1}\n'), (channel.EXIT, b"0")]


def test_a_frame_cut_short_is_never_delivered():
    data = framed(channel.STDOUT, b"x" * 1000)
    frames = channel.Frames()
    assert frames.feed(data[:-1]) == []


def test_outside_a_supervised_child_nothing_is_sent():
    assert not channel.in_child()
    channel.send(channel.EXIT, b"0")  # no pipe, no parent: nothing happens
    channel.set_parent(os.getppid())
    assert not channel.parent_gone()
    channel.set_parent(None)
