"""Text-to-speech: the Hibari engine, the cache of fixed lines, and the pipecat TTS service.

    from voice.tts import HibariEngine, PromptCache, HibariTTSService

Model files are checked against their recorded SHA-256 digests before loading (:mod:`voice.models`).
"""

from __future__ import annotations

from voice.tts.engine import HIBARI_RATE, HibariEngine, PromptCache, trim_leading_silence
from voice.tts.service import HibariTTSService

__all__ = ["HIBARI_RATE", "HibariEngine", "HibariTTSService", "PromptCache", "trim_leading_silence"]
