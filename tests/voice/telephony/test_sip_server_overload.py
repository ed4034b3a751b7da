"""Overload over SIP with ``overload.action: refuse``: a new INVITE gets 503 with the workspace's
Retry-After, counted (``refused["overload"]``, the admission counts) and audited; the call that was
already up goes on."""

from __future__ import annotations

import asyncio

import pytest

from concierge.audit_sink import MemoryAuditSink
from concierge.config import Overload, OverloadAction
from tests.voice.telephony.conftest import ServerFactory
from voice.pipeline.admission import AdmissionControl
from voice.telephony.call import CallPhase
from voice.testing.sip_uac import SipUac

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_overloaded_worker_refuses_new_calls_with_503_and_retry_after(sip_server: ServerFactory) -> None:
    async with sip_server() as sip:
        engines = sip.state.engines
        assert engines is not None
        live_calls = [0]
        cfg = Overload(action=OverloadAction.REFUSE, max_ai_calls=1, retry_after_s=7)
        before, audit = engines.admission, engines.audit
        sink = MemoryAuditSink()
        engines.audit = sink
        engines.admission = AdmissionControl(queue=engines.asr_queue, settings=lambda: cfg,
                                             live_ai_calls=lambda: live_calls[0], audit=lambda: engines.audit)
        live = await SipUac.open(("127.0.0.1", sip.port))
        other = await SipUac.open(("127.0.0.1", sip.port))
        try:
            assert await live.invite() == 200  # below the ceiling: answered
            live_calls[0] = 1
            assert await other.invite() == 503
            assert other.record.final_headers.get("retry-after") == "7"
            assert sip.refused["overload"] == 1
            assert engines.admission.counts == {("sip", "ai"): 1, ("sip", "refused"): 1}
            for _ in range(100):
                refused = [r for r in sink.records if r.call_id.startswith("refused-")]
                if len(refused) >= 2:
                    break
                await asyncio.sleep(0.02)
            assert [r.event_type for r in refused] == ["call.started", "call.ended"]
            assert refused[0].payload == {"transport": "sip", "ai_enabled": False}
            assert refused[1].payload["reason"] == "refused_overload"
            call = next(iter(sip.calls.values()))
            assert call.phase is CallPhase.CONFIRMED  # the live call goes on
            assert await live.bye() == 200
        finally:
            engines.admission, engines.audit = before, audit
            await live.close()
            await other.close()
