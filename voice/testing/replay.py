"""Replay harness for testers: recorded audio through the whole pipeline, a per-turn table out.

    dialphone replay FILE.wav|FIXTURE.yaml|DIR ... [--via inproc] [--realtime | --fast]
                     [--save-audio DIR] [--json OUT] [--audit-db PATH]

Each scenario is one call. The caller side streams 20 ms frames like a phone line, waits for each
reply, and measures voice-to-voice latency where a caller hears it. Transcripts in the table are
tokenized: raw caller text never leaves the redaction stage. One row per spoken turn: a caller who
only paused and went on is one turn (the pipeline merges the parts).

Each fixture's ``expect:`` block is checked (:mod:`voice.testing.verdict`); the table ends with
PASS or FAIL per scenario and the command exits 1 on any FAIL, 2 when it could not run (a bad
input, a missing ``--server``, a refused stream: one line naming the cause, before any model loads).
``--json`` writes the same rows and verdicts.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import wave
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from concierge.config import Transport, Workspace, load_workspace
from voice.pipeline.engines import Engines
from voice.pipeline.inproc import InprocTransport
from voice.pipeline.session import CallSession
from voice.testing.caller import CallerLine, TurnResult
from voice.testing.exceptions import ReplayError
from voice.testing.remote_webrtc import replay_webrtc
from voice.testing.remote_ws import replay_ws
from voice.testing.results import CallResult, TurnRow, expects_reply
from voice.testing.scenarios import Scenario
from voice.testing.sip_replay import replay_sip

RemoteReplay = Callable[[str, Scenario], Awaitable[CallResult]]

#: ``--via`` -> the remote caller that replays one scenario as one call to a running server.
REMOTE_VIAS: dict[str, RemoteReplay] = {"ws": replay_ws, "webrtc": replay_webrtc, "sip": replay_sip}


async def replay_inproc(engines: Any, scenario: Scenario, *, fast: bool = False, caller: str | None = None,
                        workspace: Workspace | None = None, paced: bool = True) -> CallResult:
    """Run one scenario as one in-process call; returns what the caller and the server saw.
    ``workspace`` replaces the engines' for this call; ``paced=False`` takes the bot's audio as fast as
    it comes (evaluations that do not measure latency)."""
    transport = InprocTransport(sample_rate=scenario.rate, paced=paced)
    line = CallerLine(sample_rate=scenario.rate, send=transport.feed, fast=fast)
    transport.recording.listener = line.heard
    session = CallSession(
        engines=engines, transport=transport, kind=Transport.INPROC, sample_rate=scenario.rate, caller=caller,
        workspace=workspace,
    )
    run = asyncio.create_task(session.run(), name=f"call-{session.call_id}")
    line.start()
    result = CallResult(scenario=scenario.name, rate=scenario.rate, expects_reply=expects_reply(scenario.spec))
    try:
        await line.wait_reply_done(since=time.monotonic() - 0.001, timeout_s=8.0)  # greeting
        for i, turn in enumerate(scenario.turns):
            tr = TurnResult(index=i, barge_in=turn.barge_in_offset_s is not None)
            if turn.barge_in_offset_s is not None and result.caller_turns:
                prev = result.caller_turns[-1]
                onset = await line.wait_onset(since=prev.last_voiced_at or time.monotonic())
                if onset is not None:
                    await asyncio.sleep(max(0.0, onset + turn.barge_in_offset_s - time.monotonic()))
            line.say(turn.pcm16)
            await line.drained()
            tr.last_voiced_at = line.last_voiced_at
            result.caller_turns.append(tr)
            nxt = scenario.turns[i + 1] if i + 1 < len(scenario.turns) else None
            if nxt is not None and nxt.barge_in_offset_s is not None:
                continue
            onset = await line.wait_reply_done(since=tr.last_voiced_at, timeout_s=10.0)
            tr.reply_onset_at = onset or 0.0
        for tr in result.caller_turns:
            if not tr.reply_onset_at:
                tr.reply_onset_at = line.received.onset_after(tr.last_voiced_at) or 0.0
    finally:
        await line.stop()
        await session.end()
        try:
            await asyncio.wait_for(run, timeout=15)
        except TimeoutError:
            await session.cancel()
    _collect(result, session, line)
    return result


async def replay_remote(via: str, server: str, scenario: Scenario) -> CallResult:
    """Run one scenario as one call to ``server`` over ``via`` (ws, webrtc, sip)."""
    replay = REMOTE_VIAS.get(via)
    if replay is None:
        raise ValueError(f"unknown transport {via!r}; one of {', '.join(sorted(REMOTE_VIAS))}")
    if not server:
        raise ReplayError(f"--via {via} needs --server")
    try:
        return await replay(server, scenario)
    except ConnectionError as exc:  # the SIP caller's refused INVITE names its status
        raise ReplayError(f"--via {via} {server}: {exc}") from None
    except httpx.HTTPStatusError as exc:
        raise ReplayError(f"--via {via} {server}: the server answered HTTP {exc.response.status_code}") from None
    except (OSError, TimeoutError, httpx.HTTPError) as exc:
        raise ReplayError(f"--via {via} {server}: cannot connect ({type(exc).__name__}); "
                          "is dialphone serve running there?") from None


def _collect(result: CallResult, session: Any, line: CallerLine) -> None:
    log = session.log
    result.transfers = list(session.transport.recording.transfers)
    result.events = list(log.events)
    result.decisions = list(getattr(log, "decisions", []))
    result.asr_invocations = session.turns.asr_invocations
    result.brain_inputs = [m.get("content", "") if isinstance(m.get("content"), str) else json.dumps(m.get("content"))
                           for m in session.context.get_messages() if m.get("role") == "user"]
    result.heard_pcm = b"".join(line.received.pcm)
    for n, rec in enumerate(log.turns):
        t = rec.timing
        latency = None
        if t is not None:
            before = [c for c in result.caller_turns if c.last_voiced_at and c.last_voiced_at <= t.ended_at]
            if before and before[-1].reply_onset_at > before[-1].last_voiced_at:
                latency = before[-1].latency_ms
        result.rows.append(
            TurnRow(
                scenario=result.scenario,
                turn=n + 1,
                caller=rec.caller_text,
                reply=rec.reply.strip(),
                tools="; ".join(rec.tool_calls),
                decision=rec.decision,
                latency_ms=latency,
                endpoint_ms=t.endpoint_wait_ms if t else 0.0,
                asr_ms=t.asr_wait_ms if t else 0.0,
                brain_ms=rec.brain_ms,
                tts_ms=rec.tts_first_ms,
            )
        )


def render_table(results: list[CallResult], console: Console) -> None:
    table = Table(title="Replay: per-turn results (caller text is tokenized)", show_lines=False)
    for col in ("scenario", "#", "caller (tokenized)", "reply", "tool call", "decision",
                "v2v ms", "endpt", "asr", "brain", "tts"):
        table.add_column(col, overflow="fold")
    for r in results:
        failed = "brain.failed" in r.events
        for row in r.rows:
            reply = row.reply[:80] or ("(none: the brain failed)" if failed and row.caller and not row.tools else "")
            table.add_row(
                row.scenario, str(row.turn), row.caller, reply, row.tools, row.decision,
                _ms(row.latency_ms), _ms(row.endpoint_ms), _ms(row.asr_ms), _ms(row.brain_ms), _ms(row.tts_ms),
            )
    console.print(table)


def wide_console() -> Console:
    """Tables stay readable when written to a file or a CI log (rich assumes 80 columns there)."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def save_audio(result: CallResult, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with wave.open(str(folder / f"{result.scenario}.reply.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(result.rate)
        w.writeframes(result.heard_pcm)


async def run_all(args: argparse.Namespace, scenarios: list[Scenario], *, fast: bool,
                   console: Console) -> list[CallResult]:
    engines: Any = None
    if args.via == "inproc":  # remote transports replay against a running server's engines
        workspace = load_workspace(args.config)
        engines = Engines.load(workspace, Path("var"), audit_db=Path(args.audit_db) if args.audit_db else None)
        await engines.start()
    results: list[CallResult] = []
    try:
        for i, scenario in enumerate(scenarios, 1):
            console.log(f"[{i}/{len(scenarios)}] replaying {scenario.name} ({scenario.rate} Hz, {len(scenario.turns)} turns)")
            if args.via == "inproc":
                results.append(await replay_inproc(engines, scenario, fast=fast))
            elif args.via == "ws":
                results.append(await replay_ws(args.server, scenario, secret=args.secret))
            else:
                results.append(await replay_remote(args.via, args.server, scenario))
    finally:
        if engines is not None:
            await engines.close()
    return results


