"""The media clock runs full GC passes itself while it runs, and hands the trigger back when it ends."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from voice.telephony.gc_pacing import GcPacer


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    yield saved
    gc.set_threshold(*saved)


def _young_passes(n: int) -> None:
    for _ in range(n):
        gc.collect(1)  # each generation-1 pass counts towards the generation-2 trigger


def test_disabled_pacer_changes_nothing(thresholds: tuple[int, int, int]) -> None:
    pacer = GcPacer()
    pacer.clock_started()
    pacer.after_tick()
    pacer.clock_stopped()
    assert gc.get_threshold() == thresholds and pacer.passes == 0


def test_the_clock_owns_full_passes_while_it_runs(thresholds: tuple[int, int, int]) -> None:
    gc.set_threshold(thresholds[0], thresholds[1], 3)
    pacer = GcPacer()
    pacer.enable()
    pacer.clock_started()
    try:
        assert gc.get_threshold()[2] > 1_000_000  # the collector's own trigger is off
        node = _Node()
        ref = weakref.ref(node)
        gc.collect(2)  # the cycle survives into the oldest generation; the counts start at 0
        del node  # now garbage that only a full pass can find
        _young_passes(1)
        pacer.after_tick()
        assert pacer.passes == 0 and ref() is not None  # not due yet; young passes never see it
        _young_passes(2)
        pacer.after_tick()  # as many young passes as the saved threshold: a full pass is due
        assert pacer.passes == 1 and ref() is None and pacer.max_pass_ms >= 0
    finally:
        pacer.clock_stopped()
    assert gc.get_threshold() == (thresholds[0], thresholds[1], 3)


def test_last_clock_stopping_restores_the_trigger_and_frees_garbage(thresholds: tuple[int, int, int]) -> None:
    pacer = GcPacer()
    pacer.enable()
    pacer.clock_started()
    pacer.clock_started()  # a second clock (another SIP server in the process)
    node = _Node()
    ref = weakref.ref(node)
    del node
    pacer.clock_stopped()
    assert gc.get_threshold()[2] > 1_000_000 and pacer.passes == 0  # one clock still runs
    pacer.clock_stopped()
    assert gc.get_threshold() == thresholds
    assert pacer.passes == 1 and ref() is None
