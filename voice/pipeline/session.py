"""Per-call pipeline assembly from the workspace configuration.

    transport in -> turn (VAD + ASR) -> redaction -> user context -> brain (+ tools, transfer gate)
                 -> TTS -> transport out -> assistant context

Everything shared between calls (models, executors, audit log) lives in :class:`voice.pipeline.engines.Engines`;
a :class:`CallSession` holds only per-call state (VAD, redactor and vault, context, turn records).
"""

from __future__ import annotations

import logging
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

from concierge.brains import new_context
from concierge.config import Transport
from voice.pipeline.brain_setup import make_brain
from voice.pipeline.call_control import PipelineCallControl
from voice.pipeline.calllog import CallAudit, CallLog, TurnRecord
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
    ) -> None:
        """``front`` processors sit right after the transport input, before any model (the IVR/opt-out
        switch goes there: once it takes over, no audio reaches ASR, redaction or the brain).
        ``ai=False`` (an opt-out resolved at set-up) leaves the models out of the pipeline."""
        self.engines = engines
        self.transport = transport
        self.kind = kind
        self.sample_rate = sample_rate
        self.caller = caller
        self.call_id = call_id or uuid.uuid4().hex[:16]
        self.log = CallLog(self.call_id)
        self.started_at = time.monotonic()
        self.audit = CallAudit(engines.audit, self.log)
        ws = engines.workspace
        vad_cfg = ws.audio.vad
        self.turns = TurnProcessor(
            vad=WebRtcVADAnalyzer(aggressiveness=vad_cfg.aggressiveness, frame_ms=vad_cfg.frame_ms),
            recognizer=engines.asr,
            sample_rate=sample_rate,
            start_ms=vad_cfg.start_ms,
            stop_ms=vad_cfg.stop_ms,
            resume_ms=vad_cfg.resume_ms,
            executor=engines.asr_executor,
            on_turn=self._on_turn_timing,
            # Once the call is handed off (transfer executed), the caller no longer cuts the bot's last
            # line ("let me get you to billing"): nobody in the AI loop would answer the barge-in.
            can_interrupt=lambda: self.concierge is None or not self.concierge.handed_off,
        )
        self.redactor = engines.new_redactor(self.call_id)
        self.redaction = RedactionStage(
            redactor=self.redactor,
            audit=self.audit,
            call_id=self.call_id,
            asr_model=engines.asr_model_id,
            asr_version=engines.asr_model_version,
            on_tokenized=self._on_tokenized(on_tokenized),
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
        )
        self.concierge.caller_quiet = self.turns.quiet_for
        self.tts = HibariTTSService(
            engine=engines.tts, cache=engines.prompts, executor=engines.tts_executor, sample_rate=sample_rate
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

    def _on_turn_timing(self, timing: TurnTiming) -> None:
        rec = TurnRecord(timing=timing)
        self.log.turns.append(rec)

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
        self._runner = WorkerRunner(handle_sigint=False, check_dangling_tasks=False)
        await self._runner.add_workers(self.worker)
        await self.worker.queue_frame(TTSSpeakFrame(self.engines.workspace.greeting, append_to_context=True))
        try:
            await self._runner.run()
        finally:
            if self.concierge is not None:
                await self.concierge.close()  # approval waits and other background steps end with the call

    async def queue(self, frame: Frame) -> None:
        await self.worker.queue_frame(frame)

    async def end(self) -> None:
        await self.worker.queue_frame(EndFrame())

    async def cancel(self) -> None:
        await self.worker.cancel()
