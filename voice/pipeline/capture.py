"""Secure keypad capture for one call (the :class:`concierge.capture.SecureCapture` of the pipeline).

While a card, CVV or SSN is being typed: the caller hears the prompt, keypad digits go straight to
the guard's capture and from there to the vault (:meth:`redaction.CallGuard.capture_key`), the turn
processor drops the caller's audio so nothing reaches speech recognition, and the IVR switch does not
read a lone 0 as the opt-out key. Pound ends the capture, star cancels it, and after ``timeout_s``
it is cancelled. The brain gets a :class:`concierge.capture.CaptureOutcome`: a token, a length and
whether the number is valid, never the digits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from pipecat.frames.frames import Frame, TTSSpeakFrame

from concierge.capture import CaptureOutcome
from redaction import CallGuard, CaptureResult, EntityType
from voice.pipeline.redaction_stage import RedactionStage
from voice.pipeline.turns import TurnProcessor


class PipelineCapture:
    def __init__(
        self, *, guard: CallGuard, stage: RedactionStage, turns: TurnProcessor,
        queue: Callable[[Frame], Awaitable[None]],
    ) -> None:
        self._guard = guard
        self._stage = stage
        self._turns = turns
        self._queue = queue
        self.captures = 0

    async def collect(self, entity_type: EntityType, *, prompt: str, timeout_s: float) -> CaptureOutcome:
        if self._guard.capturing is not None:
            return CaptureOutcome(status="busy")
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[CaptureResult] = loop.create_future()
        self._stage.capture_waiter = waiter
        self._guard.start_capture(entity_type)
        self._turns.muted = True
        self.captures += 1
        try:
            await self._queue(TTSSpeakFrame(prompt, append_to_context=False))
            result = await asyncio.wait_for(waiter, timeout=timeout_s)
        except TimeoutError:
            self._guard.cancel_capture()
            return CaptureOutcome(status="timeout")
        finally:
            self._turns.muted = False
            self._stage.capture_waiter = None
        if result.cancelled or result.token is None:
            return CaptureOutcome(status="cancelled")
        return CaptureOutcome(status="captured", token=result.token, digits=result.length, valid=result.valid)
