"""The load benchmarks' own arithmetic: distinct callers, arrival plans, concurrency, the capacity search."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from voice.testing import capacity
from voice.testing.caller import TurnResult
from voice.testing.load import (
    Arrivals,
    CallOutcome,
    LoadRun,
    PlannedCall,
    arrival_plan,
    concurrency,
    summarize,
    variant,
)
from voice.testing.results import CallResult, TurnRow
from voice.testing.scenarios import ReplayTurn, Scenario

REPO = Path(__file__).resolve().parents[3]


def scenario(name: str = "billing_8k", seconds: float = 1.0) -> Scenario:
    t = np.arange(int(8000 * seconds)) / 8000
    pcm = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype("<i2").tobytes()
    return Scenario(name, 8000, [ReplayTurn(pcm)], spec={"turns": [{"events": [{"event": "x"}]}]})


def test_every_caller_sends_audio_of_its_own() -> None:
    base = scenario()
    variants = [variant(base, seed) for seed in range(20)]
    audio = {v.turns[0].pcm16 for v in variants}
    assert len(audio) == 20 and base.turns[0].pcm16 not in audio  # no two callers alike, none as shipped
    assert variant(base, 3).turns[0].pcm16 == variants[3].turns[0].pcm16  # a seed says the same again
    for v in variants:
        x = np.frombuffer(v.turns[0].pcm16, "<i2").astype(np.float64)
        assert 0 <= len(x) - 8000 <= 0.060 * 8000  # shifted by 0-60 ms of leading silence
        assert 0.8 * 0.3 * 32767 * 0.98 <= np.abs(x).max() <= 1.1 * 0.3 * 32767 * 1.02
        assert np.abs(x[:10]).max() > 0  # a little noise where the original was silent


def test_burst_and_poisson_plans() -> None:
    pool = [scenario(f"s{i}") for i in range(5)]
    burst = arrival_plan(pool, Arrivals(pattern="burst", calls=12), seed=4)
    assert [p.at_s for p in burst] == [0.0] * 12 and all(p.measured for p in burst)
    assert len({p.scenario.turns[0].pcm16 for p in burst}) == 12
    assert {p.scenario.name.split("~")[0] for p in burst} == {f"s{i}" for i in range(5)}
    arrivals = Arrivals(pattern="poisson", calls=20, holding_s=10.0, duration_s=400.0)
    plan = arrival_plan(pool, arrivals, seed=4)
    starts = [p.at_s for p in plan]
    assert starts == sorted(starts) and starts[-1] < 10.0 + 400.0 + 10.0
    measured = [p for p in plan if p.measured]
    assert all(10.0 <= p.at_s < 410.0 for p in measured)
    assert len(measured) == pytest.approx(400 * 2.0, rel=0.15)  # 20 up at once / 10 s each = 2 calls/s
    assert [p.at_s for p in arrival_plan(pool, arrivals, seed=4)] == starts
    with pytest.raises(ValueError):
        arrival_plan(pool, Arrivals(pattern="ramp"), seed=1)


def _outcome(i: int, status: str, began: float, ended: float, latency: float | None = None,
             replied: bool = True) -> CallOutcome:
    out = CallOutcome(PlannedCall(i, began, scenario(f"s{i}"), True), status=status, began=began, ended=ended)
    if status in ("ai", "ivr"):
        r = CallResult(scenario=f"s{i}", expects_reply=[True])
        r.caller_turns = [TurnResult(0, last_voiced_at=1.0, reply_onset_at=1.0 + (latency or 0) / 1000 if replied else 0)]
        r.rows = [TurnRow(f"s{i}", 1, "", "", "", "", latency if replied else None, 200, 300, 5, 40)]
        out.result, out.heard = r, True
        out.asr_queue_ms, out.asr_ms, out.asr_batch = [10.0 * i], [300.0], [2]
    return out


def test_concurrency_and_summary_count_only_the_ai_calls_for_latency() -> None:
    calls = [  # (monotonic times: 100 s after boot)
        _outcome(0, "ai", 100.0, 110.0, 500), _outcome(1, "ai", 102.0, 108.0, 900),
        _outcome(2, "ai", 104.0, 106.0, replied=False), _outcome(3, "ivr", 101.0, 109.0, 4000),
        _outcome(4, "refused", 105.0, 105.1), _outcome(5, "failed", 103.0, 103.5),
    ]
    run = LoadRun(via="ws", arrivals=Arrivals(pattern="burst", calls=6), calls=calls, window=(100.0, 110.0), cpu={})
    mean, peak = concurrency(run)
    assert peak == 5  # 0, 3, 1, 2 and 4 up at 105.0
    assert mean == pytest.approx((10 + 6 + 2 + 8 + 0.1 + 0.5) / 10, abs=0.05)
    s = summarize(run)
    assert s["outcomes"] == {"ai": 3, "ivr": 1, "refused": 1, "failed": 1}
    assert (s["ai_calls"], s["ivr_served"], s["refused"], s["dropped"]) == (3, 1, 1, 1)
    assert s["turns"] == 2 and s["max_ms"] == 900  # the IVR call's 4 s is not an AI latency
    assert s["no_reply"] == 1 and s["expected_replies"] == 3
    assert s["asr_queue_max_ms"] == 20.0 and s["asr_mean_batch"] == 2


@pytest.mark.parametrize(("limit", "start", "expected", "tried"), [
    (37, 16, 36, [16, 32, 64, 48, 40, 36, 38]),
    (5, 16, 4, [16, 8, 4, 6]),
    (200, 16, 64, [16, 32, 64]),
])
async def test_capacity_is_found_by_doubling_then_bisection(
    monkeypatch: pytest.MonkeyPatch, limit: int, start: int, expected: int, tried: list[int]
) -> None:
    seen: list[int] = []

    async def fake_measure(*, arrivals: Arrivals, **_: Any) -> dict[str, Any]:
        n = arrivals.calls
        seen.append(n)
        ok = n <= limit
        return {"offered": n, "calls": n, "ai_calls": n, "p95_ms": 800.0 if ok else 1400.0, "no_reply": 0,
                "dropped": 0, "mean_holding_s": 15.0, "mean_concurrent": n * 0.9}

    monkeypatch.setattr(capacity, "measure", fake_measure)
    out = await capacity.search(via="ws", pattern="poisson", scenarios=[scenario()], start=start, most=64,
                                resolution=2, duration_s=30.0, holding_s=16.0, seed=1, p95_ms=1000.0, overrides={})
    assert out["capacity_calls"] == expected and seen == tried
    assert set(out) >= {"via", "arrivals", "capacity_calls", "points"}
    assert [p["offered"] for p in out["points"]] == sorted(tried)
    assumed = {p["offered"]: p["holding_s_assumed"] for p in out["points"]}
    assert assumed[start] == 16.0 and all(v == 15.0 for n, v in assumed.items() if n != start)


def test_a_point_fails_on_any_unanswered_turn_drop_diversion_or_rtp_gap() -> None:
    good = {"calls": 10, "ai_calls": 10, "p95_ms": 900.0, "no_reply": 0, "dropped": 0, "rtp_gaps": 0}
    assert capacity.passes(good, p95_ms=1000)
    for bad in ({"p95_ms": 1001.0}, {"no_reply": 1}, {"dropped": 1}, {"ai_calls": 9}, {"rtp_gaps": 1},
                {"p95_ms": float("nan")}):
        assert not capacity.passes({**good, **bad}, p95_ms=1000), bad
