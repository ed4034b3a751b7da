"""Prometheus metrics of one server process, served at ``GET /metrics`` (text format 0.0.4).

    metrics = ServerMetrics()                      # one registry per process (tests make their own)
    metrics.bind(process)                          # scrape-time figures read from the running process
    body = await metrics.render()                  # what GET /metrics answers

Counted by :mod:`voice.server.call_metrics` (a hook on each new call whose turns are read from the
call's log at each scrape, a wrapper around the audit sink, an event-loop watcher):

| metric | type | labels |
| --- | --- | --- |
| ``dialphone_calls_answered_total`` | counter | transport |
| ``dialphone_turns_total`` | counter | transport |
| ``dialphone_voice_to_voice_seconds`` | histogram | transport |
| ``dialphone_asr_seconds``, ``dialphone_brain_first_text_seconds``, ``dialphone_tts_first_audio_seconds`` | histogram | transport |
| ``dialphone_redaction_withheld_total`` | counter | stage, reason |
| ``dialphone_gate_decisions_total`` | counter | decision |
| ``dialphone_audit_gating_write_seconds`` | histogram | |
| ``dialphone_audit_commit_seconds`` | histogram | |
| ``dialphone_event_loop_lag_seconds`` | histogram | |

Read when scraped (from the process, its SIP listener, its media clock, its audit log):
``dialphone_calls_active{transport}``, ``dialphone_calls_rejected_total{transport,reason}``,
``dialphone_sip_options_total``, ``dialphone_rtp_send_gaps_total``, ``dialphone_rtp_late_ticks_total``,
``dialphone_rtp_concealed_frames_total``, ``dialphone_rtp_packets_sent_total``,
``dialphone_approvals_pending``, ``dialphone_audit_rows_total``, ``dialphone_audit_failed_batches_total``,
``dialphone_ready``, ``dialphone_draining``.

No label carries caller data: label values come from closed sets (transports, gate outcomes, the
reasons our code names) and anything outside ``[a-z][a-z0-9_]{0,31}`` or a set's members is exported
as ``other``. No number, transcript, call id or address is ever a label.

Voice-to-voice here is the server's side of it: the caller's end-of-turn silence (endpointing), ASR,
then from the end of the turn to the first reply audio the pipeline sends. The caller-side figure
(``dialphone bench latency``) adds the network and the caller's jitter buffer.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("dialphone.metrics")

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
TRANSPORTS = ("sip", "ws", "webrtc", "inproc")
DECISIONS = ("allow", "deny", "needs_approval")
_LABEL = re.compile(r"[a-z][a-z0-9_]{0,31}")
VOICE_BUCKETS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 5.0)
STAGE_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.0)
WRITE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0)
LAG_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


def label(value: object, allowed: Iterable[str] | None = None) -> str:
    """A safe label value: ``value`` when it is a short identifier (and in ``allowed``), else ``other``."""
    text = str(getattr(value, "value", value))
    if not _LABEL.fullmatch(text):
        return "other"
    if allowed is not None and text not in allowed:
        return "other"
    return text


class Process(Protocol):
    """What the scrape reads of the server process (:class:`voice.server.process.ServerProcess`)."""

    ready: bool
    draining: bool
    engines: Any

    def sip_listeners(self) -> list[Any]: ...


class ServerMetrics:
    """The process's registry and the metrics counted as things happen (see the module docstring)."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry(auto_describe=True)
        t = ["transport"]
        self.calls_answered = Counter("dialphone_calls_answered", "Calls whose pipeline started", t, registry=r)
        self.turns = Counter("dialphone_turns", "Caller turns (end of turn detected)", t, registry=r)
        self.voice_to_voice = Histogram(
            "dialphone_voice_to_voice_seconds",
            "Server-side voice-to-voice: endpointing wait, ASR, then end of turn to the first reply audio",
            t, buckets=VOICE_BUCKETS, registry=r)
        self.asr = Histogram("dialphone_asr_seconds", "ASR time per caller turn", t, buckets=STAGE_BUCKETS, registry=r)
        self.brain = Histogram("dialphone_brain_first_text_seconds", "End of turn to the brain's first reply text",
                               t, buckets=STAGE_BUCKETS, registry=r)
        self.tts = Histogram("dialphone_tts_first_audio_seconds", "First reply text to its first synthesized audio",
                             t, buckets=STAGE_BUCKETS, registry=r)
        self.withheld = Counter("dialphone_redaction_withheld", "Turns or events withheld at the privacy boundary",
                                ["stage", "reason"], registry=r)
        self.gate = Counter("dialphone_gate_decisions", "Transfer gate decisions by outcome", ["decision"], registry=r)
        self.audit_gating = Histogram("dialphone_audit_gating_write_seconds",
                                      "Durable audit writes an action waits for (decision before transfer)",
                                      buckets=WRITE_BUCKETS, registry=r)
        self.audit_commit = Histogram("dialphone_audit_commit_seconds", "Audit log batch commits",
                                      buckets=WRITE_BUCKETS, registry=r)
        self.loop_lag = Histogram("dialphone_event_loop_lag_seconds", "How late the event loop ran a 250 ms timer",
                                  buckets=LAG_BUCKETS, registry=r)
        self.approvals_pending = Gauge("dialphone_approvals_pending", "Approval requests waiting for a supervisor",
                                       registry=r)
        self._process: Process | None = None
        self.on_scrape: list[Callable[[], None]] = []  # run before each scrape (the turn harvest)

    def bind(self, process: Process) -> None:
        """Read ``process`` at each scrape (active calls, SIP and RTP counters, audit log, readiness)."""
        self._process = process
        self.registry.register(_ProcessCollector(self))

    def record_event(self, event_type: str, payload: dict[str, object]) -> None:
        """Count an audit event the calls emitted: withheld turns, gate decisions."""
        kind = str(event_type)
        if kind == "redaction.withheld":
            self.withheld.labels(label(payload.get("stage")), label(payload.get("reason"))).inc()
        elif kind == "transfer.decided":
            self.gate.labels(label(payload.get("decision"), DECISIONS)).inc()

    async def render(self) -> bytes:
        """The exposition text; refreshes the figures that need the event loop first."""
        for refresh in self.on_scrape:
            refresh()
        await self._refresh_approvals()
        self._drain_audit_commits()
        return generate_latest(self.registry)

    async def _refresh_approvals(self) -> None:
        engines = self._process.engines if self._process is not None else None
        if engines is None:
            return
        try:
            pending = await asyncio.wait_for(engines.approvals.pending(engines.workspace.id), timeout=1.0)
        except Exception as exc:  # a store hiccup: keep the last value
            log.debug("approvals pending not read: %s", type(exc).__name__)
            return
        self.approvals_pending.set(len(pending))

    def _drain_audit_commits(self) -> None:
        """Take the batch commit times the audit log kept since the last scrape (``LogStats.commit_s``,
        trimmed here so that list stays short; both run on the event loop)."""
        engines = self._process.engines if self._process is not None else None
        stats = getattr(getattr(engines, "audit_log", None), "stats", None)
        times = getattr(stats, "commit_s", None)
        if not isinstance(times, list) or not times:
            return
        taken = list(times)
        del times[: len(taken)]
        for seconds in taken:
            self.audit_commit.observe(seconds)

    def process(self) -> Process | None:
        return self._process


