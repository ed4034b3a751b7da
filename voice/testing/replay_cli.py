"""``dialphone replay`` and ``dialphone bench latency``: the command lines of the replay harness.

    dialphone replay FILE.wav|FIXTURE.yaml|DIR ... [--via inproc|ws|sip|webrtc] [--server S]
                     [--realtime | --fast] [--save-audio DIR] [--json OUT] [--audit-db PATH]

The arguments and every input are checked first (:func:`_prepare`: files exist and are audio at a
rate the pipeline takes or fixtures, ``--server`` given for a remote ``--via``, a media-stream secret
found); only then is the pipeline imported and the models loaded (:mod:`voice.testing.replay`). An
expected failure is one line naming the cause and the fix, exit 2.

Each fixture's ``expect:`` block is checked (:mod:`voice.testing.verdict`): the table ends with PASS
or FAIL per scenario and the command exits 1 on any FAIL. ``--json`` writes the same rows and
verdicts, and a summary that counts the same rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from concierge.config import ConfigError
from voice.testing.exceptions import ReplayError
from voice.testing.remote_ws import SECRET_ENV, media_stream_secret
from voice.testing.results import CallResult, latency_summary
from voice.testing.scenarios import Scenario, expand, load_scenario
from voice.testing.verdict import Verdict, judge

DEFAULT_FIXTURES = Path("fixtures/audio")
DEFAULT_CONFIG = "examples/workspace.yaml"


def _common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--via", choices=["inproc", "sip", "ws", "webrtc"], default="inproc",
                   help="inproc: load the models here; sip, ws, webrtc: call a running server (--server)")
    p.add_argument("--server", help="HOST:PORT (sip) or URL (ws, webrtc) of a running server")
    p.add_argument("--config", default=DEFAULT_CONFIG,
                   help="workspace YAML: the in-process call's workspace, and the media-stream secret for --via ws "
                        "(unless DIALPHONE_SECURITY__MEDIA_STREAM_SECRET is set)")
    p.add_argument("--json", dest="json_out", metavar="OUT", help="also write the results as JSON to this file")
    p.add_argument("--audit-db", help="write the replayed calls' audit events to this SQLite file (inproc)")
    p.add_argument("--rate", type=int, choices=[8000, 16000], help="resample inputs to this rate (Hz)")


def _prepare(args: argparse.Namespace, files: list[Path]) -> list[Scenario]:
    """Everything that can be wrong with the command line or the inputs, before a model loads."""
    if args.via != "inproc" and not args.server:
        raise ReplayError(f"--via {args.via} calls a running server: add --server "
                          f"({'HOST:PORT' if args.via == 'sip' else 'http://HOST:PORT'}), or use --via inproc")
    paths = expand(files)
    missing = [str(x) for x in paths if not x.exists()]
    if missing:
        raise ReplayError(f"no such file: {', '.join(missing)}")
    if not paths:
        raise ReplayError(f"no fixture YAML in {', '.join(map(str, files))}")
    scenarios = [load_scenario(path, rate=args.rate) for path in paths]
    if args.via == "ws":
        try:
            args.secret = media_stream_secret(args.config)
        except ConfigError as exc:
            raise ReplayError(f"--config {args.config}: {exc.problems[0][2] if exc.problems else exc}") from None
        if not args.secret:
            raise ReplayError(f"no media-stream secret: {args.config} has no security.media_stream_secret; pass "
                              f"--config with the server's workspace, or set {SECRET_ENV}")
    return scenarios


def render_verdicts(results: list[CallResult], verdicts: list[Verdict], console: Console) -> None:
    table = Table(title="Replay: verdict per scenario (the fixture's expect: block)")
    for col in ("scenario", "verdict", "why"):
        table.add_column(col, overflow="fold")
    for r, v in zip(results, verdicts, strict=True):
        why = "; ".join(v.failures) or ("" if v.checked else "no expect: block (plain recording)")
        table.add_row(r.scenario, f"[green]{v.label}[/]" if v.passed else f"[bold red]{v.label}[/]", why)
    console.print(table)


def replay_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="dialphone replay", description=__doc__.split("\n")[0] if __doc__ else None,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                epilog="Exit status: 0 every scenario PASS, 1 any FAIL, 2 the replay could not run.")
    p.add_argument("files", nargs="+", type=Path,
                   help="WAV/FLAC recordings, fixture YAMLs (their expect: block is checked) or folders of fixtures")
    pace = p.add_mutually_exclusive_group()
    pace.add_argument("--realtime", action="store_true", default=True,
                      help="the caller speaks at the pace of a phone line")
    pace.add_argument("--fast", action="store_true", help="the caller does not wait out the line's pace")
    p.add_argument("--save-audio", type=Path, metavar="DIR", help="write what the caller heard, one WAV a scenario")
    _common_args(p)
    args = p.parse_args(argv)
    console = Console(stderr=True)
    try:
        scenarios = _prepare(args, args.files)
        from voice.testing.replay import run_all  # the pipeline's imports: after the inputs are checked

        results = asyncio.run(run_all(args, scenarios, fast=args.fast, console=console))
    except ReplayError as exc:
        print(f"{p.prog}: {exc}", file=sys.stderr)
        return 2
    verdicts = [judge(s.expect, r) for s, r in zip(scenarios, results, strict=True)]
    from voice.testing.replay import render_table, save_audio, wide_console

    out = wide_console()
    render_table(results, out)
    render_verdicts(results, verdicts, out)
    failed = [r.scenario for r, v in zip(results, verdicts, strict=True) if not v.passed]
    if args.save_audio:
        for r in results:
            save_audio(r, args.save_audio)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(replay_json(results, verdicts), indent=2))
    print(f"{p.prog}: {len(results) - len(failed)} of {len(results)} scenario(s) PASS"
          + (f"; FAIL: {', '.join(failed)}" if failed else ""), file=sys.stderr)
    return 1 if failed else 0


def replay_json(results: list[CallResult], verdicts: list[Verdict]) -> dict[str, Any]:
    """What ``--json`` writes: the table's rows and verdicts, and a summary that counts the same rows."""
    latency = latency_summary(results)
    latency["measured_turns"] = latency.pop("turns")  # the rows with a voice-to-voice figure
    return {
        "calls": [{**_result_json(r), **v.as_json()} for r, v in zip(results, verdicts, strict=True)],
        "summary": {
            "scenarios": len(results),
            "passed": sum(v.passed for v in verdicts),
            "failed": sum(not v.passed for v in verdicts),
            "turns": sum(len(r.rows) for r in results),
            "latency": latency,
        },
    }


