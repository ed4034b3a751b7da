"""A caller who pauses mid-request is heard out: the reply waits, the brain gets the whole request."""

from __future__ import annotations

import numpy as np
import pytest

from voice.pipeline.engines import Engines
from voice.pipeline.redaction_stage import join_parts
from voice.testing.replay import replay_inproc
from voice.testing.scenarios import ReplayTurn, Scenario

ASYNC = pytest.mark.asyncio(loop_scope="session")


def _speech(engines: Engines, *parts: tuple[str, float]) -> bytes:
    """TTS parts (their own leading and trailing silence trimmed), each followed by the given seconds
    of silence, as 16 kHz s16le."""
    chunks = []
    for text, pause_s in parts:
        pcm = np.clip(engines.tts.synthesize(text, 16000), -1, 1)
        loud = np.flatnonzero(np.abs(pcm) > 0.02)
        pcm = pcm[loud[0] : loud[-1] + 1]  # the pause is exactly what the test says
        chunks += [pcm, np.zeros(int(pause_s * 16000), dtype=pcm.dtype)]
    return (np.concatenate(chunks) * 32767).astype("<i2").tobytes()


@ASYNC
async def test_a_pause_inside_a_request_does_not_split_it(engines: Engines) -> None:
    """0.35 s between the sentences: longer than the 200 ms endpoint, shorter than ``resume_ms``."""
    assert engines.workspace.audio.vad.stop_ms < 350 < engines.workspace.audio.vad.resume_ms
    pcm = _speech(engines, ("I have a question about my bill.", 0.35), ("There is a late fee on it.", 0.0))
    result = await replay_inproc(engines, Scenario(name="pause", rate=16000, turns=[ReplayTurn(pcm)]))
    assert result.brain_inputs, "the brain got nothing"
    last = result.brain_inputs[-1].lower()
    assert "bill" in last and "late fee" in last  # both parts, one request
    assert [t[0] for t in result.transfers] == ["billing"]  # exactly one transfer ran
    assert len(result.rows) == 1  # one spoken turn, one row: the parts merged
    assert "bill" in result.rows[0].caller.lower() and "late fee" in result.rows[0].caller.lower()
    rules = [str(d.get("rule_id")) for d in result.decisions]
    if "caller_continued" in rules:  # the first part was routed before the caller went on: withdrawn
        assert rules.index("caller_continued") < len(rules) - 1 and rules[-1] == "policy_allow"
    assert result.caller_turns and result.caller_turns[0].latency_ms is not None, ([(r.caller, r.reply, r.tools) for r in result.rows], result.decisions, result.events)  # the reply came after


@ASYNC
async def test_a_new_turn_after_a_long_pause_stands_alone(engines: Engines) -> None:
    pcm = _speech(engines, ("Hello there.", 1.6), ("What are your opening hours?", 0.0))
    result = await replay_inproc(engines, Scenario(name="two", rate=16000, turns=[ReplayTurn(pcm)]))
    assert len(result.brain_inputs) >= 2
    assert "hello" not in result.brain_inputs[-1].lower() and "hours" in result.brain_inputs[-1].lower()


@pytest.mark.parametrize(
    ("before", "after", "joined"),
    [
        ("my bill.", "i paid it", "my bill. i paid it"),
        ("my card number is [CREDIT_CARD_1].", "[CREDIT_CARD_1]", "my card number is [CREDIT_CARD_1]"),
        ("id [ID_1]", "[ID_2] thanks", "id [ID_1] [ID_2] thanks"),
        ("call [PHONE_NUMBER_1],", "[PHONE_NUMBER_1] please", "call [PHONE_NUMBER_1] please"),
    ],
)
def test_join_parts_keeps_one_token_per_entity(before: str, after: str, joined: str) -> None:
    assert join_parts(before, after) == joined
