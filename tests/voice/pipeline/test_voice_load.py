"""Under load: the shared ASR lane knows its backlog, and start-up leaves the GC nothing to rescan."""

from __future__ import annotations

import gc
import sys
import threading

import pytest

from voice.pipeline.turns import AsrLane
from voice.server.process import SWITCH_INTERVAL_S, settle_heap
from voice.telephony.gc_pacing import PACER


def test_asr_lane_counts_queued_and_running_decodes() -> None:
    lane = AsrLane()
    gate = threading.Event()
    try:
        assert lane.pending == 0
        running = lane.submit(gate.wait, 5)
        queued = lane.submit(lambda: 42)
        assert lane.pending == 2  # a speculative decode now would wait behind these: none is started
        gate.set()
        assert running.result(5) is True and queued.result(5) == 42
        for _ in range(100):  # the done callbacks run on the ASR thread right after each job
            if lane.pending == 0:
                break
            threading.Event().wait(0.01)
        assert lane.pending == 0
    finally:
        lane.shutdown(wait=True)


def test_settle_heap_freezes_what_start_up_loaded_and_switches_threads_often() -> None:
    interval, pacing = sys.getswitchinterval(), PACER.enabled
    try:
        settle_heap()
        assert gc.get_freeze_count() > 0
        assert sys.getswitchinterval() == pytest.approx(SWITCH_INTERVAL_S)  # kept in whole microseconds
        assert PACER.enabled  # the media clock runs the full GC passes from now on
    finally:
        gc.unfreeze()
        sys.setswitchinterval(interval)
        PACER.enabled = pacing
