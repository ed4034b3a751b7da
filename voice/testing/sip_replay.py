"""Replay scenarios over real SIP and RTP: ``dialphone replay --via sip --server HOST:PORT``.

    result = await replay_sip("127.0.0.1:5060", scenario)          # -> voice.testing.results.CallResult

Each scenario is one call placed by :class:`voice.testing.sip_uac.SipUac` (UDP): the caller side is the
same :class:`~voice.testing.caller.CallerLine` as in-process (20 ms frames at real-time pace, latency on
the caller's clock). The call asks for the tokenized per-turn report (request-URI parameter
``x-dialphone-report``; the server sends it in INFO requests), so the table is the same as
in-process. :data:`GAP_S`: a gap between the RTP packets the server sent, as they arrived here, longer
than this is counted (``dialphone bench concurrency``, :mod:`voice.testing.load`).
"""

from __future__ import annotations

import asyncio
import time

from voice.testing.caller import CallerLine
from voice.testing.remote import at_rate, drive_turns, fill_result
from voice.testing.results import CallResult, expects_reply
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
