"""Load against a server with callers who are all different: distinct audio, realistic arrivals.

    plan = arrival_plan(scenarios, Arrivals(pattern="poisson", calls=24, holding_s=16.0), seed=1)
    run = await run_load(plan, via="ws", server="http://127.0.0.1:8080", secret=...)
    summary = summarize(run)      # p50/p95/max voice-to-voice, no_reply, RTP gaps, ASR queue, CPU

Every call gets its own variant of a scenario (:func:`variant`: a gain, a little noise, a time shift,
drawn from the call's seed), so no two calls send the same audio and nothing one caller's audio
produced can help another. Arrivals are all at once (``burst``: the worst case, every first turn
ends together) or Poisson (``poisson``: what a contact centre sees): exponential gaps at
``calls / holding_s`` calls per second, so that about ``calls`` are up at once, each call holding
the line as long as its scenario takes. A Poisson run has a warm-up (one holding time) and a tail
after its measured window (one holding time) with arrivals going on, so the measured calls all see a
steady load; only calls that arrive inside the window count.

Each call ends one of four ways: ``ai`` (the concierge answered it), ``ivr`` (admission control gave
it the plain IVR: the report's ``dialphone.call`` says ``ai: false``), ``refused`` (SIP 503 /
WebSocket close 1013 before anything was said) or ``failed`` (anything else: a dropped call).
Latency, unanswered turns and the ASR queue figures are over the ``ai`` calls; an ``ivr`` call
counts as served when the caller heard it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from websockets.exceptions import ConnectionClosed

from voice.audio import from_int16_bytes, to_int16_bytes
from voice.testing.caller import CallerLine
from voice.testing.remote import at_rate, drive_turns, fill_result
from voice.testing.remote_ws import RATE, MediaStreamCaller
from voice.testing.replay import replay_inproc
from voice.testing.results import CallResult, expects_reply, latency_summary
from voice.testing.scenarios import ReplayTurn, Scenario
from voice.testing.sip_replay import GAP_S, parse_server
from voice.testing.sip_uac import SipUac

REFUSED_WS_CODE = 1013


@dataclass(frozen=True, slots=True)
class Arrivals:
    """``burst``: ``calls`` at once. ``poisson``: about ``calls`` up at once (``rate_per_s`` calls per
    second, default ``calls / holding_s``) over a ``duration_s`` measured window."""

    pattern: str = "burst"
    calls: int = 8
    holding_s: float = 16.0
    duration_s: float = 60.0
    rate_per_s: float | None = None

    @property
    def rate(self) -> float:
        return self.rate_per_s or self.calls / max(1.0, self.holding_s)


@dataclass(slots=True)
class PlannedCall:
    index: int
    at_s: float  # start offset from the beginning of the run
    scenario: Scenario
    measured: bool


@dataclass
class CallOutcome:
    """What happened to one call, from the caller's side and its tokenized report."""

    planned: PlannedCall
    status: str = "failed"  # ai | ivr | refused | failed
    detail: str = ""
    began: float = 0.0
    ended: float = 0.0
    result: CallResult | None = None
    heard: bool = False
    asr_queue_ms: list[float] = field(default_factory=list)
    asr_ms: list[float] = field(default_factory=list)
    asr_batch: list[int] = field(default_factory=list)
    rtp_gaps: int = 0
    max_gap_ms: float = 0.0
    setup_ms: float | None = None


@dataclass
class LoadRun:
    via: str
    arrivals: Arrivals
    calls: list[CallOutcome]
    window: tuple[float, float]  # monotonic start and end of the measured window
    cpu: dict[str, float]


