"""What feeds :class:`voice.server.metrics.ServerMetrics` as things happen, without changing the calls.

- :func:`call_hook`: run by :func:`voice.pipeline.calls.new_call` for every call (``engines.call_hooks``):
  puts the call id in the log context of the call's task (:mod:`voice.server.logs`), counts the
  call, and hands its call log to the :class:`TurnHarvest`.
- :class:`TurnHarvest`: at each scrape (and whenever a call starts) reads the turns the calls'
  logs completed since the last time: ASR time, the brain's time to first text and TTS first audio
  (both measured by the pipeline's own :class:`voice.pipeline.observers.TurnObserver`), and the
  server-side voice-to-voice they add up to. Nothing runs per audio frame: an observer of our own
  on every pipeline cost about 5% of a worker's CPU with 20 calls.
- :class:`MeteredAuditSink` wraps the process's audit sink: times the durable (gating) writes and
  counts withheld turns and gate decisions from the events the calls emit.
- :func:`watch_loop_lag`: how late the event loop runs a timer.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voice.server.logs import CALL_ID
from voice.server.metrics import TRANSPORTS, ServerMetrics, label

LAG_INTERVAL_S = 0.25


@dataclass
class _Tracked:
    session: weakref.ref[Any]
    log: Any  # the call's CallLog: tokenized turn records (no audio, no pipeline)
    transport: str
    harvested: int = 0


class TurnHarvest:
    """The calls' completed turns, into the histograms. A turn is complete once its reply audio
    started, a later turn began, or the call ended; a call is dropped once it ended and was read."""

    def __init__(self, metrics: ServerMetrics) -> None:
        self._m = metrics
        self._calls: list[_Tracked] = []

    def add(self, session: Any) -> None:
        transport = label(getattr(session, "kind", "other"), TRANSPORTS)
        self._m.calls_answered.labels(transport).inc()
        self.harvest()  # keeps the list short even when nobody scrapes
        self._calls.append(_Tracked(weakref.ref(session), session.log, transport))

    def harvest(self) -> None:
        keep = []
        for call in self._calls:
            session = call.session()
            worker = getattr(session, "worker", None)
            ended = session is None or (worker is not None and worker.has_finished())
            turns = [r for r in list(call.log.turns) if getattr(r, "timing", None) is not None]
            while call.harvested < len(turns):
                rec = turns[call.harvested]
                if call.harvested == len(turns) - 1 and not ended and not rec.tts_first_ms:
                    break  # the last turn may still get its reply
                self._observe(call.transport, rec)
                call.harvested += 1
            if not ended:
                keep.append(call)
        self._calls = keep

    def _observe(self, transport: str, rec: Any) -> None:
        m, timing = self._m, rec.timing
        m.turns.labels(transport).inc()
        m.asr.labels(transport).observe(timing.asr_ms / 1000)
        if rec.brain_ms > 0:
            m.brain.labels(transport).observe(rec.brain_ms / 1000)
        if rec.tts_first_ms > 0:
            m.tts.labels(transport).observe(rec.tts_first_ms / 1000)
        if rec.brain_ms > 0 and rec.tts_first_ms > 0:
            ms = timing.endpoint_wait_ms + timing.asr_wait_ms + rec.brain_ms + rec.tts_first_ms
            m.voice_to_voice.labels(transport).observe(ms / 1000)


def call_hook(metrics: ServerMetrics, harvest: TurnHarvest) -> Callable[[Any], None]:
    """The ``engines.call_hooks`` entry: log context, and the call's turns into the metrics."""

    def hook(session: Any) -> None:
        CALL_ID.set(str(session.call_id))  # this task (and the tasks it starts) log with the call id
        harvest.add(session)

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
