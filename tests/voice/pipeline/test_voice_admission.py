"""Admission control on a stand-in ASR queue: when a new call is turned away from the AI, and how."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from audit.payloads import OptOutScope
from concierge.config import Overload, OverloadAction, Transport
from voice.ivr.optout import OptOutDecision
from voice.pipeline.admission import BUSY_LIMIT, MIN_SAMPLES, AdmissionControl, overflow


@dataclass
class FakeStats:
    done: list[tuple[float, float, int]] = field(default_factory=list)  # (wait s, service s, batch)

    def recent(self, window_s: float = 10.0, *, finals_only: bool = True) -> list[tuple[float, float, int]]:
        return list(self.done)


@dataclass
class FakeQueue:
    lanes: int = 2
    waiting: int = 0
    oldest_s: float = 0.0
    predicted_s: float = 0.0
    stats: FakeStats = field(default_factory=FakeStats)

    def queued(self) -> tuple[int, float]:
        return self.waiting, self.oldest_s

    def predicted_wait_s(self) -> float:
        return self.predicted_s


@dataclass
class Sink:
    rows: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    async def emit(self, event_type: str, payload: dict[str, Any], *, call_id: str, actor: str,
                   durable: bool = False) -> None:
        self.rows.append((event_type, payload, call_id))


def control(queue: FakeQueue | None = None, live: int = 0, sink: Sink | None = None,
            **settings: Any) -> AdmissionControl:
    cfg = Overload(**settings)
    return AdmissionControl(queue=queue or FakeQueue(), settings=lambda: cfg, live_ai_calls=lambda: live,
                            audit=(lambda: sink) if sink is not None else None, clock=lambda: 100.0)


def test_an_idle_process_admits_and_counts() -> None:
    admission = control()
    assert admission.admit(Transport.SIP) and admission.admit(Transport.WS)
    assert admission.counts == {("sip", "ai"): 1, ("ws", "ai"): 1}
    assert admission.last is not None and admission.last.reason == "ok"


@pytest.mark.parametrize(
    ("queue", "live", "settings", "reason"),
    [
        (FakeQueue(), 4, {"max_ai_calls": 4}, "max_ai_calls"),
        (FakeQueue(waiting=3, oldest_s=0.5), 1, {}, "queue_late"),  # the oldest waits past the 450 ms budget
        (FakeQueue(waiting=6, predicted_s=0.6), 1, {}, "queue_late"),  # one more would wait past it
        (FakeQueue(stats=FakeStats([(0.4, 0.2, 2)] * MIN_SAMPLES)), 1, {}, "recent_asr_late"),
        # lanes 90% busy over the window: the next calls would queue without bound
        (FakeQueue(stats=FakeStats([(0.0, 0.3, 1)] * 60)), 8, {}, "lanes_busy"),
    ],
    ids=["ceiling", "oldest-waits-too-long", "predicted-wait", "recent-p90", "lanes-busy"],
)
def test_overload_is_read_from_the_queue(queue: FakeQueue, live: int, settings: dict[str, Any], reason: str) -> None:
    admission = control(queue, live, **settings)
    assert not admission.admit(Transport.WS)
    assert admission.last is not None and admission.last.overloaded and admission.last.reason == reason
    assert admission.counts == {("ws", "ivr"): 1}


def test_too_few_recent_decodes_say_nothing_and_a_disabled_control_admits_everyone() -> None:
    few = FakeQueue(stats=FakeStats([(2.0, 0.2, 1)] * (MIN_SAMPLES - 1)))
    assert control(few, 1).admit(Transport.SIP)
    late = FakeQueue(waiting=9, oldest_s=5.0)
    assert control(late, 50, enabled=False, max_ai_calls=1).admit(Transport.SIP)


def test_calls_admitted_but_not_yet_talking_count_against_the_lanes() -> None:
    # 70% busy with 7 live calls: fine alone, but 2 calls just admitted will reach the ASR soon
    queue = FakeQueue(stats=FakeStats([(0.0, 0.28, 1)] * 50))  # 14 lane-seconds of 2 lanes x 10 s
    admission = control(queue, 7)
    assert admission.admit(Transport.SIP) and admission.admit(Transport.SIP)
    assert admission.last is not None and admission.last.busy == pytest.approx(0.7 * 8 / 7, abs=0.01)
    assert not admission.admit(Transport.SIP)  # (7 + 2) / 7 * 0.7 = 0.9 > BUSY_LIMIT
    assert admission.last.reason == "lanes_busy" and admission.last.busy > BUSY_LIMIT


async def test_refusal_only_when_the_workspace_says_refuse_and_it_is_audited() -> None:
    late = FakeQueue(waiting=9, oldest_s=5.0)
    assert not control(late, 3).refuses(Transport.SIP)  # action ivr: the transport answers, new_call decides
    sink = Sink()
    admission = control(late, 3, sink=sink, action=OverloadAction.REFUSE, retry_after_s=7)
    assert admission.refuses(Transport.SIP) and admission.retry_after_s() == 7
    assert not control(FakeQueue(), 0, action=OverloadAction.REFUSE).refuses(Transport.SIP)
    for task in list(admission._pending):
        await task
    assert [(t, p) for t, p, _ in sink.rows] == [
        ("call.started", {"transport": "sip", "ai_enabled": False}),
        ("call.ended", {"reason": "refused_overload", "duration_ms": 0, "final_state": "refused"}),
    ]
    assert sink.rows[0][2] == sink.rows[1][2]  # one refused call
    assert admission.snapshot()["by_outcome"] == {"refused": 1}


def test_overflow_turns_an_ai_call_into_an_ivr_call_and_leaves_opt_outs_alone() -> None:
    @dataclass
    class Engines:
        admission: AdmissionControl

    busy = Engines(control(FakeQueue(waiting=9, oldest_s=5.0), 3))
    decided = overflow(busy, OptOutDecision(True, recording=True), Transport.SIP)
    assert (decided.ai, decided.scope, decided.trigger, decided.recording) == (False, OptOutScope.FEATURE,
                                                                                "overload", True)
    opted_out = OptOutDecision(False, OptOutScope.CALLER, "caller_list")
    assert overflow(busy, opted_out, Transport.SIP) is opted_out
    assert busy.admission.counts == {("sip", "ivr"): 1}  # the opted-out caller was not counted
    idle = Engines(control())
    assert overflow(idle, OptOutDecision(True), Transport.WS).ai


async def test_a_late_event_loop_is_overload_and_the_watch_measures_it() -> None:
    import asyncio
    import time

    cfg = Overload()
    live = [0]
    admission = AdmissionControl(queue=FakeQueue(), settings=lambda: cfg, live_ai_calls=lambda: live[0])

    def hog() -> None:  # a call's work holding the loop (CPU saturated)
        time.sleep(0.3)

    admission.start()
    try:
        for _ in range(8):  # the loop is blocked 300 ms at a time: every tick of the watch fires late
            hog()
            await asyncio.sleep(0.01)
        # with no AI call live the lateness is not the calls' doing (start-up, another process)
        assert admission.admit(Transport.WS)
        live[0] = 5
        assert not admission.admit(Transport.WS)
        assert admission.last is not None and admission.last.reason == "loop_late"
        assert admission.last.loop_lag_p90_ms >= 100
    finally:
        await admission.stop()
