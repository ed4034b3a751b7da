"""What feeds :class:`voice.server.metrics.ServerMetrics` as things happen, without changing the calls.

- :func:`call_hook`: run by :func:`voice.pipeline.calls.new_call` for every call (``engines.call_hooks``):
  puts the call id in the log context of the call's task (:mod:`voice.server.logs`) and adds a
  :class:`CallMetricsObserver` to the call's pipeline.
- :class:`MeteredAuditSink` wraps the process's audit sink: times the durable (gating) writes and
  counts withheld turns and gate decisions from the events the calls emit.
- :func:`watch_loop_lag`: how late the event loop runs a timer.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from pipecat.frames.frames import LLMTextFrame, TTSAudioRawFrame, UserStoppedSpeakingFrame
from pipecat.observers.base_observer import BaseObserver, FramePushed

from voice.server.logs import CALL_ID
from voice.server.metrics import TRANSPORTS, ServerMetrics, label

LAG_INTERVAL_S = 0.25


class CallMetricsObserver(BaseObserver):
    """One call's turns and latencies: ASR, end of turn to first reply text (brain), first text to
    first audio (TTS), and server-side voice-to-voice. Timestamps are the pipeline clock's, taken
    when each frame was pushed, so the observer's own queue adds nothing."""

    def __init__(self, metrics: ServerMetrics, session: Any) -> None:
        super().__init__(observe_every_push=False)
        self._m = metrics
        self._session = session
        self._transport = label(getattr(session, "kind", "other"), TRANSPORTS)
        self._turns_seen = 0
        self._stop_ns = 0
        self._text_ns = 0
        self._before_stop_s = 0.0  # endpointing wait + ASR wait of the current turn
        self._replied = True

    async def on_pipeline_started(self) -> None:
        self._m.calls_answered.labels(self._transport).inc()

    async def on_push_frame(self, data: FramePushed) -> None:
        frame = data.frame
        if isinstance(frame, UserStoppedSpeakingFrame):
            if data.source is not getattr(self._session, "turns", None):
                return  # only the turn processor's end of turn (one per caller turn)
            self._turn_ended(data.timestamp)
        elif isinstance(frame, LLMTextFrame):
            if self._stop_ns and not self._text_ns and not self._replied:
                self._text_ns = data.timestamp
                self._m.brain.labels(self._transport).observe((data.timestamp - self._stop_ns) / 1e9)
        elif isinstance(frame, TTSAudioRawFrame) and not self._replied and self._stop_ns:
            self._replied = True
            if self._text_ns:
                self._m.tts.labels(self._transport).observe((data.timestamp - self._text_ns) / 1e9)
            v2v = self._before_stop_s + (data.timestamp - self._stop_ns) / 1e9
            self._m.voice_to_voice.labels(self._transport).observe(v2v)

    def _turn_ended(self, at_ns: int) -> None:
        self._m.turns.labels(self._transport).inc()
        self._stop_ns, self._text_ns, self._replied, self._before_stop_s = at_ns, 0, False, 0.0
        # the turn's timing record: the turn processor appends one per end of turn, right after
        # pushing this frame (records without timing are the call log's own)
        log = getattr(self._session, "log", None)
        timed = [r.timing for r in getattr(log, "turns", []) if getattr(r, "timing", None) is not None]
        index, self._turns_seen = self._turns_seen, self._turns_seen + 1
        if index < len(timed):
            timing = timed[index]
            self._m.asr.labels(self._transport).observe(timing.asr_ms / 1000)
            self._before_stop_s = (timing.endpoint_wait_ms + timing.asr_wait_ms) / 1000


def call_hook(metrics: ServerMetrics) -> Callable[[Any], None]:
    """The ``engines.call_hooks`` entry: log context and metrics observer for each new call."""

    def hook(session: Any) -> None:
        CALL_ID.set(str(session.call_id))  # this task (and the tasks it starts) log with the call id
        worker = getattr(session, "worker", None)
        if worker is not None:
            worker.add_observer(CallMetricsObserver(metrics, session))

    return hook


class MeteredAuditSink:
    """The process's audit sink, timed and counted; everything else is the wrapped sink's."""

    def __init__(self, inner: Any, metrics: ServerMetrics) -> None:
        self._inner = inner
        self._metrics = metrics

    async def emit(
        self, event_type: str, payload: dict[str, object], *, call_id: str, actor: str, durable: bool = False
    ) -> None:
        started = time.perf_counter()
        await self._inner.emit(event_type, payload, call_id=call_id, actor=actor, durable=durable)
        if durable:
            self._metrics.audit_gating.observe(time.perf_counter() - started)
        self._metrics.record_event(event_type, payload)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


async def watch_loop_lag(metrics: ServerMetrics, *, interval_s: float = LAG_INTERVAL_S) -> None:
    """Forever: sleep ``interval_s`` and record how much later than asked the loop woke us."""
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        await asyncio.sleep(interval_s)
        metrics.loop_lag.observe(max(0.0, loop.time() - started - interval_s))
