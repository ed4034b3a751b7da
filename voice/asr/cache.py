"""Speculative decoding within one call: the handle ``AsrEngine.start`` returns.

The pipeline may decode at the first pause (``AsrEngine.start``) and again at the end of the turn
(``AsrEngine.finish``). When the audio did not change in between (the caller stayed silent), the
second call reuses the first result. The handle belongs to the call that made it: nothing is kept
in the engine, so no caller ever gets another caller's transcript, however alike their audio is
(there is no result cache shared between calls).
"""

from __future__ import annotations

from dataclasses import dataclass

from voice.asr.result import AsrResult


@dataclass(frozen=True, slots=True)
class Speculation:
    """Handle returned by ``AsrEngine.start``: the digest of the audio decoded and its result."""

    key: bytes
    result: AsrResult
