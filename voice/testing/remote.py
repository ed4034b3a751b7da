"""What every remote caller shares: ``--via ws``, ``--via webrtc`` and ``--via sip`` replay the same way.

Each client (:mod:`voice.testing.remote_ws`, :mod:`voice.testing.remote_webrtc`, :mod:`voice.testing.sip_replay`) drives
the same :class:`~voice.testing.caller.CallerLine` (20 ms frames at real-time pace, latency measured at the
caller) through :func:`drive_turns`, and asks the server for the call's tokenized per-turn report,
which :func:`fill_result` turns into the same rows as in-process. :mod:`voice.testing.replay` picks the
client for ``--via``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from voice.audio import from_int16_bytes, resample, to_int16_bytes
from voice.testing.caller import CallerLine, TurnResult
from voice.testing.results import CallResult, TurnRow
from voice.testing.scenarios import ReplayTurn, Scenario


def at_rate(scenario: Scenario, rate: int) -> Scenario:
    """The scenario's audio resampled to ``rate`` (a media stream is 8 kHz)."""
    if scenario.rate == rate:
        return scenario
    turns = [
        ReplayTurn(to_int16_bytes(resample(from_int16_bytes(t.pcm16), scenario.rate, rate)), t.barge_in_offset_s)
        for t in scenario.turns
    ]
    return Scenario(scenario.name, rate, turns, scenario.department, scenario.expect, scenario.spec)


async def drive_turns(line: CallerLine, scenario: Scenario, *, greeting_timeout_s: float = 8.0) -> list[TurnResult]:
    """Play the scenario's turns on a started line the way the in-process replay does."""
    out: list[TurnResult] = []
    await line.wait_reply_done(since=time.monotonic() - 0.001, timeout_s=greeting_timeout_s)
    for i, turn in enumerate(scenario.turns):
        tr = TurnResult(index=i, barge_in=turn.barge_in_offset_s is not None)
        if turn.barge_in_offset_s is not None and out:
            onset = await line.wait_onset(since=out[-1].last_voiced_at or time.monotonic())
            if onset is not None:
                await asyncio.sleep(max(0.0, onset + turn.barge_in_offset_s - time.monotonic()))
        line.say(turn.pcm16)
        await line.drained()
        tr.last_voiced_at = line.last_voiced_at
        out.append(tr)
        nxt = scenario.turns[i + 1] if i + 1 < len(scenario.turns) else None
        if nxt is not None and nxt.barge_in_offset_s is not None:
            continue
        onset = await line.wait_reply_done(since=tr.last_voiced_at, timeout_s=10.0)
        tr.reply_onset_at = onset or 0.0
    for tr in out:
        if not tr.reply_onset_at:
            tr.reply_onset_at = line.received.onset_after(tr.last_voiced_at) or 0.0
    return out


def fill_result(result: CallResult, report: dict[str, Any] | None, line: CallerLine, *, started_at: float) -> None:
    """Rows from the server's tokenized report; latency from the caller's own clock.

    ``started_at`` is the caller's monotonic time when the call was set up; a row's ``ended_s``
    counts from the server's set-up, so ``started_at + ended_s`` places the server's turn end on the
    caller's clock (loopback or LAN: off by the one-way delay). A row takes the latency of the last
    caller turn that ended before it, as the in-process replay does.
    """
    result.heard_pcm = b"".join(line.received.pcm)
    if report is None:
        for tr in result.caller_turns:
            result.rows.append(TurnRow(result.scenario, tr.index + 1, "", "", "", "", tr.latency_ms, 0, 0, 0, 0))
        return
    result.events = [str(e) for e in report.get("events", [])]
    result.decisions = list(report.get("decisions", []))
    result.asr_invocations = int(report.get("asr_invocations", 0))
    claimed: set[int] = set()
    for i, row in enumerate(report.get("turns", [])):
        latency = None
        ended = row.get("ended_s")
        if isinstance(ended, (int, float)):
            at = started_at + float(ended) + 0.05
            before = [c for c in result.caller_turns if c.last_voiced_at and c.last_voiced_at <= at]
            if before and before[-1].index not in claimed and before[-1].reply_onset_at > before[-1].last_voiced_at:
                latency = before[-1].latency_ms
                claimed.add(before[-1].index)
        result.rows.append(
            TurnRow(
                scenario=result.scenario,
                turn=int(row.get("turn", i + 1)),
                caller=str(row.get("caller", "")),
                reply=str(row.get("reply", "")),
                tools=str(row.get("tools", "")),
                decision=str(row.get("decision", "")),
                latency_ms=latency,
                endpoint_ms=float(row.get("endpoint_ms", 0.0)),
                asr_ms=float(row.get("asr_ms", 0.0)),
                brain_ms=float(row.get("brain_ms", 0.0)),
                tts_ms=float(row.get("tts_ms", 0.0)),
            )
        )
