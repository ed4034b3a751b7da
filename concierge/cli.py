"""``dialphone eval concierge`` and ``dialphone bench gate``, callable as ``main(argv)``.

    eval [--json F] [--fixtures DIR] [--config FILE] [--transcripts F]   routing accuracy, embedded brain
    bench-gate [--json F] [--iterations N] [--dir D] [--config FILE]   tool call to durable decision, p95 <= 20 ms
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from concierge.benchmark import bench_gate
from concierge.config import ConfigError, load_workspace
from concierge.evaluate import evaluate_routing, load_scenarios, with_transcripts

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = REPO / "examples" / "workspace.yaml"
DEFAULT_FIXTURES = REPO / "fixtures" / "audio"
ROUTING_TARGET = 0.95
GATE_TARGET_MS = 20.0


def _write_json(path: str | None, data: dict[str, object]) -> None:
    if path:
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _eval(args: argparse.Namespace, out: Console) -> int:
    workspace = load_workspace(args.config)
    scenarios = load_scenarios(Path(args.fixtures))
    if not scenarios:
        out.print(f"[red]no fixture scenarios under {args.fixtures}[/red]")
        return 2
    if args.transcripts:
        transcripts = json.loads(Path(args.transcripts).read_text(encoding="utf-8"))
        scenarios = with_transcripts(scenarios, transcripts)
    report = evaluate_routing(workspace, scenarios)
    table = Table(title=f"Embedded concierge routing ({len(report.results)} turns)")
    for col in ("scenario", "turn", "expected", "routed", "ms", "ok"):
        table.add_column(col)
    for r in report.results:
        table.add_row(r.scenario, str(r.turn), r.expected, r.got, f"{r.ms:.2f}", "yes" if r.ok else "[red]NO[/red]")
    out.print(table)
    verdict = "meets" if report.accuracy >= ROUTING_TARGET else "[red]misses[/red]"
    out.print(f"routing_accuracy = {report.accuracy:.3f} ({verdict} the {ROUTING_TARGET} target)")
    _write_json(args.json, report.as_dict())
    return 0


def _bench(args: argparse.Namespace, out: Console) -> int:
    workspace = load_workspace(args.config)
    with Progress(console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task("gate decisions", total=args.iterations)
        result = asyncio.run(
            bench_gate(
                workspace,
                iterations=args.iterations,
                directory=Path(args.dir) if args.dir else None,
                progress=lambda n: progress.advance(task, n),
            )
        )
    table = Table(title="Tool call to durable transfer.decided row (SQLite audit log, fsync)")
    for col in ("iterations", "p50 ms", "p95 ms", "max ms", "target p95"):
        table.add_column(col)
    table.add_row(
        str(result["iterations"]), f"{result['p50_ms']:.3f}", f"{result['p95_ms']:.3f}",
        f"{result['max_ms']:.3f}", f"<= {GATE_TARGET_MS:.0f} ms",
    )
    out.print(table)
    _write_json(args.json, dict(result))
    return 0


def _eval_args(ev: argparse.ArgumentParser) -> None:
    ev.add_argument("--json", metavar="F", help="write {\"routing_accuracy\", ...} here")
    ev.add_argument("--fixtures", default=str(DEFAULT_FIXTURES), help="folder of fixture YAMLs")
    ev.add_argument("--config", default=str(DEFAULT_CONFIG), help="workspace YAML")
    ev.add_argument("--transcripts", help="JSON {scenario: [turn text, ...]} of recognized (tokenized) text")


def _bench_gate_args(bg: argparse.ArgumentParser) -> None:
    bg.add_argument("--json", metavar="F", help="write {\"p95_ms\", ...} here")
    bg.add_argument("--iterations", type=int, default=600, help="tool calls to time")
    bg.add_argument("--dir", help="folder for the temporary audit database (default: the system temp folder)")
    bg.add_argument("--config", default=str(DEFAULT_CONFIG), help="workspace YAML")


def eval_main(argv: list[str]) -> int:
    """``dialphone eval concierge``."""
    ap = argparse.ArgumentParser(prog="dialphone eval concierge", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                 description="routing accuracy of the embedded brain over the fixtures")
    _eval_args(ap)
    return _run(ap.parse_args(argv), "eval")


def bench_gate_main(argv: list[str]) -> int:
    """``dialphone bench gate``."""
    ap = argparse.ArgumentParser(prog="dialphone bench gate", formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                                 description="tool call to logged decision latency")
    _bench_gate_args(ap)
    return _run(ap.parse_args(argv), "bench-gate")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m concierge.cli", description="Concierge evaluation and benchmarks")
    sub = ap.add_subparsers(dest="command", required=True)
    _eval_args(sub.add_parser("eval", help="routing accuracy of the embedded brain over the fixtures",
                              formatter_class=argparse.ArgumentDefaultsHelpFormatter))
    _bench_gate_args(sub.add_parser("bench-gate", help="tool call to logged decision latency",
                                    formatter_class=argparse.ArgumentDefaultsHelpFormatter))
    args = ap.parse_args(argv)
    return _run(args, args.command)


def _run(args: argparse.Namespace, command: str) -> int:
    out = Console()
    try:
        if command == "eval":
            return _eval(args, out)
        return _bench(args, out)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
