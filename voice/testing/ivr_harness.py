"""Drive one in-process call through :func:`voice.pipeline.calls.new_call` from the caller's side.

The caller streams 20 ms frames like a phone line (:class:`voice.testing.caller.CallerLine`), may speak
(caller audio), then presses digits. Timings are taken where a caller would observe them:

* ``greeting_ms``: from answer (the call's pipeline is started) to the first audible frame heard;
* ``route_ms``: from the last digit pressed to the transfer reaching the transport.

It also reports what ran on the server: ASR and NER invocations, brain turns, audit event types.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from concierge.config import Transport
from voice.ivr.optout import OptOutList
from voice.pipeline.calls import new_call
from voice.pipeline.inproc import InprocTransport
from voice.testing.caller import CallerLine


@dataclass
class DriveResult:
    call_id: str
    ai: bool
    greeting_ms: float | None = None
    route_ms: float | None = None
    transfers: list[tuple[str, str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    asr_invocations: int = 0
    ner_invocations: int = 0
    brain_turns: int = 0
    mode: str = "ai"
    asr_at_switch: int | None = None
    heard_pcm: bytes = b""


def brain_turns(session: Any) -> int:
    """User messages the brain was given (0 means it never ran on this call's speech)."""
    return sum(1 for m in session.context.get_messages() if isinstance(m, dict) and m.get("role") == "user")


async def drive_call(
    engines: Any,
    *,
    rate: int = 16000,
    caller: str | None = None,
    speech: list[bytes] | None = None,
    digits: str = "",
    before_digits_s: float = 0.3,
    wait_ivr_s: float = 0.0,
    route_timeout_s: float = 3.0,
    optouts: OptOutList | None = None,
    on_session: Any = None,
    fast: bool = False,
    speech_after_switch: list[bytes] | None = None,
    linger_s: float = 0.0,
    digit_gap_s: float = 0.05,
) -> DriveResult:
    """Run one call: greeting, optional speech turns, optional digits, ``linger_s``; hang up; report."""
    transport = InprocTransport(sample_rate=rate)
    line = CallerLine(sample_rate=rate, send=transport.feed, fast=fast)
    transport.recording.listener = line.heard
    session = new_call(
        engines=engines, transport=transport, kind=Transport.INPROC, sample_rate=rate, caller=caller, optouts=optouts
    )
    if on_session is not None:
        on_session(session)
    switch = session.ivr  # type: ignore[attr-defined]
    result = DriveResult(call_id=session.call_id, ai=session.optout.ai)  # type: ignore[attr-defined]
    answered = time.monotonic()
    run = asyncio.create_task(session.run(), name=f"call-{session.call_id}")
    line.start()
    try:
        onset = await line.wait_onset(since=answered, timeout_s=5.0)
        result.greeting_ms = None if onset is None else (onset - answered) * 1000
        for pcm in speech or []:
            if not fast:
                await line.wait_reply_done(since=answered, quiet_s=0.6, timeout_s=8.0)
            line.say(pcm)
            await line.drained()
        if wait_ivr_s:
            deadline = time.monotonic() + wait_ivr_s
            while switch.mode.value != "ivr" and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
            result.asr_at_switch = session.turns.asr_invocations
        for pcm in speech_after_switch or []:
            line.say(pcm)
            await line.drained()
        if digits:
            await asyncio.sleep(before_digits_s)
            pressed = 0.0
            for i, d in enumerate(digits):
                if i:
                    await asyncio.sleep(digit_gap_s)
                await transport.press(d)
                pressed = time.monotonic()
            deadline = pressed + route_timeout_s
            while not transport.recording.transfers and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.002)
            if transport.recording.transfers:
                result.route_ms = (time.monotonic() - pressed) * 1000
        if linger_s:
            await asyncio.sleep(linger_s)
    finally:
        await line.stop()
        await session.cancel()  # the caller hangs up (a queued prompt is not played out)
        try:
            await asyncio.wait_for(run, timeout=10)
        except TimeoutError:
            run.cancel()
    result.transfers = list(transport.recording.transfers)
    result.events = list(session.log.events)
    result.asr_invocations = session.turns.asr_invocations
    result.ner_invocations = session.redaction.invocations
    result.brain_turns = brain_turns(session)
    result.mode = switch.mode.value
    result.heard_pcm = b"".join(line.received.pcm)
    return result
