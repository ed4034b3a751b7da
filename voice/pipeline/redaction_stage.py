"""The privacy boundary in the pipeline: raw final transcripts and keys in, tokenized turns out.

Raw text exists only between the turn processor and this stage. Every caller turn goes through the
call's :class:`redaction.CallGuard`, which sees the whole call (pieces of a number across turns,
pauses, barge-ins and the keypad join one token), off the event loop with a deadline:

- tokenized: ``asr.transcribed`` (tokenized text) and ``redaction.applied`` (entity counts by type)
  are audited and the turn goes on to the brain;
- withheld (the guard could not decide, failed, missed its deadline, or a barge-in cut the turn
  while it decided: reason ``interrupted``): ``redaction.withheld`` with
  the reason and entity counts only, nothing reaches the brain, and the caller is asked again and
  offered the keypad.

Interim transcripts are dropped here. Keys typed during the AI conversation are gathered into
sequences and tokenized the same way; in secure capture mode (:mod:`voice.pipeline.capture`) every
key goes straight to the guard's capture and nothing else happens. A turn the turn processor marks
``continues`` (the caller only paused) reaches the brain joined to the turn before it.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from pipecat.frames.frames import (
    Frame,
    InputDTMFFrame,
    InterimTranscriptionFrame,
    TranscriptionFrame,
    TTSSpeakFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from audit.events import EventType
from concierge.audit_sink import AuditSink
from redaction import CallGuard, CaptureResult, DtmfGatherer, GuardResult, Withheld

log = logging.getLogger("dialphone.redaction")

REDACTION_ENGINE = "dialphone-redaction-0.2/presidio-2.2.366/en_core_web_sm-3.8.0"
ASK_AGAIN = "Sorry, I didn't catch that. Could you type it on your keypad instead, then press pound?"

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
        guard: CallGuard,
        audit: AuditSink | None,
        call_id: str,
        asr_model: str,
        asr_version: str = "",
        on_tokenized: Callable[[str], None] | None = None,
        executor: Executor | None = None,
        timeout_s: float = 0.5,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.guard = guard
        self._audit = audit
        self._call_id = call_id
        self._asr_model = asr_model
        self._asr_version = asr_version
        self._on_tokenized = on_tokenized
        self._executor = executor
        self.timeout_s = timeout_s
        self.invocations = 0
        self.withheld = 0
        self._keypad: DtmfGatherer[GuardResult] = DtmfGatherer(guard)
        self._poll_task: asyncio.Task[None] | None = None
        self._request = ""  # the tokenized text of the caller's current request, across pauses
        self.capture_waiter: asyncio.Future[CaptureResult] | None = None

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

    # -- keypad ----------------------------------------------------------------------------
    async def _on_key(self, key: str) -> None:
        if self.guard.capturing is not None:
            captured = self.guard.capture_key(key)
            waiter = self.capture_waiter
            if captured is not None and waiter is not None and not waiter.done():
                waiter.set_result(captured)
            return
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

    async def _typed_turn(self, result: GuardResult) -> None:
        """Digits typed during the AI conversation reach the brain as a tokenized caller turn."""
        if result.withheld is not None:
            await self._withhold(result)
            return
        if not result.text:
            return
        await self._emit(
            EventType.REDACTION_APPLIED,
            {"entity_counts": dict(result.counts), "engine_version": REDACTION_ENGINE, "latency_ms": 0},
        )
        await self._pass_on(f"(typed on the keypad) {result.text}", joined=False)

    # -- voice -----------------------------------------------------------------------------
    async def _decide(self, text: str) -> tuple[GuardResult, int]:
        t0 = time.perf_counter()
        try:
            if self._executor is None:
                result = self.guard.heard(text)
            else:
                loop = asyncio.get_running_loop()
                fut = loop.run_in_executor(self._executor, self.guard.heard, text)
                result = await asyncio.wait_for(fut, timeout=self.timeout_s)
        except TimeoutError:
            result = GuardResult.held(Withheld.TIMEOUT)
        return result, int((time.perf_counter() - t0) * 1000)

    async def _on_final(self, frame: TranscriptionFrame) -> None:
        self.invocations += 1
        try:
            result, latency_ms = await self._decide(frame.text)
        except asyncio.CancelledError:
            # A barge-in (an interruption) cut the turn before the guard answered: nothing of it goes
            # on, and the transcript that was made is still on the record, as withheld.
            await asyncio.shield(self._emit(
                EventType.REDACTION_WITHHELD, {"stage": "caller_turn", "reason": "interrupted", "entity_counts": {}}
            ))
            raise
        if result.withheld is not None:
            await self._withhold(result)
            return
        text = result.text
        span = frame.result if isinstance(frame.result, dict) else {}
        await self._emit(
            EventType.ASR_TRANSCRIBED,
            {
                "model": self._asr_model,
                "model_version": self._asr_version,
                "audio_start_ms": int(span.get("audio_start_ms", 0)),
                "audio_end_ms": int(span.get("audio_end_ms", 0)),
                "text": text,
                "language": "en",
            },
            actor=self._asr_model,
        )
        await self._emit(
            EventType.REDACTION_APPLIED,
            {"entity_counts": dict(result.counts), "engine_version": REDACTION_ENGINE, "latency_ms": latency_ms},
        )
        log.debug("turn redacted: %d entities", sum(result.counts.values()))
        joined = bool(span.get("continues")) and bool(self._request) and bool(text)
        await self._pass_on(text, joined=joined, frame=frame)

    async def _pass_on(self, text: str, *, joined: bool, frame: TranscriptionFrame | None = None) -> None:
        if joined:
            text = join_parts(self._request, text)
        self._request = text if frame is not None else ""
        if self._on_tokenized is not None:
            self._on_tokenized(text)
        if frame is None:  # a typed turn: the stage opens and closes the user turn itself
            await self.push_frame(UserStartedSpeakingFrame())
            await self.push_frame(TranscriptionFrame(text=text, user_id="caller", timestamp="", finalized=True))
            await self.push_frame(UserStoppedSpeakingFrame())
            return
        await self.push_frame(
            TranscriptionFrame(text=text, user_id=frame.user_id, timestamp=frame.timestamp, finalized=True)
        )

    async def _withhold(self, result: GuardResult) -> None:
        """Fail closed: nothing of the turn goes on; the caller is asked again."""
        self.withheld += 1
        assert result.withheld is not None
        log.info("turn withheld at the privacy boundary: %s", result.withheld.value)
        await self._emit(
            EventType.REDACTION_WITHHELD,
            {"stage": "caller_turn", "reason": result.withheld.value, "entity_counts": dict(result.counts)},
            durable=True,
        )
        self._request = ""
        await self.push_frame(TTSSpeakFrame(ASK_AGAIN, append_to_context=False))

    async def _emit(self, event_type: EventType, payload: dict[str, object], *, actor: str = "redaction",
                    durable: bool = False) -> None:
        if self._audit is not None:
            await self._audit.emit(event_type, payload, call_id=self._call_id, actor=actor, durable=durable)

    async def cleanup(self) -> None:
        if self._poll_task is not None:
            self._poll_task.cancel()
        waiter = self.capture_waiter
        if waiter is not None and not waiter.done():
            waiter.cancel()
        await super().cleanup()
