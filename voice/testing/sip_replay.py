"""Replay scenarios over real SIP and RTP: ``dialphone replay --via sip --server HOST:PORT``.

    result = await replay_sip("127.0.0.1:5060", scenario)          # -> voice.testing.results.CallResult
    summary = await bench_concurrency_sip("127.0.0.1:5060", 20, scenarios)
    # {"calls": 20, "p95_ms": ..., "p50_ms": ..., "turns": ..., "rtp_gaps": 0, "setup_p50_ms": ..., "setup_p95_ms": ...}

Each scenario is one call placed by :class:`voice.testing.sip_uac.SipUac` (UDP): the caller side is the
same :class:`~voice.testing.caller.CallerLine` as in-process (20 ms frames at real-time pace, latency on
the caller's clock). The call asks for the tokenized per-turn report (request-URI parameter
``x-dialphone-report``; the server sends it in INFO requests), so the table is the same as
in-process. ``rtp_gaps`` counts gaps over 40 ms between the RTP packets the server sent, as they
arrived here.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from voice.testing.caller import CallerLine
from voice.testing.remote import at_rate, drive_turns, fill_result
from voice.testing.results import CallResult, expects_reply, latency_summary
from voice.testing.scenarios import Scenario
from voice.testing.sip_uac import SipUac

RATE = 8000
GAP_S = 0.040


def parse_server(server: str) -> tuple[str, int]:
    """``HOST:PORT`` / ``sip:HOST:PORT`` / ``HOST`` (port 5060)."""
    text = server.removeprefix("sip:")
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        return text, 5060
    return host.strip("[]"), int(port)


async def _report_settled(uac: SipUac, turns: int, timeout_s: float) -> None:
    """Wait until the server's report covers every spoken turn and has its replies (or time out)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and not uac.ended.is_set():
        rows = uac.record.report_turns
        if len(rows) >= turns and all(r.get("reply") for r in rows.values()):
            return
        await asyncio.sleep(0.1)


async def _call(server: str, scenario: Scenario, *, transport: str = "udp", user: str = "caller") -> tuple[CallResult, SipUac]:
    scenario = at_rate(scenario, RATE)
    uac = await SipUac.open(parse_server(server), transport=transport, report=True, user=user)
    result = CallResult(scenario=scenario.name, rate=RATE, expects_reply=expects_reply(scenario.spec))
    line = CallerLine(sample_rate=RATE, send=uac.send_audio)
    try:
        status = await uac.invite()
        if status >= 300:
            raise ConnectionError(f"the server answered the INVITE with {status}")
        uac.on_audio = line.heard
        line.start()
        try:
            result.caller_turns = await drive_turns(line, scenario)
            spoken = sum(1 for t in scenario.turns if t.barge_in_offset_s is None) or 1
            await _report_settled(uac, spoken, timeout_s=3.0)
        finally:
            await line.stop()
        await uac.bye()
    finally:
        await uac.close()
    rec = uac.record
    report = {
        "turns": [rec.report_turns[n] for n in sorted(rec.report_turns)],
        "decisions": rec.report_decisions,
        "events": [],
    }
    fill_result(result, report, line, started_at=uac.answered_at)
    allowed = [str(d.get("department")) for d in rec.report_decisions if d.get("decision") == "allow"]
    result.transfers = [
        (allowed[i] if i < len(allowed) else "", target) for i, target in enumerate(rec.refer_targets)
    ]
    return result, uac


async def replay_sip(server: str, scenario: Scenario) -> CallResult:
    """Run one scenario as one SIP call to ``server`` (HOST:PORT)."""
    result, _ = await _call(server, scenario)
    return result


async def replay_sip_caller(server: str, scenario: Scenario, *, user: str = "caller") -> tuple[CallResult, SipUac]:
    """:func:`replay_sip`, and the caller that placed the call (its SIP record: the Contact that
    answered, which names the worker behind a proxy; the set-up time). ``user``: From's user part."""
    return await _call(server, scenario, user=user)


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(q * (len(ordered) - 1)))))]


async def bench_concurrency_sip(server: str, calls: int, scenarios: list[Scenario]) -> dict[str, Any]:
    """``calls`` concurrent SIP calls (scenarios reused round-robin): voice-to-voice p50/p95 and RTP gaps."""
    picked = [scenarios[i % len(scenarios)] for i in range(calls)]
    done = await asyncio.gather(*(_call(server, s) for s in picked))
    results = [r for r, _ in done]
    summary = latency_summary(results)
    setups = [u.setup_ms for _, u in done if u.setup_ms is not None]
    return {
        "calls": calls,
        "p95_ms": summary["p95_ms"],
        "p50_ms": summary["p50_ms"],
        "turns": summary["turns"],
        "expected_replies": summary["expected_replies"],
        "no_reply": summary["no_reply"],
        "rtp_gaps": sum(u.record.gaps_over(GAP_S) for _, u in done),
        "max_rtp_gap_ms": round(max((_max_gap(u) for _, u in done), default=0.0) * 1000, 1),
        "setup_p50_ms": round(_pct(setups, 0.5), 1),
        "setup_p95_ms": round(_pct(setups, 0.95), 1),
    }


def _max_gap(uac: SipUac) -> float:
    t = uac.record.rtp_times
    return max((b - a for a, b in zip(t, t[1:], strict=False)), default=0.0)