def variant(scenario: Scenario, seed: int) -> Scenario:
    """The scenario as one particular caller says it: gain 0.8-1.1, white noise at -72..-62 dBFS, and
    0-60 ms more silence before each turn, all drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    gain = float(rng.uniform(0.8, 1.1))
    noise = 10 ** (float(rng.uniform(-72.0, -62.0)) / 20)
    shift = int(float(rng.uniform(0.0, 0.060)) * scenario.rate)
    turns = []
    for t in scenario.turns:
        x = np.concatenate([np.zeros(shift, np.float32), from_int16_bytes(t.pcm16)])
        x = x * gain + rng.normal(0.0, noise, len(x)).astype(np.float32)
        turns.append(ReplayTurn(to_int16_bytes(x.astype(np.float32)), t.barge_in_offset_s))
    return Scenario(f"{scenario.name}~{seed}", scenario.rate, turns, scenario.department, scenario.expect,
                    scenario.spec)


def arrival_plan(scenarios: list[Scenario], arrivals: Arrivals, *, seed: int = 1) -> list[PlannedCall]:
    """When each call starts and what it says (its own variant of a scenario, in a seeded order)."""
    rng = np.random.default_rng(seed)
    order = [int(k) for k in rng.permutation(len(scenarios))]
    pick = lambda i: variant(scenarios[order[i % len(order)]], seed * 100_003 + i)  # noqa: E731
    if arrivals.pattern == "burst":
        return [PlannedCall(i, 0.0, pick(i), True) for i in range(arrivals.calls)]
    if arrivals.pattern != "poisson":
        raise ValueError(f"unknown arrival pattern {arrivals.pattern!r}: burst or poisson")
    warm = arrivals.holding_s
    end = warm + arrivals.duration_s + arrivals.holding_s
    out: list[PlannedCall] = []
    t = float(rng.exponential(1 / arrivals.rate))
    while t < end:
        out.append(PlannedCall(len(out), t, pick(len(out)), warm <= t < warm + arrivals.duration_s))
        t += float(rng.exponential(1 / arrivals.rate))
    return out


# -- one call per transport ----------------------------------------------------------------------
async def _ws_call(server: str, planned: PlannedCall, out: CallOutcome, secret: str | None) -> None:
    scenario = at_rate(planned.scenario, RATE)
    call = MediaStreamCaller(server, secret=secret, caller=f"+1555{planned.index:07d}")
    result = CallResult(scenario=scenario.name, rate=RATE, expects_reply=expects_reply(scenario.spec))
    try:
        await call.open()
    except ConnectionClosed as exc:  # closed right after the upgrade, before our "start" went out
        code = exc.rcvd.code if exc.rcvd is not None else None
        out.status, out.detail = ("refused" if code == REFUSED_WS_CODE else "failed"), f"ws_close_{code}"
        await call.finish(report_timeout_s=1.0)
        return
    try:
        # the server's first audio (the greeting) or its close (1013: overloaded, try again later)
        while not call.line.received.times and call.peer.close_code is None:
            if time.monotonic() - call.started_at > 10.0:
                break
            await asyncio.sleep(0.02)
        if call.peer.close_code is not None and not call.line.received.times:
            refused = call.peer.close_code == REFUSED_WS_CODE
            out.status, out.detail = ("refused" if refused else "failed"), f"ws_close_{call.peer.close_code}"
            return
        result.caller_turns = await drive_turns(call.line, scenario)
    finally:
        await call.finish()
    report = call.peer.report
    if report is None:
        out.status, out.detail, out.result = "failed", f"no_report_close_{call.peer.close_code}", result
        out.heard = bool(call.line.received.times)
        return
    fill_result(result, report, call.line, started_at=call.started_at)
    out.result, out.heard = result, any(call.line.received.loud)
    out.status = "ai" if report.get("ai", True) else "ivr"
    _queue_figures(out, report.get("turns", []))


async def _sip_call(server: str, planned: PlannedCall, out: CallOutcome) -> None:
    scenario = at_rate(planned.scenario, RATE)
    uac = await SipUac.open(parse_server(server), transport="udp", report=True, user=f"caller{planned.index}")
    result = CallResult(scenario=scenario.name, rate=RATE, expects_reply=expects_reply(scenario.spec))
    line = CallerLine(sample_rate=RATE, send=uac.send_audio)
    try:
        status = await uac.invite()
        if status >= 300:
            retry = uac.record.final_headers.get("retry-after", "")
            out.status = "refused" if status == 503 and retry else "failed"
            out.detail = f"sip_{status}" + (f"_retry_after_{retry}" if retry else "")
            return
        out.setup_ms = uac.setup_ms
        uac.on_audio = line.heard
        line.start()
        try:
            result.caller_turns = await drive_turns(line, scenario)
            spoken = sum(1 for t in scenario.turns if t.barge_in_offset_s is None) or 1
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline and not uac.ended.is_set():
                rows = uac.record.report_turns
                if len(rows) >= spoken and all(r.get("reply") for r in rows.values()):
                    break
                await asyncio.sleep(0.1)
        finally:
            await line.stop()
        if uac.ended.is_set() and not uac.record.report_call:
            out.detail = "ended_by_server"
        await uac.bye()
    finally:
        await uac.close()
    rec = uac.record
    turns = [rec.report_turns[n] for n in sorted(rec.report_turns)]
    fill_result(result, {"turns": turns, "decisions": rec.report_decisions, "events": []}, line,
                started_at=uac.answered_at)
    out.result, out.heard = result, any(line.received.loud)
    out.status = "ivr" if rec.report_call.get("ai") is False else "ai"
    out.rtp_gaps = rec.gaps_over(GAP_S)
    times = rec.rtp_times
    out.max_gap_ms = max((b - a for a, b in zip(times, times[1:], strict=False)), default=0.0) * 1000
    _queue_figures(out, turns)


def _queue_figures(out: CallOutcome, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        if row.get("asr_batch"):
            out.asr_queue_ms.append(float(row.get("asr_queue_ms", 0.0)))
            out.asr_ms.append(float(row.get("asr_ms", 0.0)))
            out.asr_batch.append(int(row["asr_batch"]))


async def _inproc_call(engines: Any, planned: PlannedCall, out: CallOutcome) -> None:
    out.result = await replay_inproc(engines, planned.scenario)
    out.status, out.heard = "ai", True


# -- a whole run ---------------------------------------------------------------------------------
async def run_load(
    plan: list[PlannedCall], *, via: str, arrivals: Arrivals, server: str = "", secret: str | None = None,
    engines: Any = None, server_pid: int | None = None, progress: Any = None,
) -> LoadRun:
    """Start each planned call at its time, run them all to their end; CPU over the measured window."""
    t0 = time.monotonic() + 0.2
    outcomes = [CallOutcome(p) for p in plan]
    measured = [p.at_s for p in plan if p.measured]
    win = (t0 + min(measured, default=0.0), t0 + max(measured, default=0.0))
    cpu = CpuMeter(server_pid)

    async def one(out: CallOutcome) -> None:
        await asyncio.sleep(max(0.0, t0 + out.planned.at_s - time.monotonic()))
        out.began = time.monotonic()
        try:
            if via == "ws":
                await _ws_call(server, out.planned, out, secret)
            elif via == "sip":
                await _sip_call(server, out.planned, out)
            elif via == "inproc":
                await _inproc_call(engines, out.planned, out)
            else:
                raise ValueError(f"unknown transport {via!r}")
        except ConnectionError as exc:
            out.status, out.detail = "failed", type(exc).__name__
        except (TimeoutError, OSError, RuntimeError) as exc:
            out.status, out.detail = "failed", type(exc).__name__
        finally:
            out.ended = time.monotonic()
            if progress is not None:
                progress(out)

    async def meter() -> None:
        await asyncio.sleep(max(0.0, win[0] - time.monotonic()))
        cpu.start()
        await asyncio.sleep(max(0.0, win[1] - time.monotonic()))
        cpu.stop()

    if arrivals.pattern == "burst":
        cpu.start()
        await asyncio.gather(*(one(o) for o in outcomes))
        cpu.stop()
        win = (t0, time.monotonic())
    else:
        metering = asyncio.create_task(meter())
        await asyncio.gather(*(one(o) for o in outcomes))
        if not metering.done():
            metering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await metering
            cpu.stop()
    return LoadRun(via=via, arrivals=arrivals, calls=outcomes, window=win, cpu=cpu.figures())


class CpuMeter:
    """CPU used between :meth:`start` and :meth:`stop`: the server process (by pid, from /proc), this
    bench process, and the whole machine, in cores (2.0 = both cores of this machine busy)."""

    def __init__(self, server_pid: int | None) -> None:
        self._pid = server_pid
        self._a: tuple[float, float, float, float, float] | None = None
        self._b: tuple[float, float, float, float, float] | None = None

    def _sample(self) -> tuple[float, float, float, float, float]:
        times = os.times()
        busy, total = _machine()
        return time.monotonic(), _proc_cpu(self._pid), times.user + times.system, busy, total

    def start(self) -> None:
        self._a = self._sample()

    def stop(self) -> None:
        if self._a is not None and self._b is None:
            self._b = self._sample()

    def figures(self) -> dict[str, float]:
        if self._a is None or self._b is None:
            return {}
        wall = max(1e-6, self._b[0] - self._a[0])
        total = max(1e-6, self._b[4] - self._a[4])
        cores = os.cpu_count() or 1
        out = {
            "window_s": round(wall, 1),
            "bench_cores": round((self._b[2] - self._a[2]) / wall, 2),
            "machine_busy_pct": round(100 * (self._b[3] - self._a[3]) / total, 1),
            "machine_cores": cores,
        }
        if self._pid is not None:
            out["server_cores"] = round((self._b[1] - self._a[1]) / wall, 2)
            # what else ran on the machine meanwhile (other people's work on a shared machine)
            if self._pid != os.getpid():
                out["other_cores"] = round(max(0.0, out["machine_busy_pct"] / 100 * cores - out["server_cores"]
                                               - out["bench_cores"]), 2)
        return out


async def machine_busy(sample_s: float = 3.0) -> float:
    """Share of the machine's CPU (0-1) busy over the next ``sample_s`` seconds, all processes."""
    a = _machine()
    await asyncio.sleep(sample_s)
    b = _machine()
    return (b[0] - a[0]) / max(1e-6, b[1] - a[1])


