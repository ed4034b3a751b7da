"""Keeps the caller out of silence and records every brain turn (shared by both brains).

Per turn: a watchdog pushes a filler line (``TTSSpeakFrame``) when no reply started within
``filler_after_s`` and again every ``filler_every_s`` while the brain is still silent, so the
caller never hears more than ~2 s of silence. A completed turn is a ``brain.turn`` event (model
id configured and as the API returned it, prompt version, what the model saw (:mod:`concierge.model_input`),
output, tool calls, latency). A turn that asks for tools is recorded durably *before* the tools run
(:meth:`TurnGuard.before_tools`), so no tool acts on the call for a turn the log does not hold. A turn
cut by a barge-in is recorded with status ``interrupted`` and the tool calls it had made. A failed
turn is a ``brain.failed`` event; the caller hears an apology, and after ``brain.max_failures``
consecutive failures the call falls back to the IVR.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from pipecat.frames.frames import Frame, TTSSpeakFrame
from pipecat.processors.aggregators.llm_context import LLMContext

from concierge.audit_sink import EventType
from concierge.capture import scrub_messages
from concierge.model_input import ModelInput
from concierge.session import ConciergeCall

FILLERS = ("One moment, please.", "Let me check that for you.", "Thanks for waiting, I'm still on it.")
APOLOGY = "Sorry, I'm having a little trouble. Could you say that again?"
FALLBACK = "I'm sorry, I'm having trouble right now. Let me take you to our menu."

PushFn = Callable[[Frame], Awaitable[None]]
_log = logging.getLogger(__name__)
_IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/@+\-]{0,199}\Z")


def _ident(value: str, default: str) -> str:
    return value if _IDENT.match(value) else default


def _tool_calls(calls: Sequence[tuple[str, Mapping[str, Any]]]) -> list[dict[str, object]]:
    """Tool calls as the audit schema holds them: identifier names, text arguments."""
    out: list[dict[str, object]] = []
    for name, args in calls:
        arguments = {
            _ident(str(k), "invalid_argument"): v if isinstance(v, str) else str(v) for k, v in dict(args).items()
        }
        out.append({"name": _ident(name, "invalid_tool"), "arguments": arguments})
    return out


@dataclass(frozen=True, slots=True)
class TurnRecord:
    """Timing of the last completed turn (not audited: the audit schema has latency only)."""

    latency_ms: float
    first_output_ms: float | None
    fillers: int


class TurnGuard:
    def __init__(
        self,
        call: ConciergeCall,
        *,
        model_id: str,
        prompt_version: str,
        push: PushFn,
        model_version: str | None = None,
        filler_after_s: float = 1.2,
        filler_every_s: float = 2.5,
        fillers: Sequence[str] = FILLERS,
    ) -> None:
        self.call = call
        self.model_id = model_id
        self.model_version = model_version or model_id
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
        self._calls: list[tuple[str, Mapping[str, Any]]] = []
        self._seen: list[str] = []
        self._failure: str | None = None
        self._usage: tuple[int, int] | None = None
        self._request: ModelInput | None = None
        self._returned: str | None = None
        self._open = False  # a turn began and is not recorded yet
        self._prompts_written: set[str] = set()
        self.fillers_pushed = 0
        self.last_turn: TurnRecord | None = None
        self.recorded: list[str] = []  # statuses of the turns recorded (tests, the coverage evaluation)

    # -- turn lifecycle -------------------------------------------------
    async def scrub_context(self, context: LLMContext) -> int:
        """The egress backstop before any model sees the context: every message (tool inputs and
        results too) passes the call's boundary; a stretch of a caller's secret found there is replaced
        and audited as ``redaction.withheld``. Returns how many were replaced (0 in a healthy call)."""
        boundary = self.call.boundary
        if boundary is None:
            return 0
        n = scrub_messages(list(context.get_messages()), boundary)
        if n:
            _log.warning("egress check replaced %d stretch(es) of caller data before the model", n)
            await self.call.emit(
                EventType.REDACTION_WITHHELD,
                {"stage": "model_input", "reason": "secret_in_context", "entity_counts": {"SECRET": n}},
                actor="redaction",
                durable=True,
            )
        return n

    def begin(self, user_text: str) -> None:
        self._cancel_watchdog()
        self._t0 = time.perf_counter()
        self._first_ms = None
        self._input = user_text
        self._text = []
        self._calls = []
        self._seen = []
        self._failure = None
        self._usage = None
        self._request = None
        self._returned = None
        self._open = True
        self.fillers_pushed = 0
        self._watchdog = asyncio.get_running_loop().create_task(self._watch())

    async def set_request(self, request: ModelInput) -> None:
        """What the model is about to see (the last request of the turn counts). The system prompt and
        tool definitions are written in full once per call (``brain.prompt``)."""
        self._request = request
        sha = request.prompt_sha256
        if sha in self._prompts_written:
            return
        self._prompts_written.add(sha)
        try:
            await self.call.emit(
                EventType.BRAIN_PROMPT,
                {"sha256": sha, "model": self.model_id, "prompt_template_version": self.prompt_version,
                 "system": request.system, "tools": request.tools},
                actor="brain",
            )
        except Exception as exc:  # the turn still runs and is recorded with its hashes; say what is missing
            _log.warning("brain.prompt refused by the audit sink: %s", type(exc).__name__)

    def set_returned_model(self, model: str) -> None:
        """The model id the API answered with (it may differ from the configured alias)."""
        if model and _IDENT.match(model):
            self._returned = model

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
        self._seen = []  # the complete calls replace the ones seen starting in the stream
        self._calls.extend((n, dict(a)) for n, a in calls)

    def saw_tool(self, name: str) -> None:
        """The model started a tool call (its arguments still streaming): an interrupted turn names it."""
        self._started()
        self._seen.append(name)

    def set_usage(self, input_tokens: int, output_tokens: int) -> None:
        self._usage = (max(0, int(input_tokens)), max(0, int(output_tokens)))

    @property
    def elapsed_ms(self) -> int:
        return int((time.perf_counter() - self._t0) * 1000.0) if self._t0 else 0

    def mark_failed(self, kind: str) -> None:
        if self._failure is None:
            self._failure = kind

    @property
    def failed(self) -> bool:
        return self._failure is not None

    async def before_tools(self, calls: Sequence[tuple[str, Mapping[str, Any]]]) -> bool:
        """The model asked for ``calls``: record the turn durably now, before any of them acts on the
        call. False (and nothing may run) when the log refused the turn."""
        self.add_calls(calls)
        if not calls or not self._open or self._failure is not None:
            return True
        return await self._record("completed", durable=True)

    async def interrupted(self) -> None:
        """A barge-in cut the turn: record what the model had produced and asked for so far."""
        self._cancel_watchdog()
        if not self._open:
            return
        with suppress(Exception):  # the turn's task is being cancelled: this write must not be
            await asyncio.shield(self._record("interrupted", durable=False))

    async def end(self) -> None:
        """Close the turn: audit it (unless :meth:`before_tools` did), and handle a failure marked during it."""
        self._cancel_watchdog()
        latency_ms = (time.perf_counter() - self._t0) * 1000.0
        if self._failure is not None:
            self._open = False
            await self.failure(self._failure, latency_ms=latency_ms)
            return
        self.call.failures = 0
        self.last_turn = TurnRecord(latency_ms, self._first_ms, self.fillers_pushed)
        if self._open:
            await self._record("completed", durable=False)

    async def _record(self, status: str, *, durable: bool) -> bool:
        self._open = False
        latency_ms = (time.perf_counter() - self._t0) * 1000.0
        output = "".join(self._text)
        tokens_in, tokens_out = self._usage or (len(self._input.split()), len(output.split()))
        try:
            await self.call.emit(EventType.BRAIN_TURN, self._payload(status, output, latency_ms, tokens_in, tokens_out),
                                 actor="brain", durable=durable)
        except Exception as exc:  # e.g. the audit schema's raw-data backstop refused the model's output
            _log.warning("brain.turn refused by the audit sink: %s", type(exc).__name__)
            await self.call.emit(
                EventType.BRAIN_FAILED,
                {"model": self.model_id, "error_kind": "audit_rejected", "latency_ms": int(latency_ms)},
                actor="brain",
            )
            self.recorded.append("audit_rejected")
            return False
        self.recorded.append(status)
        return True

    def _payload(self, status: str, output: str, latency_ms: float, tokens_in: int, tokens_out: int
                 ) -> dict[str, object]:
        payload: dict[str, object] = {
            "model": self.model_id,
            "model_version": self._returned or self.model_version,
            "prompt_template_version": self.prompt_version,
            "input": self._input,
            "output": output,
            "tool_calls": _tool_calls([*self._calls, *((n, {}) for n in self._seen)]),
            "latency_ms": int(latency_ms),
            "input_tokens": tokens_in,
            "output_tokens": tokens_out,
            "status": status,
        }
        if self._returned is not None:
            payload["model_returned"] = self._returned
        request = self._request
        if request is not None:
            payload["messages"] = request.messages
            payload["input_sha256"] = request.sha256
            payload["prompt_sha256"] = request.prompt_sha256
        return payload

    async def failure(self, kind: str, *, latency_ms: float | None = None) -> None:
        """One failure (also called by tools for malformed input or an unknown department)."""
        call = self.call
        call.failures += 1
        await call.emit(
            EventType.BRAIN_FAILED,
            {
                "model": self.model_id,
                "error_kind": _ident(kind, "error"),
                "latency_ms": int(latency_ms) if latency_ms is not None else self.elapsed_ms,
            },
            actor="brain",
        )
        if call.handed_off:
            return
        if call.failures >= call.workspace.brain.max_failures:

            async def fallback_line() -> None:
                await self._push(TTSSpeakFrame(FALLBACK, append_to_context=False))

            await call.to_ivr("brain_failed", before=fallback_line)
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
