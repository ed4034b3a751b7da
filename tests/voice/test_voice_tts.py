"""Hibari TTS: verified load, resampling to telephone rate, and an ASR round trip."""

from __future__ import annotations

import numpy as np
import pytest

from voice.audio import resample
from voice.engines import Engines
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
