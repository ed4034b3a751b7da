"""Admission control: a new call gets the AI only while the live calls keep their latency budget.

    admission = AdmissionControl(queue=engines.asr_queue, settings=lambda: ws.overload,
                                 live_ai_calls=lambda: n)
    if admission.refuses(Transport.SIP):      # overloaded, and the workspace says "refuse":
        ...                                   #   SIP 503 + Retry-After / WebSocket 1013 / WebRTC 503
    decision = overflow(engines, decision, kind)   # in new_call: overloaded -> the plain IVR

Every AI call shares one ASR queue (:class:`voice.asr.AsrBatcher`); past what the CPU can decode,
every caller who stops talking waits longer in it, and every live call's voice-to-voice latency
grows together. So the queue is what is measured. A new call is turned away from the AI when:

- ``overload.max_ai_calls`` is set and that many AI calls are live (a ceiling from
  ``dialphone bench capacity``); or
- the queue is late now: the oldest waiting final decode has waited, or a decode submitted now
  would wait (by the recent batch times), longer than ``overload.asr_budget_ms``; or
- it was late recently: the 90th percentile of the ASR time callers waited after their turn ended
  (queue wait and decode, over the last :data:`WINDOW_S` seconds) is over the budget; or
- it is filling up: the lanes were busy more than :data:`BUSY_LIMIT` of the last :data:`WINDOW_S`
  seconds, scaled by the calls admitted since (a call admitted now reaches the ASR only after its
  greeting and first turn, seconds later, so what the queue shows lags what was admitted); or
- the event loop that moves every call's audio is late: over the last :data:`WINDOW_S` seconds, the
  90th percentile of how late a 100 ms timer fired is over :data:`LOOP_LAG_LIMIT_S` (the cores are
  saturated: the brain, TTS and audio frames of every call wait, whatever the ASR queue says), and
  at least one AI call is live or admitted (with none, the lateness is not the calls' doing: start-up,
  model loading, another process; a process that refused its first call would never serve).
  :meth:`AdmissionControl.start` runs that watch.

Then it gets what ``overload.action`` says: the plain IVR (``ivr``: promise 6, the caller is served
without AI; recorded like an opt-out, ``optout.applied`` with scope ``feature`` and trigger
``overload``, so the audit shows zero AI actions for that call), or a refusal (``refuse``: the
transport answers 503 with ``Retry-After`` or closes with 1013; the audit gets the refused call's
``call.started`` with ``ai_enabled: false`` and its ``call.ended`` with reason ``refused_overload``,
final state ``refused`` and no duration). Live calls are never touched. Counts by
transport and outcome are in :attr:`AdmissionControl.counts` (for ``/metrics``); nothing about the
caller is kept.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from audit.payloads import OptOutScope
from concierge.config import Overload, OverloadAction
from voice.ivr.optout import OptOutDecision

log = logging.getLogger("dialphone.admission")

WINDOW_S = 10.0  # how far back the recent ASR figures look
MIN_SAMPLES = 6  # fewer recent decodes than this say nothing about the percentile
BUSY_LIMIT = 0.85  # lane utilization above which the queue grows without bound soon
RAMP_S = 8.0  # a call admitted this recently has not reached the ASR yet
LOOP_TICK_S = 0.1
LOOP_LAG_LIMIT_S = 0.1
OVERLOAD_TRIGGER = "overload"


class Outcome(enum.StrEnum):
    AI = "ai"
    IVR = "ivr"
    REFUSED = "refused"


class QueueView(Protocol):
    """What admission reads of the ASR queue (:class:`voice.asr.AsrBatcher`)."""

    lanes: int

    def queued(self) -> tuple[int, float]: ...

    def predicted_wait_s(self) -> float: ...

    @property
    def stats(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class Reading:
    """Why the last check said what it said (for logs, tests and the bench's report)."""

    overloaded: bool
    reason: str
    live_ai_calls: int
    oldest_wait_ms: float
    predicted_wait_ms: float
    recent_asr_p90_ms: float
    busy: float
    loop_lag_p90_ms: float = 0.0


class AdmissionControl:
    """The process's admission decision (see the module docstring). Runs on the event loop."""

    def __init__(
        self,
        *,
        queue: QueueView | None,
        settings: Callable[[], Overload],
        live_ai_calls: Callable[[], int],
        audit: Callable[[], Any] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``audit``: gives the sink refusals are recorded in (``emit(type, payload, call_id=, actor=)``)."""
        self._queue = queue
        self._audit = audit
        self._pending: set[asyncio.Task[None]] = set()
        self._settings = settings
        self._live = live_ai_calls
        self._clock = clock
        self._admitted: deque[float] = deque()
        self._lags: deque[tuple[float, float]] = deque()  # (when, how late) of the loop watch's timer
        self._watch: asyncio.Task[None] | None = None
        self.counts: dict[tuple[str, str], int] = {}  # (transport, outcome) -> calls
        self.last: Reading | None = None

    # -- decisions -------------------------------------------------------------------------------
    def check(self) -> Reading:
        """Is the process overloaded now? Counts nothing."""
        cfg = self._settings()
        live = self._live()
        now = self._clock()
        while self._admitted and now - self._admitted[0] > RAMP_S:
            self._admitted.popleft()
        if not cfg.enabled:
            return self._note(Reading(False, "disabled", live, 0.0, 0.0, 0.0, 0.0))
        lag = self._loop_lag_p90(now)
        budget = cfg.asr_budget_ms / 1000
        oldest = predicted = p90 = busy = 0.0
        q = self._queue
        if q is not None:
            _, oldest = q.queued()
            predicted = q.predicted_wait_s()
            p90 = _recent_p90(q.stats.recent(WINDOW_S))
            busy = self._busy(q)
        ramp = len(self._admitted)
        scaled = busy * (live + ramp) / live if live else busy
        reason = ""
        if cfg.max_ai_calls is not None and live + ramp >= cfg.max_ai_calls:
            reason = "max_ai_calls"
        elif oldest > budget or predicted > budget:
            reason = "queue_late"
        elif p90 > budget:
            reason = "recent_asr_late"
        elif scaled > BUSY_LIMIT:
            reason = "lanes_busy"
        elif lag > LOOP_LAG_LIMIT_S and live + ramp > 0:
            reason = "loop_late"
        return self._note(Reading(bool(reason), reason or "ok", live, oldest * 1000, predicted * 1000, p90 * 1000,
                                  round(scaled, 3), lag * 1000))

    # -- the event loop's own lateness -----------------------------------------------------------
    def start(self) -> None:
        """Watch the running loop's lateness (call from the loop; :meth:`stop` ends it)."""
        if self._watch is None:
            self._watch = asyncio.get_running_loop().create_task(self._watch_loop(), name="admission-loop-watch")

    async def stop(self) -> None:
        task, self._watch = self._watch, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _watch_loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            started = loop.time()
            await asyncio.sleep(LOOP_TICK_S)
            now = self._clock()
            self._lags.append((now, max(0.0, loop.time() - started - LOOP_TICK_S)))
            while self._lags and now - self._lags[0][0] > WINDOW_S:
                self._lags.popleft()

    def _loop_lag_p90(self, now: float) -> float:
        lags = sorted(lag for at, lag in self._lags if now - at <= WINDOW_S)
        if len(lags) < MIN_SAMPLES:
            return 0.0
        return lags[min(len(lags) - 1, int(round(0.9 * (len(lags) - 1))))]

    def action(self) -> OverloadAction:
        return self._settings().action

    def refuses(self, transport: object) -> bool:
        """For a transport about to take a call: True when it must refuse it (overloaded and the
        workspace's action is ``refuse``); the refusal is counted."""
        if self.action() is not OverloadAction.REFUSE:
            return False
        reading = self.check()
        if reading.overloaded:
            self._count(transport, Outcome.REFUSED)
            log.warning("admission: new %s call refused (%s)", _name(transport), reading.reason)
            self._audit_refusal(transport)
        return reading.overloaded

    def admit(self, transport: object) -> bool:
        """For a call being built: True gives it the AI, False the plain IVR; counted either way."""
        reading = self.check()
        if reading.overloaded:
            self._count(transport, Outcome.IVR)
            log.warning("admission: new %s call to the IVR (%s)", _name(transport), reading.reason)
            return False
        self._admitted.append(self._clock())
        self._count(transport, Outcome.AI)
        return True

    def retry_after_s(self) -> int:
        return int(self._settings().retry_after_s)

    def _audit_refusal(self, transport: object) -> None:
        """The refused call on the audit log, written in the background (the refusal goes out now)."""
        if self._audit is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        task = loop.create_task(self._emit_refusal(_name(transport)), name="admission-audit")
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _emit_refusal(self, transport: str) -> None:
        call_id = "refused-" + uuid.uuid4().hex[:12]
        sink = self._audit() if self._audit is not None else None
        if sink is None:
            return
        try:
            await sink.emit("call.started", {"transport": transport, "ai_enabled": False},
                            call_id=call_id, actor="system")
            await sink.emit("call.ended", {"reason": f"refused_{OVERLOAD_TRIGGER}", "duration_ms": 0,
                                                  "final_state": "refused"}, call_id=call_id, actor="system")
        except Exception as exc:  # the caller was refused either way; the log says the row is missing
            log.error("admission: refusal not audited (%s)", type(exc).__name__)

    # -- figures ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        by: dict[str, int] = {}
        for (_, outcome), n in self.counts.items():
            by[outcome] = by.get(outcome, 0) + n
        last = self.last
        return {"counts": {f"{t}:{o}": n for (t, o), n in sorted(self.counts.items())}, "by_outcome": by,
                "last_reason": last.reason if last else None}

    def _count(self, transport: object, outcome: Outcome) -> None:
        key = (_name(transport), outcome.value)
        self.counts[key] = self.counts.get(key, 0) + 1

    def _note(self, reading: Reading) -> Reading:
        self.last = reading
        return reading

    @staticmethod
    def _busy(q: QueueView) -> float:
        """Share of lane time spent decoding over the last ``WINDOW_S`` seconds (guesses included)."""
        done = q.stats.recent(WINDOW_S, finals_only=False)
        return sum(service / max(1, batch) for _, service, batch in done) / (WINDOW_S * max(1, q.lanes))


def _recent_p90(done: list[tuple[float, float, int]]) -> float:
    """90th percentile of queue wait + decode over recent final decodes (0 with too few)."""
    if len(done) < MIN_SAMPLES:
        return 0.0
    totals = sorted(w + s for w, s, _ in done)
    return totals[min(len(totals) - 1, int(round(0.9 * (len(totals) - 1))))]


def _name(transport: object) -> str:
    return str(getattr(transport, "value", transport))


def overflow(engines: Any, decision: OptOutDecision, transport: object) -> OptOutDecision:
    """``decision`` for a new call, or the plain IVR when the process is overloaded (counted)."""
    admission: AdmissionControl | None = getattr(engines, "admission", None)
    if not decision.ai or admission is None or admission.admit(transport):
        return decision
    return OptOutDecision(False, OptOutScope.FEATURE, OVERLOAD_TRIGGER, decision.recording, False)


def live_ai_calls(engines: Any) -> int:
    """AI calls running on ``engines`` now (calls in the IVR or handed off do not load the ASR)."""
    n = 0
    for session in list(getattr(engines, "live_calls", {}).values()):
        concierge = getattr(session, "concierge", None)
        authority = getattr(concierge, "authority", None)
        if getattr(session, "ai", False) and bool(getattr(authority, "ai_active", True)):
            n += 1
    return n