class _ProcessCollector(Collector):
    """Figures read from the process at scrape time."""

    def __init__(self, metrics: ServerMetrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[Any]:
        return []  # unchecked: the families below are produced at each scrape

    def collect(self) -> Iterator[Any]:
        process = self._metrics.process()
        if process is None:
            return
        engines = process.engines
        active = GaugeMetricFamily("dialphone_calls_active", "Calls running now", labels=["transport"])
        counts = dict.fromkeys(TRANSPORTS, 0)
        for session in list(getattr(engines, "live_calls", {}).values()):
            kind = label(getattr(session, "kind", "other"), TRANSPORTS)
            counts[kind] = counts.get(kind, 0) + 1
        for kind, n in counts.items():
            active.add_metric([kind], n)
        yield active
        yield from self._sip(process)
        yield GaugeMetricFamily("dialphone_ready", "1 while the process takes new calls", value=int(process.ready))
        yield GaugeMetricFamily("dialphone_draining", "1 while the process drains (SIGTERM)", value=int(process.draining))
        stats = getattr(getattr(engines, "audit_log", None), "stats", None)
        if stats is not None:
            yield CounterMetricFamily("dialphone_audit_rows", "Audit rows committed", value=stats.rows)
            yield CounterMetricFamily("dialphone_audit_failed_batches", "Audit batches that failed",
                                      value=stats.failed_batches)

    def _sip(self, process: Process) -> Iterator[Any]:
        rejected = CounterMetricFamily("dialphone_calls_rejected", "Calls refused, by reason",
                                       labels=["transport", "reason"])
        options = 0
        media = {"send_gaps": 0, "late_ticks": 0, "concealed": 0, "packets_sent": 0}
        reasons: dict[str, int] = {"capacity": 0, "draining": 0, "starting": 0, "unavailable": 0,
                                   "rate_limited": 0, "invalid": 0}
        for sip in process.sip_listeners():
            options += sip.stats.get("options", 0)
            for reason, n in sip.refused.items():
                reasons[reason] = reasons.get(reason, 0) + n
            core = sip.core_stats()
            reasons["unavailable"] += core.get("unavailable", 0)  # the core's 503: draining or at capacity
            reasons["rate_limited"] += core.get("rate_limited", 0)
            reasons["invalid"] += core.get("rejected", 0)  # 403 and the request checks (4xx)
            for key in media:
                media[key] += int(getattr(sip.clock.stats, key, 0))
        for reason, n in reasons.items():
            rejected.add_metric(["sip", reason], n)
        yield rejected
        yield CounterMetricFamily("dialphone_sip_options", "SIP OPTIONS probes answered", value=options)
        yield CounterMetricFamily("dialphone_rtp_send_gaps", "Gaps over 40 ms between RTP packets sent to a caller",
                                  value=media["send_gaps"])
        yield CounterMetricFamily("dialphone_rtp_late_ticks", "Media clock ticks skipped after a stall",
                                  value=media["late_ticks"])
        yield CounterMetricFamily("dialphone_rtp_concealed_frames", "Caller frames concealed (lost or late RTP), "
                                  "counted when a call's media ends", value=media["concealed"])
        yield CounterMetricFamily("dialphone_rtp_packets_sent", "RTP packets sent", value=media["packets_sent"])
