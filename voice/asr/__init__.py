"""Speech recognition: faster-whisper tiny.en through CTranslate2, tuned for short telephone turns.

See :mod:`voice.asr.engine` for the API and :mod:`voice.asr.features` for the trimmed-window design.
"""

from __future__ import annotations

from voice.asr.batching import AsrBatcher, QueueOrder
from voice.asr.cache import Speculation
from voice.asr.config import AsrConfig, Device
from voice.asr.engine import AsrEngine
from voice.asr.exceptions import AsrError, AsrInputError, AsrModelError
from voice.asr.features import WindowPolicy
from voice.asr.result import AsrResult, Word
from voice.asr.tokens import DIGITS_HINT

__all__ = [
    "DIGITS_HINT",
    "AsrBatcher",
    "AsrConfig",
    "AsrEngine",
    "AsrError",
    "AsrInputError",
    "AsrModelError",
    "AsrResult",
    "Device",
    "QueueOrder",
    "Speculation",
    "Word",
    "WindowPolicy",
]
