"""Hibari TTS: verified load, resampling to telephone rate, and an ASR round trip."""

from __future__ import annotations

import numpy as np
import pytest

from voice.audio import resample
from voice.pipeline.engines import Engines
from voice.tts import HIBARI_RATE, trim_leading_silence


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("rate", [8000, 16000])
async def test_round_trip_through_asr(engines: Engines, rate: int) -> None:
    text = "Let me connect you to technical support."
    audio = engines.tts.synthesize(text, rate)
    assert 1.0 < len(audio) / rate < 5.0
    pcm16k = audio if rate == 16000 else resample(audio, rate, 16000)
    heard = engines.asr.transcribe(pcm16k).text.lower()
    for word in ("connect", "technical", "support"):
        assert word in heard


@pytest.mark.asyncio(loop_scope="session")
async def test_prompt_cache_renders_once(engines: Engines) -> None:
    before = engines.tts.invocations
    first = engines.prompts.get(engines.workspace.greeting, 8000)
    again = engines.prompts.get(engines.workspace.greeting, 8000)
    assert first is again
    assert engines.tts.invocations == before  # preloaded at start


def test_leading_silence_trimmed() -> None:
    audio = np.concatenate([np.zeros(HIBARI_RATE // 2, np.float32), np.full(100, 0.5, np.float32)])
    trimmed = trim_leading_silence(audio, HIBARI_RATE)
    assert len(trimmed) == 100 + HIBARI_RATE * 10 // 1000


async def _spoken(engines: Engines, text: str, rate: int) -> bytes:
    from voice.tts import HibariTTSService

    tts = HibariTTSService(engine=engines.tts, cache=engines.prompts, executor=engines.tts_executor, sample_rate=rate)
    tts._sample_rate = rate  # run_tts reads the rate the pipeline would have set at start
    out = b""
    async for frame in tts.run_tts(text, "ctx"):
        out += getattr(frame, "audio", b"")
    return out


@pytest.mark.asyncio(loop_scope="session")
async def test_concierge_lines_are_rendered_once_and_caller_words_never_cached(engines: Engines) -> None:
    line = "Sure, let me get you to billing."
    assert engines.prompts.cacheable(line)
    first = await _spoken(engines, line, 8000)
    before = engines.tts.invocations
    again = await _spoken(engines, line, 8000)
    assert again == first and len(first) > 8000  # the same audio, replayed
    assert engines.tts.invocations == before
    # a sentence the concierge did not write (a free-form model reply) is synthesized every time
    free = "Thanks Maria, your order is on its way."
    assert not engines.prompts.cacheable(free)
    await _spoken(engines, free, 8000)
    await _spoken(engines, free, 8000)
    assert engines.tts.invocations == before + 2
    assert (free, 8000) not in engines.prompts
