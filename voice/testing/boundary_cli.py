"""``dialphone eval boundary [--calls N] [--seed S] [--json F]``: the privacy-boundary evaluation.

Prints a table of leaks by sink and by how the number was given, the withheld and false-positive
rates and the routing delta; exits non-zero when a target is missed (0 leaks, false positives <= 5%,
routing delta >= -1 point). ``--voices`` runs the real-voice part instead (FSDD digits through ASR).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from concierge.config import load_workspace
from redaction.boundary_cases import generate
from voice.pipeline.engines import Engines
from voice.testing.boundary import SINKS, BoundaryReport, evaluate_boundary
from voice.testing.boundary_voices import VoiceReport, evaluate_voices, voice_calls

TARGET_FP = 0.05
TARGET_ROUTING_DELTA = -1.0


def failures(report: BoundaryReport) -> list[str]:
    bad: list[str] = []
    if report.leaks:
        bad.append(f"{report.leaks} calls leaked")
    if report.false_positive_rate > TARGET_FP:
        bad.append(f"false positives {report.false_positive_rate:.1%} > {TARGET_FP:.0%}")
    if report.routing_accuracy_delta < TARGET_ROUTING_DELTA:
        bad.append(f"routing delta {report.routing_accuracy_delta:+.1f} points")
    return bad


def render(report: BoundaryReport, console: Console) -> None:
    t = Table(title=f"Privacy boundary: {report.calls} generated calls through the pipeline (Claude brain, "
                    f"local Messages API server)")
    t.add_column("sink")
    t.add_column("calls with a leak", justify="right")
    for sink in SINKS:
        t.add_row(sink, str(report.leaks_by_sink.get(sink, 0)))
    t.add_row("any", str(report.leaks))
    console.print(t)
    s = Table(title="By how the number was given (a call counts once per way it used)")
    s.add_column("way")
    s.add_column("calls", justify="right")
    s.add_column("leaked", justify="right")
    for style, (leaked, n) in sorted(report.by_style.items()):
        s.add_row(style, str(n), str(leaked))
    console.print(s)
    r = Table(title="Rates")
    r.add_column("figure")
    r.add_column("value", justify="right")
    r.add_column("of", justify="right")
    r.add_row("turns withheld (fail closed)", f"{report.withheld_rate:.2%}", f"{report.turns} turns")
    r.add_row("harmless numbers lost", f"{report.false_positive_rate:.2%}", f"{report.harmless_said} numbers")
    held = report.heldout_lost / report.heldout_said if report.heldout_said else 0.0
    r.add_row("... of the held-out sentences", f"{held:.2%}", f"{report.heldout_said} numbers")
    ic, ia = report.routing_in_call, report.routing_alone
    r.add_row("routing inside the calls (embedded)", f"{ic[0]}/{ic[1]}", "")
    r.add_row("routing said alone (embedded)", f"{ia[0]}/{ia[1]}", "")
    r.add_row("routing accuracy delta", f"{report.routing_accuracy_delta:+.2f} points", "")
    console.print(r)


def render_voices(report: VoiceReport, console: Console) -> None:
    t = Table(title=f"Real voices: {report.calls} calls, FSDD evaluation takes, {report.turns} turns at 8 kHz "
                    "through ASR (Claude brain, local Messages API server)")
    for col in ("speaker", "calls", "leaked"):
        t.add_column(col, justify="left" if col == "speaker" else "right")
    for speaker, (leaked, n) in sorted(report.by_speaker.items()):
        t.add_row(speaker, str(n), str(leaked))
    t.add_row("all", str(report.calls), str(report.leaks))
    console.print(t)
    console.print(f"calls whose caller turns put any plain digit into a model request: "
                  f"{report.calls_with_plain_caller_digits}; calls where a token reached the model instead: "
                  f"{report.calls_with_tokens} of {report.calls}")


async def _run(args: argparse.Namespace, console: Console) -> BoundaryReport | VoiceReport:
    workspace = load_workspace(args.config)
    with tempfile.TemporaryDirectory(prefix="dialphone-boundary-") as tmp:
        engines = Engines.load(workspace, Path(tmp), audit_db=Path(tmp) / "audit.db")
        await engines.start()
        try:
            with Progress(TextColumn("calls"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=console, transient=True) as bar:
                if args.voices:
                    vcalls = voice_calls(args.voices, seed=args.seed)
                    task = bar.add_task("calls", total=len(vcalls))
                    return await evaluate_voices(engines, vcalls, Path(args.shared), concurrency=args.concurrency,
                                                 progress=lambda: bar.advance(task))
                calls = generate(args.calls, seed=args.seed)
                total = len(calls) + 2 * sum(1 for c in calls if c.department is not None)
                task = bar.add_task("calls", total=total)
                return await evaluate_boundary(engines, calls, concurrency=args.concurrency,
                                               progress=lambda: bar.advance(task))
        finally:
            await engines.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dialphone eval boundary", description=__doc__.split("\n")[0])
    p.add_argument("--calls", type=int, default=2000, help="generated calls (default: 2000)")
    p.add_argument("--seed", type=int, default=20261202, help="generator seed (default: 20261202)")
    p.add_argument("--concurrency", type=int, default=6, help="calls at once (default: 6)")
    p.add_argument("--config", default="examples/workspace.yaml", help="workspace (default: examples/workspace.yaml)")
    p.add_argument("--json", help="write the figures to this file")
    p.add_argument("--voices", type=int, default=0, metavar="N",
                   help="instead: N calls of real FSDD voices through ASR (default: 0, the generated text calls)")
    p.add_argument("--shared", default=os.environ.get("DIALPHONE_SHARED", "../shared"),
                   help="the shared data folder (default: ../shared or $DIALPHONE_SHARED)")
    args = p.parse_args(argv)
    if args.voices and not (Path(args.shared) / "audio" / "fsdd").is_dir():
        print(f"dialphone eval boundary: no FSDD recordings under {args.shared}/audio/fsdd (use --shared)",
              file=sys.stderr)
        return 2
    console = Console(stderr=False)
    report = asyncio.run(_run(args, console))
    if isinstance(report, VoiceReport):
        render_voices(report, console)
        bad = [f"{report.leaks} calls leaked"] if report.leaks else []
    else:
        render(report, console)
        bad = failures(report)
    console.print("targets: all met" if not bad else "targets missed: " + "; ".join(bad))
    if args.json:
        Path(args.json).write_text(json.dumps(report.as_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
