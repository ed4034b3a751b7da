"""Keeps the caller out of silence and records every brain turn (shared by both brains).

Per turn: a watchdog pushes a filler line (``TTSSpeakFrame``) when no reply started within
``filler_after_s`` and again every ``filler_every_s`` while the brain is still silent, so the
caller never hears more than ~2 s of silence. A completed turn is a ``brain.turn`` event (model
id, prompt version, tokenized input and output, tool calls, latency). A failed turn is a
``brain.failed`` event; the caller hears an apology, and after ``brain.max_failures``
consecutive failures the call falls back to the IVR.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from typing import Any

from pipecat.frames.frames import Frame, TTSSpeakFrame

from concierge.audit_sink import EventType
from concierge.session import ConciergeCall

FILLERS = ("One moment, please.", "Let me check that for you.", "Thanks for waiting, I'm still on it.")
APOLOGY = "Sorry, I'm having a little trouble. Could you say that again?"
FALLBACK = "I'm sorry, I'm having trouble right now. Let me take you to our menu."

PushFn = Callable[[Frame], Awaitable[None]]


class TurnGuard:
    def __init__(
        self,
        call: ConciergeCall,
        *,
        model_id: str,
        prompt_version: str,
        push: PushFn,
        filler_after_s: float = 1.2,
        filler_every_s: float = 2.5,
        fillers: Sequence[str] = FILLERS,
    ) -> None:
        self.call = call
        self.model_id = model_id
        self.prompt_version = prompt_version
        self._push = push
        self.filler_after_s = filler_after_s
        self.filler_every_s = filler_every_s
        self.fillers = tuple(fillers)
        self._watchdog: asyncio.Task[None] | None = None
        self._t0 = 0.0
        self._first_ms: float | None = None
        self._input = ""
        self._text: list[str] = []
        self._calls: list[dict[str, object]] = []
        self._failure: str | None = None
        self.fillers_pushed = 0

    # -- turn lifecycle -------------------------------------------------
    def begin(self, user_text: str) -> None:
        self._cancel_watchdog()
        self._t0 = time.perf_counter()
        self._first_ms = None
        self._input = user_text
        self._text = []
        self._calls = []
        self._failure = None
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    def _started(self) -> None:
        if self._first_ms is None:
            self._first_ms = (time.perf_counter() - self._t0) * 1000.0
            self._cancel_watchdog()

    def add_text(self, text: str) -> None:
        self._started()
        self._text.append(text)

    def add_calls(self, calls: Sequence[tuple[str, Mapping[str, Any]]]) -> None:
        if calls:
            self._started()
        self._calls.extend({"name": n, "arguments": dict(a)} for n, a in calls)

    def mark_failed(self, kind: str) -> None:
        if self._failure is None:
            self._failure = kind

    @property
    def failed(self) -> bool:
        return self._failure is not None

    async def end(self) -> None:
        """Close the turn: audit it, and handle a failure marked during it."""
        self._cancel_watchdog()
        latency_ms = (time.perf_counter() - self._t0) * 1000.0
        if self._failure is not None:
            await self.failure(self._failure, latency_ms=latency_ms)
            return
        self.call.failures = 0
        await self.call.emit(
            EventType.BRAIN_TURN,
            {
                "model": self.model_id,
                "prompt_version": self.prompt_version,
                "input": self._input,
                "output": "".join(self._text),
                "tool_calls": list(self._calls),
                "latency_ms": round(latency_ms, 3),
                "first_output_ms": round(self._first_ms, 3) if self._first_ms is not None else None,
                "fillers": self.fillers_pushed,
            },
            actor="brain",
        )

    async def failure(self, kind: str, *, latency_ms: float | None = None) -> None:
        """One failure (also called by tools for malformed input or an unknown department)."""
        call = self.call
        call.failures += 1
        await call.emit(
            EventType.BRAIN_FAILED,
            {
                "kind": kind,
                "model": self.model_id,
                "prompt_version": self.prompt_version,
                "consecutive": call.failures,
                "latency_ms": round(latency_ms, 3) if latency_ms is not None else None,
            },
            actor="brain",
        )
        if call.handed_off:
            return
        if call.failures >= call.workspace.brain.max_failures:
            call.handed_off = True
            await call.emit(EventType.CALL_TO_IVR, {"reason": "brain_failed"}, actor="brain")
            await self._push(TTSSpeakFrame(FALLBACK, append_to_context=False))
            await call.control.to_ivr("brain_failed")
        elif latency_ms is not None:  # a whole turn failed: the caller is waiting for something
            await self._push(TTSSpeakFrame(APOLOGY, append_to_context=False))

    # -- silence watchdog -------------------------------------------------
    async def _watch(self) -> None:
        await asyncio.sleep(self.filler_after_s)
        i = 0
        while self._first_ms is None and not self.call.handed_off:
            await self._push(TTSSpeakFrame(self.fillers[i % len(self.fillers)], append_to_context=False))
            self.fillers_pushed += 1
            i += 1
            await asyncio.sleep(self.filler_every_s)

    def _cancel_watchdog(self) -> None:
        task, self._watchdog = self._watchdog, None
        if task is not None and not task.done() and task is not asyncio.current_task():
            task.cancel()

    async def aclose(self) -> None:
        task, self._watchdog = self._watchdog, None
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
