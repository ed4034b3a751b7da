"""Per-call pipeline assembly from the workspace configuration.

    transport in -> turn (VAD + ASR) -> redaction -> user context -> brain (+ tools, transfer gate)
                 -> TTS -> transport out -> assistant context

Everything shared between calls (models, executors, audit log) lives in :class:`voice.pipeline.engines.Engines`;
a :class:`CallSession` holds only per-call state (VAD, redactor and vault, context, turn records).

Every transport runs its call through :meth:`CallSession.run`, which writes ``call.started`` before
the pipeline starts and ``call.ended`` (why, how long, the state it ended in) when it is over, after
the call's authority is ended and its background steps (approval waits) are withdrawn, so every
event of a call lies between the two.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from pipecat.frames.frames import EndFrame, Frame, TTSSpeakFrame
from pipecat.observers.base_observer import BaseObserver
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineParams, PipelineWorker
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.transports.base_transport import BaseTransport
from pipecat.turns.user_start import ExternalUserTurnStartStrategy
from pipecat.turns.user_stop import ExternalUserTurnStopStrategy
from pipecat.turns.user_turn_strategies import UserTurnStrategies
from pipecat.workers.runner import WorkerRunner

from concierge.authority import CallAuthority, CallMode
from concierge.brains import new_context
from concierge.config import Transport, Workspace
from redaction import speakable
from redaction.asks import asked_for
from voice.pipeline.brain_setup import make_brain
from voice.pipeline.call_control import PipelineCallControl
from voice.pipeline.calllog import CallAudit, CallLog, TurnRecord
from voice.pipeline.capture import PipelineCapture
from voice.pipeline.engines import Engines
from voice.pipeline.observers import TurnObserver
from voice.pipeline.redaction_stage import RedactionStage
from voice.pipeline.turns import TurnProcessor, TurnTiming
from voice.pipeline.vad import WebRtcVADAnalyzer
from voice.tts import HibariTTSService

log = logging.getLogger("dialphone.pipeline")


class CallSession:
    """One call's pipeline, run until the caller hangs up or the call is transferred."""

    def __init__(
        self,
        *,
        engines: Engines,
        transport: BaseTransport,
        kind: Transport,
        sample_rate: int,
        caller: str | None = None,
        call_id: str | None = None,
        control: Any = None,
        observers: list[BaseObserver] | None = None,
        on_tokenized: Callable[[str], None] | None = None,
        front: list[FrameProcessor] | None = None,
        ai: bool = True,
        workspace: Workspace | None = None,
    ) -> None:
        """``front`` processors sit right after the transport input, before any model (the IVR/opt-out
        switch goes there: once it takes over, no audio reaches ASR, redaction or the brain).
        ``ai=False`` (an opt-out resolved at set-up) leaves the models out of the pipeline. ``workspace``
        replaces the engines' workspace for this call alone (an evaluation running the Claude brain)."""
        self.engines = engines
        self.transport = transport
        self.kind = kind
        self.sample_rate = sample_rate
        self.caller = caller
        self.call_id = call_id or uuid.uuid4().hex[:16]
        self.log = CallLog(self.call_id)
        self.started_at = time.monotonic()
        ws = self.workspace = workspace or engines.workspace
        self.guard = engines.redaction.new_guard(self.call_id, ws)  # the call's privacy boundary (redaction.CallGuard)
        self.redactor = self.guard.redactor
        self.audit = CallAudit(engines.audit, self.log, boundary=self.guard)
        vad_cfg = ws.audio.vad
        self.turns = TurnProcessor(
            vad=WebRtcVADAnalyzer(aggressiveness=vad_cfg.aggressiveness, frame_ms=vad_cfg.frame_ms),
            asr=engines.asr_queue,
            sample_rate=sample_rate,
            start_ms=vad_cfg.start_ms,
            stop_ms=vad_cfg.stop_ms,
            resume_ms=vad_cfg.resume_ms,
            resume_ms_now=self._resume_ms,
            on_turn=self._on_turn_timing,
            # Once the call left the AI (transferring, transferred, the IVR has it), the caller no longer
            # cuts the bot's last line ("let me get you to billing"): nobody in the AI loop would answer.
            can_interrupt=lambda: self.concierge is None or self.concierge.authority.ai_active,
        )
        self.redaction = RedactionStage(
            guard=self.guard,
            audit=self.audit,
            call_id=self.call_id,
            asr_model=engines.asr_model_id,
            asr_version=engines.asr_model_version,
            on_tokenized=self._on_tokenized(on_tokenized),
            executor=engines.redaction.executor,
            timeout_s=ws.privacy.redaction_timeout_ms / 1000.0,
        )
        self.context = new_context(ws)
        self.aggregators = LLMContextAggregatorPair(
            self.context,
            # The turn processor decides turn ends; the aggregator adopts them. Pipecat's default
            # waits 500 ms for late transcripts, but ours arrives with the turn end, so 15 ms will do.
            user_params=LLMUserAggregatorParams(
                user_turn_strategies=UserTurnStrategies(
                    start=[ExternalUserTurnStartStrategy()],
                    stop=[ExternalUserTurnStopStrategy(timeout=0.015)],
                )
            ),
        )
        self.concierge: Any = None
        self.control = control or PipelineCallControl(transfer=self._record_transfer)
        if hasattr(self.control, "bind"):
            self.control.bind(self)
        self.concierge, self.brain = make_brain(
            workspace=ws,
            call_id=self.call_id,
            audit=self.audit,
            control=self.control,
            approvals=engines.approvals,
            transport=kind,
            authority=CallAuthority(mode=CallMode.AI if ai else CallMode.IVR, opted_out=not ai),
        )
        self.ai = ai
        self.end_reason: str | None = None
        self.concierge.caller_quiet = self._caller_quiet
        self.concierge.boundary = self.guard
        self.capture = PipelineCapture(guard=self.guard, stage=self.redaction, turns=self.turns, queue=self.queue)
        self.concierge.capture = self.capture
        self.tts = HibariTTSService(
            engine=engines.tts, cache=engines.prompts, executor=engines.tts_executor, sample_rate=sample_rate,
            render=self._spoken,
        )
        models: list[FrameProcessor] = [self.turns, self.redaction, self.aggregators.user(), self.brain, self.tts]
        tail: list[FrameProcessor] = [self.aggregators.assistant()] if ai else []
        self.pipeline = Pipeline(
            [transport.input(), *(front or []), *(models if ai else []), transport.output(), *tail]
        )
        self.worker = PipelineWorker(
            self.pipeline,
            params=PipelineParams(
                audio_in_sample_rate=sample_rate,
                audio_out_sample_rate=sample_rate,
                enable_metrics=False,
            ),
            observers=[TurnObserver(self.log), *(observers or [])],
            enable_rtvi=False,
            idle_timeout_secs=None,
            check_dangling_tasks=False,
        )
        self._runner: WorkerRunner | None = None

    def _resume_ms(self) -> int:
        """How long the caller may pause and still continue their turn: longer while a number they
        are giving is incomplete or was just announced ("pay with a card." ... "6011 0009" ... "9013 9424")."""
        vad, privacy = self.workspace.audio.vad, self.workspace.privacy
        giving = self.guard.redactor.number_open
        return max(vad.resume_ms, privacy.number_pause_ms) if giving else vad.resume_ms

    async def _caller_quiet(self, seconds: float) -> bool:
        """The concierge's wait for quiet before it acts; as long as the turn's own pause rule."""
        return await self.turns.quiet_for(max(seconds, self._resume_ms() / 1000.0))

    def _spoken(self, line: str) -> str:
        """Every line before TTS: a line asking for a number makes the guard expect one, and tokens
        become masked phrases ("the card ending in 1 1 1 1", or "the card" where the workspace does
        not let the last four be said)."""
        asked = asked_for(line)
        if asked is not None and self.guard.capturing is None:
            self.guard.expect(asked)
        return speakable(line, self.guard) if "[" in line else line

    def _on_turn_timing(self, timing: TurnTiming) -> None:
        last = self.log.turns[-1] if self.log.turns else None
        if timing.continues and last is not None and last.caller_text:
            # The caller only paused: one spoken turn, one record. The redaction stage hands the
            # joined text on; the reply to the cut-off part is replaced by the reply to the whole.
            last.timing, last.reply, last.brain_ms, last.tts_first_ms = timing, "", 0.0, 0.0
            return
        self.log.turns.append(TurnRecord(timing=timing))

    def _on_tokenized(self, extra: Callable[[str], None] | None) -> Callable[[str], None]:
        def record(text: str) -> None:
            self.log.current().caller_text = text
            if extra is not None:
                extra(text)

        return record

    async def _record_transfer(self, department: str, target: str) -> bool:
        recording = getattr(self.transport, "recording", None)
        if recording is not None:
            recording.transfers.append((department, target))
        return True

    async def run(self) -> None:
        """Run the call to its end (EndFrame or cancel). Greets the caller first."""
        await self.audit.emit(
            "call.started", {"transport": str(self.kind), "ai_enabled": self.ai}, call_id=self.call_id, actor="system"
        )
        self._runner = WorkerRunner(handle_sigint=False, check_dangling_tasks=False)
        try:
            await self._runner.add_workers(self.worker)
            await self.worker.queue_frame(TTSSpeakFrame(self.workspace.greeting, append_to_context=True))
            await self._runner.run()
        finally:
            await asyncio.shield(self._ended())

    async def _ended(self) -> None:
        """The call is over: end its authority, withdraw its background steps, write ``call.ended``."""
        authority = self.concierge.authority
        final = authority.mode
        if final is CallMode.ENDED and authority.history:
            final = authority.history[-1].before
            self.end_reason = self.end_reason or authority.history[-1].reason
        await self.concierge.close(self.end_reason or "pipeline_ended")
        reason = _ident(self.end_reason or "pipeline_ended")
        duration_ms = int((time.monotonic() - self.started_at) * 1000)
        try:
            await self.audit.emit("call.ended", {"reason": reason, "duration_ms": duration_ms, "final_state": str(final)},
                                  call_id=self.call_id, actor="system")
        except Exception as exc:  # the call is over either way; the log says why it has no end row
            log.error("call %s: call.ended not written (%s)", self.call_id, type(exc).__name__)

    async def queue(self, frame: Frame) -> None:
        await self.worker.queue_frame(frame)

    async def end(self, reason: str | None = None) -> None:
        """End the call after what is queued plays out; ``reason`` goes into ``call.ended``."""
        self.end_reason = self.end_reason or reason
        await self.worker.queue_frame(EndFrame())

    async def cancel(self, reason: str | None = None) -> None:
        """End the call now (the line is gone); ``reason`` goes into ``call.ended``."""
        self.end_reason = self.end_reason or reason
        await self.worker.cancel()


_IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/@+\-]{0,99}\Z")


def _ident(reason: str) -> str:
    return reason if _IDENT.match(reason) else "other"
