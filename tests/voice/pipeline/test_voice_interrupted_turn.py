"""A barge-in that cuts a caller turn while the privacy boundary decides it leaves the transcript on the
record (``redaction.withheld``, reason ``interrupted``, no text) and lets nothing of it through."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pipecat.frames.frames import InterruptionFrame, TranscriptionFrame
from pipecat.tests.utils import SleepFrame, run_test

from concierge.audit_sink import MemoryAuditSink
from voice.pipeline.redaction_stage import RedactionStage


class _SlowGuard:
    """A guard that takes its time (a long turn under load)."""

    capturing = None

    def heard(self, text: str) -> Any:
        time.sleep(0.3)
        raise AssertionError("the turn should have been cut before this answer mattered")


async def test_a_turn_cut_while_the_guard_decides_is_recorded_as_withheld() -> None:
    audit = MemoryAuditSink()
    passed: list[str] = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        stage = RedactionStage(guard=_SlowGuard(), audit=audit, call_id="c-cut", asr_model="asr",  # type: ignore[arg-type]
                               on_tokenized=passed.append, executor=pool, timeout_s=2.0)
        down, _ = await run_test(stage, frames_to_send=[
            TranscriptionFrame(text="my card is 4111 1111 1111 1111", user_id="caller", timestamp="", finalized=True),
            SleepFrame(0.1), InterruptionFrame(), SleepFrame(0.4)])
    assert [(r.event_type, r.payload) for r in audit.records] == [
        ("redaction.withheld", {"stage": "caller_turn", "reason": "interrupted", "entity_counts": {}})]
    assert passed == [] and not [f for f in down if isinstance(f, TranscriptionFrame)]
