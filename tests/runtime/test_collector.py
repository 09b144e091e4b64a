"""The garbage collector in the console script's own process (jaccli._runtime.collector)."""

from __future__ import annotations

import gc

import pytest

from jaccli._runtime import collector


@pytest.fixture
def paused_then_given_back(monkeypatch):
    monkeypatch.setattr(collector, "_PAUSED", False)
    yield
    gc.unfreeze()  # what the test froze goes back to the collector of the test run
    gc.enable()


def test_a_program_that_calls_jaccli_keeps_its_collector():
    frozen = gc.get_freeze_count()
    collector.settle()
    assert gc.isenabled() and gc.get_freeze_count() == frozen


def test_the_console_pauses_the_collector_until_the_libraries_are_in(paused_then_given_back):
    collector.own_process()
    assert not gc.isenabled()
    loaded = [[] for _ in range(10)]
    collector.settle()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(loaded)


def test_what_the_user_makes_after_settling_is_collected_as_usual(paused_then_given_back):
    collector.own_process()
    collector.settle()
    frozen = gc.get_freeze_count()
    collector.settle()  # a second call (JAX set up again) changes nothing
    assert gc.get_freeze_count() == frozen and gc.isenabled()