async def wait_quiet(*, max_busy: float, within_s: float, echo: Any = None) -> float:
    """Wait until the machine is quieter than ``max_busy`` (other people's work on a shared machine);
    returns the last reading (possibly still busy after ``within_s``)."""
    deadline = time.monotonic() + within_s
    busy = await machine_busy()
    while busy > max_busy and time.monotonic() < deadline:
        if echo is not None:
            echo(busy)
        await asyncio.sleep(10.0)
        busy = await machine_busy()
    return busy


def _proc_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) of process ``pid`` and its threads so far."""
    if pid is None:
        return 0.0
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot, from /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            parts = [int(v) for v in f.readline().split()[1:]]
    except OSError:
        return 0.0, 1.0
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return float(sum(parts) - idle), float(sum(parts))


# -- what a run says -----------------------------------------------------------------------------
def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))], 1)


def concurrency(run: LoadRun) -> tuple[float, int]:
    """(time-average, peak) of the calls up at once during the measured window."""
    a, b = run.window
    steps = sorted([(o.began, 1) for o in run.calls if o.began] + [(o.ended, -1) for o in run.calls if o.began])
    level = peak = 0
    area, last = 0.0, a
    for t, step in steps:
        if t > b:
            break
        if t > a:
            area += level * (t - last)
            last = t
        level += step
        if t >= a:
            peak = max(peak, level)
        elif t < a:
            peak = level  # the level the window opens at
    area += level * max(0.0, b - last)
    return (round(area / (b - a), 1) if b > a else float(level)), peak


def summarize(run: LoadRun) -> dict[str, Any]:
    """The run's figures (JSON-able): counts by outcome, latency over the AI calls, queue, RTP, CPU."""
    calls = [o for o in run.calls if o.planned.measured]
    ai = [o for o in calls if o.status == "ai" and o.result is not None]
    lat = latency_summary([o.result for o in ai if o.result is not None])
    queue = [q for o in ai for q in o.asr_queue_ms]
    asr = [q for o in ai for q in o.asr_ms]
    batches = [b for o in ai for b in o.asr_batch]
    holding = [o.ended - o.began for o in ai if o.began]
    mean_up, peak = concurrency(run)
    by: dict[str, int] = {}
    for o in calls:
        by[o.status] = by.get(o.status, 0) + 1
    ivr = [o for o in calls if o.status == "ivr"]
    out: dict[str, Any] = {
        "via": run.via,
        "arrivals": run.arrivals.pattern,
        "calls": len(calls),
        "offered": run.arrivals.calls,
        "rate_per_s": round(run.arrivals.rate, 3) if run.arrivals.pattern == "poisson" else None,
        "outcomes": by,
        "ai_calls": len(ai),
        "ivr_served": sum(1 for o in ivr if o.heard),
        "ivr_unserved": sum(1 for o in ivr if not o.heard),
        "refused": by.get("refused", 0),
        "dropped": by.get("failed", 0),
        "dropped_detail": sorted({o.detail for o in calls if o.status == "failed"}),
        "mean_concurrent": mean_up,
        "peak_concurrent": peak,
        "mean_holding_s": round(float(np.mean(holding)), 1) if holding else None,
        "turns": lat["turns"],
        "expected_replies": lat["expected_replies"],
        "no_reply": lat["no_reply"],
        "no_reply_turns": lat["no_reply_turns"],
        "p50_ms": lat["p50_ms"],
        "p95_ms": lat["p95_ms"],
        "max_ms": lat["max_ms"],
        "breakdown": lat["breakdown"],
        "asr_queue_p50_ms": _pct(queue, 0.5),
        "asr_queue_p95_ms": _pct(queue, 0.95),
        "asr_queue_max_ms": round(max(queue), 1) if queue else float("nan"),
        "asr_after_turn_p95_ms": _pct(asr, 0.95),
        "asr_mean_batch": round(float(np.mean(batches)), 2) if batches else None,
        "cpu": run.cpu,
    }
    if run.via == "sip":
        answered = [o for o in calls if o.status in ("ai", "ivr")]
        setups = [o.setup_ms for o in answered if o.setup_ms is not None]
        out["rtp_gaps"] = sum(o.rtp_gaps for o in answered)
        out["max_rtp_gap_ms"] = round(max((o.max_gap_ms for o in answered), default=0.0), 1)
        out["setup_p50_ms"] = _pct(setups, 0.5)
        out["setup_p95_ms"] = _pct(setups, 0.95)
    return out
