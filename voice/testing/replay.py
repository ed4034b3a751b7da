"""Replay harness for testers: recorded audio through the whole pipeline, a per-turn table out.

    dialphone replay FILE.wav|FIXTURE.yaml|DIR ... [--via inproc] [--realtime | --fast]
                     [--save-audio DIR] [--json OUT] [--audit-db PATH]

Each scenario is one call. The caller side streams 20 ms frames like a phone line, waits for each
reply, and measures voice-to-voice latency where a caller hears it. Transcripts in the table are
tokenized: raw caller text never leaves the redaction stage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import wave
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from concierge.config import Transport, Workspace, load_workspace
from voice.pipeline.engines import Engines
from voice.pipeline.inproc import InprocTransport
from voice.pipeline.session import CallSession
from voice.testing.caller import CallerLine, TurnResult
from voice.testing.remote_webrtc import replay_webrtc
from voice.testing.remote_ws import replay_ws
from voice.testing.results import CallResult, TurnRow, expects_reply, latency_summary
from voice.testing.scenarios import Scenario, expand, load_scenario
from voice.testing.sip_replay import replay_sip

DEFAULT_FIXTURES = Path("fixtures/audio")

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
        raise ValueError(f"--via {via} needs --server")
    return await replay(server, scenario)


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
        for row in r.rows:
            table.add_row(
                row.scenario, str(row.turn), row.caller, row.reply[:80], row.tools, row.decision,
                _ms(row.latency_ms), _ms(row.endpoint_ms), _ms(row.asr_ms), _ms(row.brain_ms), _ms(row.tts_ms),
            )
    console.print(table)


def _wide_console() -> Console:
    """Tables stay readable when written to a file or a CI log (rich assumes 80 columns there)."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.0f}"


def _save_audio(result: CallResult, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with wave.open(str(folder / f"{result.scenario}.reply.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(result.rate)
        w.writeframes(result.heard_pcm)


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--via", choices=["inproc", "sip", "ws", "webrtc"], default="inproc")
    p.add_argument("--server", help="HOST:PORT (sip) or URL (ws, webrtc) of a running server")
    p.add_argument("--config", default="examples/workspace.yaml")
    p.add_argument("--json", dest="json_out")
    p.add_argument("--audit-db", help="write the replayed calls' audit events to this SQLite file")
    p.add_argument("--rate", type=int, choices=[8000, 16000], help="resample inputs to this rate")


async def _run_all(args: argparse.Namespace, paths: list[Path], *, fast: bool, console: Console) -> list[CallResult]:
    engines: Any = None
    if args.via == "inproc":  # remote transports replay against a running server's engines
        workspace = load_workspace(args.config)
        engines = Engines.load(workspace, Path("var"), audit_db=Path(args.audit_db) if args.audit_db else None)
        await engines.start()
    results: list[CallResult] = []
    try:
        for i, path in enumerate(paths, 1):
            scenario = load_scenario(path, rate=args.rate)
            console.log(f"[{i}/{len(paths)}] replaying {scenario.name} ({scenario.rate} Hz, {len(scenario.turns)} turns)")
            if args.via == "inproc":
                results.append(await replay_inproc(engines, scenario, fast=fast))
            else:
                results.append(await replay_remote(args.via, args.server, scenario))
    finally:
        if engines is not None:
            await engines.close()
    return results


def replay_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="dialphone replay", description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("files", nargs="+", type=Path)
    pace = p.add_mutually_exclusive_group()
    pace.add_argument("--realtime", action="store_true", default=True)
    pace.add_argument("--fast", action="store_true")
    p.add_argument("--save-audio", type=Path)
    _common_args(p)
    args = p.parse_args(argv)
    console = Console(stderr=True)
    paths = expand(args.files)
    missing = [str(x) for x in paths if not x.exists()]
    if missing:
        print(f"dialphone replay: no such file: {', '.join(missing)}", file=sys.stderr)
        return 2
    results = asyncio.run(_run_all(args, paths, fast=args.fast, console=console))
    render_table(results, _wide_console())
    if args.save_audio:
        for r in results:
            _save_audio(r, args.save_audio)
    if args.json_out:
        out = {"calls": [_result_json(r) for r in results], "summary": latency_summary(results)}
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


def _result_json(r: CallResult) -> dict[str, Any]:
    return {
        "scenario": r.scenario,
        "turns": [asdict(row) for row in r.rows],
        "transfers": r.transfers,
        "events": r.events,
    }


def bench_latency_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="dialphone bench latency")
    p.add_argument("files", nargs="*", type=Path, default=[DEFAULT_FIXTURES])
    _common_args(p)
    args = p.parse_args(argv)
    console = Console(stderr=True)
    paths = expand(args.files)
    results = asyncio.run(_run_all(args, paths, fast=False, console=console))
    summary = latency_summary(results)
    table = Table(title=f"Voice-to-voice latency via {args.via} ({summary['turns']} turns)")
    for col in ("stage", "p50 ms", "p95 ms"):
        table.add_column(col)
    table.add_row("voice-to-voice", f"{summary['p50_ms']}", f"{summary['p95_ms']}")
    for name, v in summary["breakdown"].items():
        table.add_row(name, f"{v['p50_ms']}", f"{v['p95_ms']}")
    table.add_row("max (v2v)", f"{summary['max_ms']}", "")
    table.add_row("no reply (failures)", f"{summary['no_reply']} of {summary['expected_replies']}", "")
    _wide_console().print(table)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(summary, indent=2))
    return _reply_check(summary)


def _reply_check(summary: dict[str, Any]) -> int:
    """The benchmark's own check: every turn that expects a reply got one (exit 1 otherwise)."""
    if summary.get("no_reply"):
        print(f"bench: FAILED: {summary['no_reply']} turn(s) that expect a reply got none: "
              f"{', '.join(summary.get('no_reply_turns', []))}", file=sys.stderr)
        return 1
    return 0
