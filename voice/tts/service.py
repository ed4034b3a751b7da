"""Hibari text-to-speech as a pipecat TTS service, resampled to the transport rate.

Synthesis runs on one dedicated thread (one executor per model); each sentence is pushed as soon as
it is ready. Lines the :class:`~voice.tts.engine.PromptCache` holds come back without synthesis.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pipecat.frames.frames import ErrorFrame, Frame, TTSAudioRawFrame
from pipecat.services.settings import TTSSettings
from pipecat.services.tts_service import TextAggregationMode, TTSService

from voice.audio import to_int16_bytes
from voice.tts.engine import HibariEngine, PromptCache


class HibariTTSService(TTSService):
    """Streams one audio frame per sentence; cached prompts come back without synthesis."""

    def __init__(
        self,
        *,
        engine: HibariEngine,
        cache: PromptCache | None = None,
        executor: ThreadPoolExecutor | None = None,
        render: Callable[[str], str] | None = None,
        **kwargs: Any,
    ) -> None:
        """``render`` sees every line before it is spoken and returns what to say: the call uses it to
        speak tokens as masked phrases ("the card ending in 1 1 1 1") and to notice a line that asks
        the caller for a number."""
        super().__init__(
            push_start_frame=True,
            push_stop_frames=True,
            stop_frame_timeout_s=2.0,
            text_aggregation_mode=TextAggregationMode.SENTENCE,
            settings=TTSSettings(model="hibari-tts-0.2.1", voice=engine.voice, language="en"),
            **kwargs,
        )
        self._engine = engine
        self._cache = cache
        self._executor = executor or ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")
        self._render = render

    def can_generate_metrics(self) -> bool:
        return True

    async def run_tts(self, text: str, context_id: str) -> AsyncGenerator[Frame | None, None]:
        rate = self.sample_rate
        loop = asyncio.get_running_loop()
        if self._render is not None:
            text = self._render(text)
        try:
            await self.start_ttfb_metrics()
            if self._cache is not None and (text, rate) in self._cache:
                pcm = self._cache.get(text, rate)
                await self.stop_ttfb_metrics()
                yield TTSAudioRawFrame(audio=pcm, sample_rate=rate, num_channels=1, context_id=context_id)
                return
            for sentence in self._engine.sentences(text):
                if self._cache is not None and self._cache.cacheable(sentence):
                    pcm = await loop.run_in_executor(self._executor, self._cache.get, sentence.strip(), rate)
                else:
                    audio = await loop.run_in_executor(self._executor, self._engine.synthesize, sentence, rate)
                    pcm = to_int16_bytes(audio)
                await self.stop_ttfb_metrics()
                yield TTSAudioRawFrame(audio=pcm, sample_rate=rate, num_channels=1, context_id=context_id)
        except Exception as exc:  # a synthesis failure must not end the call
            yield ErrorFrame(error=f"speech synthesis failed: {type(exc).__name__}")
        finally:
            await self.stop_ttfb_metrics()
