"""Overload keeps its promise: while the ASR is overloaded a new caller gets the plain IVR, served as an
opted-out caller is (no ASR, no brain, no NER), and the audit says why (``optout.applied`` with scope
``feature``, trigger ``overload``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from concierge.config import Overload
from voice.pipeline.admission import AdmissionControl
from voice.pipeline.engines import Engines
from voice.testing.ivr_harness import drive_call

pytestmark = pytest.mark.asyncio(loop_scope="session")


@contextmanager
def overloaded(engines: Engines, live: int, **settings: Any) -> Iterator[AdmissionControl]:
    """The engines' admission control with ``live`` AI calls said to be running."""
    before = engines.admission
    cfg = Overload(**settings)
    engines.admission = AdmissionControl(queue=engines.asr_queue, settings=lambda: cfg, live_ai_calls=lambda: live)
    try:
        yield engines.admission
    finally:
        engines.admission = before


async def test_an_overloaded_process_gives_a_new_caller_the_ivr_with_zero_ai(engines: Engines) -> None:
    from audit.store import RowQuery
    from voice.pipeline.audit_setup import AuditLogSink

    memory = engines.audit
    engines.audit = sink = AuditLogSink(engines.audit_log, workspace_id=engines.workspace.id)
    try:
        with overloaded(engines, live=4, max_ai_calls=4) as admission:
            r = await drive_call(engines, rate=8000, digits="1")
    finally:
        engines.audit = memory
    await sink.flush()
    assert not r.ai and r.mode == "ivr" and r.transfers == [("billing", "billing")]
    assert (r.asr_invocations, r.ner_invocations, r.brain_turns) == (0, 0, 0)
    assert admission.counts == {("inproc", "ivr"): 1}
    rows = list(engines.audit_log._store.rows(engines.workspace.id, RowQuery(call_id=r.call_id)))
    assert [row.type for row in rows] == ["call.started", "optout.applied", "ivr.routed", "call.ended"]
    assert rows[0].payload == {"transport": "inproc", "ai_enabled": False}
    assert rows[1].payload == {"scope": "feature", "trigger": "overload"}


async def test_below_the_ceiling_the_caller_gets_the_ai(engines: Engines) -> None:
    with overloaded(engines, live=3, max_ai_calls=4) as admission:
        r = await drive_call(engines, rate=8000)
    assert r.ai and r.mode == "ai"
    assert admission.counts == {("inproc", "ai"): 1}
