"""The garbage collector in the console script's own process (jaccli._runtime.collector)."""

from __future__ import annotations

import gc

import pytest

from jaccli._runtime import collector


@pytest.fixture
def console_process(monkeypatch):
    monkeypatch.setattr(collector, "_OWN_PROCESS", True)
    yield
    gc.unfreeze()  # what the test froze goes back to the collector of the test run
    gc.enable()


def test_a_program_that_calls_jaccli_keeps_its_collector():
    frozen = gc.get_freeze_count()
    with collector.loading():
        assert gc.isenabled()
    collector.before_exit()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_the_console_pauses_the_collector_while_loading_and_freezes_what_loaded(console_process):
    with collector.loading():
        assert not gc.isenabled()
        made = [[] for _ in range(10)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)


def test_a_failed_load_gives_the_collector_back(console_process):
    with pytest.raises(ValueError), collector.loading():
        raise ValueError("the function file failed")
    assert gc.isenabled()


def test_the_console_freezes_everything_before_the_interpreter_exits(console_process):
    kept = [[] for _ in range(10)]
    collector.before_exit()
    assert gc.get_freeze_count() >= len(kept)
