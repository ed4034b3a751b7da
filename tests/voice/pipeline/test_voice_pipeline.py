"""The whole in-process voice loop on real recordings: transcript, reply, audit, latency."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from voice.pipeline.engines import Engines
from voice.testing.replay import replay_inproc
from voice.testing.results import latency_summary
from voice.testing.scenarios import ReplayTurn, Scenario, load_scenario

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_real_speech_gets_a_spoken_reply(engines: Engines, shared_dir: Path) -> None:
    scenario = load_scenario(shared_dir / "audio/speech/spk1_snt1.wav", rate=16000)
    result = await replay_inproc(engines, scenario)
    assert len(result.rows) == 1
    row = result.rows[0]
    assert "dog" in row.caller.lower()
    assert row.reply  # the brain answered
    assert row.latency_ms is not None and 0 < row.latency_ms < 2000
    assert result.events[:3] == ["call.started", "asr.transcribed", "redaction.applied"]
    assert "brain.turn" in result.events
    heard = np.frombuffer(result.heard_pcm, dtype="<i2")
    assert np.abs(heard).max() > 3000  # the caller heard a reply, not silence


async def test_card_number_never_reaches_the_brain(engines: Engines) -> None:
    text = "my card number is four one one one one one one one one one one one one one one one"
    pcm = engines.tts.synthesize(text, 16000)
    turn = ReplayTurn((np.clip(pcm, -1, 1) * 32767).astype("<i2").tobytes())
    result = await replay_inproc(engines, Scenario(name="card", rate=16000, turns=[turn]))
    joined = " ".join(result.brain_inputs)
    assert "[CREDIT_CARD_1]" in joined
    assert "1111" not in joined and "one one one" not in joined


async def test_silence_produces_no_turn(engines: Engines) -> None:
    quiet = np.zeros(16000 * 2, dtype="<i2").tobytes()
    result = await replay_inproc(engines, Scenario(name="silence", rate=16000, turns=[ReplayTurn(quiet)]))
    assert result.rows == []
    assert latency_summary([result])["turns"] == 0


async def test_typed_card_number_is_tokenized(engines: Engines) -> None:
    """Keys typed during the AI conversation reach the brain as one token, never as digits."""
    from concierge.config import Transport
    from voice.pipeline.inproc import InprocTransport
    from voice.pipeline.session import CallSession
    from voice.testing.caller import CallerLine

    transport = InprocTransport(sample_rate=8000)
    line = CallerLine(sample_rate=8000, send=transport.feed)
    transport.recording.listener = line.heard
    session = CallSession(engines=engines, transport=transport, kind=Transport.INPROC, sample_rate=8000)
    run = asyncio.create_task(session.run())
    line.start()
    try:
        await line.wait_reply_done(since=0.0, timeout_s=8.0)  # the greeting
        for key in "5200828282828210#":
            await transport.press(key)
            await asyncio.sleep(0.05)
        await line.wait_reply_done(since=line.received.times[-1], timeout_s=8.0)
    finally:
        await line.stop()
        await session.end()
        await asyncio.wait_for(run, timeout=15)
    user_texts = [m["content"] for m in session.context.get_messages() if m.get("role") == "user"]
    joined = " ".join(str(t) for t in user_texts)
    assert "[CREDIT_CARD_1]" in joined
    assert "8282" not in joined and "5200" not in joined
