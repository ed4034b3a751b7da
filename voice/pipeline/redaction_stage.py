"""The privacy boundary in the pipeline: raw final transcripts in, tokenized transcripts out.

Raw text exists only between the turn processor and this stage. Interim transcripts are dropped
here (they never reach the brain). Each turn emits ``asr.transcribed`` (tokenized text) and
``redaction.applied`` (entity counts by type, never values). DTMF digits typed during the AI
conversation are gathered and tokenized like spoken digits. A turn the turn processor marks
``continues`` (the caller only paused) reaches the brain joined to the turn before it, so the brain
answers the whole request; the audit keeps each part as it was transcribed.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from typing import Any

from pipecat.frames.frames import (
    Frame,
    InputDTMFFrame,
    InterimTranscriptionFrame,
    TranscriptionFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from concierge.audit_sink import AuditSink
from redaction import DtmfGatherer, Redacted

log = logging.getLogger("dialphone.redaction")

REDACTION_ENGINE = "dialphone-redaction-0.1/presidio-2.2.366/en_core_web_sm-3.8.0"


_TAIL_TOKEN = re.compile(r"(\[[A-Z_]+_\d+\])[.,;]?\s*$")


def join_parts(before: str, after: str) -> str:
    """One request from two tokenized parts. A number spoken across the pause is one entity with one
    token in both parts ("card is [CREDIT_CARD_1]." + "[CREDIT_CARD_1]"): it is kept once."""
    tail = _TAIL_TOKEN.search(before)
    if tail and after.startswith(tail.group(1)):
        return before[: tail.start()] + after
    return f"{before} {after}"


class RedactionStage(FrameProcessor):
    def __init__(
        self,
        *,
        redactor: Any,
        audit: AuditSink | None,
        call_id: str,
        asr_model: str,
        asr_version: str = "",
        on_tokenized: Callable[[str], None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._redactor = redactor
        self._audit = audit
        self._call_id = call_id
        self._asr_model = asr_model
        self._asr_version = asr_version
        self._on_tokenized = on_tokenized
        self.invocations = 0
        self._keypad = DtmfGatherer(redactor)
        self._poll_task: asyncio.Task[None] | None = None
        self._request = ""  # the tokenized text of the caller's current request, across pauses

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InterimTranscriptionFrame):
            return  # never past the boundary
        if isinstance(frame, TranscriptionFrame):
            await self._on_final(frame)
            return
        if isinstance(frame, InputDTMFFrame):
            await self._on_key(frame.button.value)
            return  # raw keys stop here; a finished sequence goes on tokenized
        await self.push_frame(frame, direction)

    async def _on_key(self, key: str) -> None:
        done = self._keypad.push(key, time.monotonic())
        if self._poll_task is not None:
            self._poll_task.cancel()
        self._poll_task = asyncio.get_running_loop().create_task(self._poll_later())
        if done is not None:
            await self._typed_turn(done)

    async def _poll_later(self) -> None:
        await asyncio.sleep(self._keypad.timeout_s + 0.05)
        done = self._keypad.poll(time.monotonic())
        if done is not None:
            await self._typed_turn(done)

    async def _typed_turn(self, result: Redacted) -> None:
        """Digits typed during the AI conversation reach the brain as a tokenized caller turn."""
        if not result.text:
            return
        if self._audit is not None:
            await self._audit.emit(
                "redaction.applied",
                {"entity_counts": dict(result.counts()), "engine_version": REDACTION_ENGINE, "latency_ms": 0},
                call_id=self._call_id,
                actor="redaction",
            )
        text = f"(typed on the keypad) {result.text}"
        self._request = ""
        if self._on_tokenized is not None:
            self._on_tokenized(text)
        await self.push_frame(UserStartedSpeakingFrame())
        await self.push_frame(TranscriptionFrame(text=text, user_id="caller", timestamp="", finalized=True))
        await self.push_frame(UserStoppedSpeakingFrame())

    async def _on_final(self, frame: TranscriptionFrame) -> None:
        self.invocations += 1
        t0 = time.perf_counter()
        result = self._redactor.redact(frame.text)
        latency_ms = int((time.perf_counter() - t0) * 1000)
        text: str = result.text
        counts: dict[str, int] = dict(result.counts())
        span = frame.result if isinstance(frame.result, dict) else {}
        if self._audit is not None:
            await self._audit.emit(
                "asr.transcribed",
                {
                    "model": self._asr_model,
                    "model_version": self._asr_version,
                    "audio_start_ms": int(span.get("audio_start_ms", 0)),
                    "audio_end_ms": int(span.get("audio_end_ms", 0)),
                    "text": text,
                    "language": "en",
                },
                call_id=self._call_id,
                actor=self._asr_model,
            )
            await self._audit.emit(
                "redaction.applied",
                {"entity_counts": counts, "engine_version": REDACTION_ENGINE, "latency_ms": latency_ms},
                call_id=self._call_id,
                actor="redaction",
            )
        log.debug("turn redacted: %d entities", sum(counts.values()))
        if span.get("continues") and self._request and text:
            text = join_parts(self._request, text)
        self._request = text
        if self._on_tokenized is not None:
            self._on_tokenized(text)
        await self.push_frame(
            TranscriptionFrame(text=text, user_id=frame.user_id, timestamp=frame.timestamp, finalized=True)
        )
