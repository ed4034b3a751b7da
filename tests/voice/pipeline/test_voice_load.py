"""Under load: start-up leaves the GC nothing to rescan (the ASR queue: tests/voice/asr/test_asr_batching.py)."""

from __future__ import annotations

import gc
import sys

import pytest

from voice.server.process import SWITCH_INTERVAL_S, settle_heap
from voice.telephony.gc_pacing import PACER


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
