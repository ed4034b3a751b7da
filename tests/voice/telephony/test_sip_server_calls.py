"""Whole calls over SIP and RTP on loopback: speech in, tokenized turns, REFER both ways, DTMF, barge-in."""

from __future__ import annotations

import asyncio
import gc
import time
import weakref
from pathlib import Path

import numpy as np
import pytest
from pipecat.frames.frames import OutputDTMFUrgentFrame

from tests.voice.telephony.conftest import FACTOR, ServerFactory
from voice.telephony.call import CallPhase, SipCall
from voice.telephony.listener import SipServer
from voice.testing.caller import CallerLine
from voice.testing.scenarios import load_scenario
from voice.testing.sip_replay import replay_sip
from voice.testing.sip_uac import SipUac

pytestmark = pytest.mark.asyncio(loop_scope="session")
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "audio"


async def _until(cond: object, within_s: float) -> bool:
    deadline = time.monotonic() + within_s * FACTOR
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.02)
    return bool(cond())  # type: ignore[operator]


def _loud(pcm: bytes) -> bool:
    return int(np.abs(np.frombuffer(pcm, dtype="<i2").astype(np.int32)).max(initial=0)) > 600


async def _connected(sip: SipServer, **kwargs: object) -> tuple[SipUac, SipCall, CallerLine]:
    uac = await SipUac.open(("127.0.0.1", sip.port), **kwargs)  # type: ignore[arg-type]
    assert await uac.invite() == 200
    call = next(c for c in sip.calls.values())
    line = CallerLine(sample_rate=8000, send=uac.send_audio)
    uac.on_audio = line.heard
    line.start()
    assert await _until(lambda: call.phase is CallPhase.CONFIRMED and call.session is not None, 3)
    return uac, call, line


async def test_replay_over_sip_tokenized_turns_and_refer_transfer(sip_server: ServerFactory) -> None:
    scenario = load_scenario(FIXTURES / "billing_8k.yaml")
    async with sip_server() as sip:
        result = await replay_sip(f"127.0.0.1:{sip.port}", scenario)
        assert await _until(lambda: not sip.calls, 5)
        call = sip.finished[-1]
    # the per-turn table comes from the server's tokenized report, latency from the caller's clock
    assert result.rows and "bill" in result.rows[0].caller.lower()
    assert any(r.latency_ms is not None and 0 < r.latency_ms < 5000 for r in result.rows)
    assert [d for d, _ in result.transfers] == ["billing"]
    assert result.transfers[0][1].startswith("sip:billing@")
    # REFER -> 202 -> NOTIFY 200: the transfer succeeded, the concierge audited it, we left with BYE
    assert [(d, s) for d, _, s in call.transfers] == [("billing", 200)]
    assert call.log is not None and "transfer.executed" in call.log.events
    assert "transfer.failed" not in call.log.events


async def test_refer_refused_by_the_peer_is_a_failed_transfer_and_the_call_goes_on(sip_server: ServerFactory) -> None:
    scenario = load_scenario(FIXTURES / "billing_8k.yaml")
    async with sip_server() as sip:
        uac, call, line = await _connected(sip, refer_status=503)
        try:
            await line.wait_reply_done(since=time.monotonic() - 0.001, timeout_s=8 * FACTOR)  # greeting
            line.say(scenario.turns[0].pcm16)
            assert await _until(lambda: bool(call.transfers), 20)
            assert [(d, s) for d, _, s in call.transfers] == [("billing", 503)]
            assert call.session is not None
            assert await _until(lambda: "transfer.failed" in call.session.log.events, 3)
            assert "transfer.executed" not in call.session.log.events
            assert uac.record.refer_targets and not uac.ended.is_set()
        finally:
            await line.stop()
        assert await uac.bye() == 200
        await uac.close()
        assert await _until(lambda: not sip.calls, 5)


async def test_dtmf_in_and_out_as_rfc4733(sip_server: ServerFactory) -> None:
    async with sip_server() as sip:
        uac, call, line = await _connected(sip)
        try:
            for digit in "42#":
                uac.press(digit)
                await asyncio.sleep(0.3)
            assert call.transport is not None
            assert await _until(lambda: len(call.transport.digits) == 3, 3)  # type: ignore[union-attr]
            assert call.transport.digits == ["4", "2", "#"]
            # and out: a DTMF frame from the pipeline goes out as telephone-events
            from pipecat.audio.dtmf.types import KeypadEntry

            assert call.session is not None
            await call.session.queue(OutputDTMFUrgentFrame(buttons=[KeypadEntry.SEVEN, KeypadEntry.POUND]))
            assert await _until(lambda: uac.record.digits == ["7", "#"], 3)
        finally:
            await line.stop()
        assert await uac.bye() == 200
        await uac.close()


async def test_an_ended_call_keeps_its_outcome_and_frees_its_pipeline(sip_server: ServerFactory) -> None:
    async with sip_server() as sip:
        uac, call, line = await _connected(sip)
        try:
            await line.wait_reply_done(since=time.monotonic() - 0.001, timeout_s=8 * FACTOR)  # greeting
        finally:
            await line.stop()
        assert call.session is not None
        call_id, session = call.session.call_id, weakref.ref(call.session)
        transport = weakref.ref(call.transport)
        ended = weakref.ref(call)
        del call
        assert await uac.bye() == 200
        await uac.close()
        assert await _until(lambda: not sip.calls, 5)
        finished = sip.finished[-1]
        assert finished.call_id == call_id and finished.answered_at is not None
        assert finished.log is not None and finished.log.call_id == call_id  # the outcome stays
        for _ in range(50):  # the pipeline's tasks finish on the loop; then nothing holds the call
            gc.collect()
            if ended() is None and session() is None and transport() is None:
                break
            await asyncio.sleep(0.05)
        assert ended() is None and session() is None and transport() is None


async def test_barge_in_stops_our_audio(sip_server: ServerFactory) -> None:
    scenario = load_scenario(FIXTURES / "billing_8k.yaml")
    async with sip_server() as sip:
        uac, call, line = await _connected(sip)
        try:
            onset = await line.wait_onset(since=time.monotonic() - 0.001, timeout_s=8 * FACTOR)
            assert onset is not None
            await asyncio.sleep(max(0.0, onset + 0.8 - time.monotonic()))  # mid-greeting
            barge_at = time.monotonic()
            line.say(scenario.turns[0].pcm16)  # 4.6 s of caller speech
            await asyncio.sleep(2.2)
            heard = line.received
            window = [loud for t, loud in zip(heard.times, heard.loud, strict=True) if barge_at + 0.8 <= t <= barge_at + 2.2]
            assert call.transport is not None and call.transport.interruptions >= 1
            assert window and sum(window) / len(window) < 0.2  # the greeting stopped
        finally:
            await line.stop()
        await uac.bye()
        await uac.close()