def _result_json(r: CallResult) -> dict[str, Any]:
    return {
        "scenario": r.scenario,
        "turns": [asdict(row) for row in r.rows],
        "transfers": r.transfers,
        "events": r.events,
    }


def bench_latency_main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="dialphone bench latency", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                description="voice-to-voice latency over every fixture turn, measured at the caller")
    p.add_argument("files", nargs="*", type=Path, default=[DEFAULT_FIXTURES], help="fixture YAMLs or folders")
    _common_args(p)
    args = p.parse_args(argv)
    console = Console(stderr=True)
    try:
        scenarios = _prepare(args, args.files)
        from voice.testing.replay import run_all

        results = asyncio.run(run_all(args, scenarios, fast=False, console=console))
    except ReplayError as exc:
        print(f"{p.prog}: {exc}", file=sys.stderr)
        return 2
    summary = latency_summary(results)
    table = Table(title=f"Voice-to-voice latency via {args.via} ({summary['turns']} turns)")
    for col in ("stage", "p50 ms", "p95 ms"):
        table.add_column(col)
    table.add_row("voice-to-voice", f"{summary['p50_ms']}", f"{summary['p95_ms']}")
    for name, v in summary["breakdown"].items():
        table.add_row(name, f"{v['p50_ms']}", f"{v['p95_ms']}")
    table.add_row("max (v2v)", f"{summary['max_ms']}", "")
    table.add_row("no reply (failures)", f"{summary['no_reply']} of {summary['expected_replies']}", "")
    from voice.testing.replay import wide_console

    wide_console().print(table)
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
