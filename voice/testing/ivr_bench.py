"""``dialphone bench ivr``: the IVR's service level while AI calls load the machine.

    dialphone bench ivr [--ivr-calls 20] [--ai-calls 4] [--rate 8000] [--json OUT]

``--ai-calls`` concurrent AI calls replay the fixture scenarios in a loop (ASR, redaction, brain,
TTS all busy) while opted-out callers (their numbers on the opt-out list) call one after another.
Each IVR call is measured at the caller's side: greeting = answer to the first audible frame,
route = last digit to the transfer reaching the transport. Targets: greeting p95 <= 300 ms,
route p95 <= 100 ms. ``--json`` writes ``{"greeting_p95_ms", "route_p95_ms", ...}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from concierge.audit_sink import MemoryAuditSink
from concierge.config import load_workspace
from voice.ivr import prerender
from voice.ivr.optout import number_digest
from voice.pipeline.engines import Engines
from voice.testing.ivr_harness import drive_call
from voice.testing.scenarios import expand, load_scenario

GREETING_TARGET_MS = 300.0
ROUTE_TARGET_MS = 100.0
BENCH_CALLER = "+1 212 555 0199"  # fictional NANP range


class MemoryOptOuts:
    """An in-memory opt-out list (the bench's opted-out callers)."""

    def __init__(self) -> None:
        self.digests: set[tuple[str, str]] = set()

    def contains(self, workspace_id: str, digest: str) -> bool:
        return (workspace_id, digest) in self.digests

    def remember(self, workspace_id: str, number: str, *, source: str, actor: str) -> None:
        self.digests.add((workspace_id, number_digest(workspace_id, number)))


@dataclass
class BenchResult:
    greeting_ms: list[float] = field(default_factory=list)
    route_ms: list[float] = field(default_factory=list)
    ai_calls_started: int = 0
    ai_calls_done: int = 0
    ivr_ai_invocations: int = 0
    failures: int = 0
    ai_errors: list[str] = field(default_factory=list)
    ai_busy_at_start: bool = False


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


async def run_bench(
    engines: Any,
    *,
    ivr_calls: int,
    ai_calls: int,
    rate: int,
    fixtures: list[Path],
    progress: Progress | None = None,
    warmup_s: float = 30.0,
    ai_fast: bool = False,
) -> BenchResult:
    """Run ``ivr_calls`` IVR calls while ``ai_calls`` AI calls loop over ``fixtures``.

    ``ai_fast`` streams the AI callers' speech as fast as possible (more load per second)."""
    ws = engines.workspace
    optouts = MemoryOptOuts()
    optouts.remember(ws.id, BENCH_CALLER, source="bench", actor="bench")
    digit = ws.ivr.options[0].digit if ws.ivr.options else "1"
    result = BenchResult()
    stop = asyncio.Event()
    scenarios = [load_scenario(p, rate=rate) for p in fixtures]

    ai_sessions: list[Any] = []

    async def ai_loop(i: int) -> None:
        n = i
        while not stop.is_set() and scenarios:
            result.ai_calls_started += 1
            sc = scenarios[n % len(scenarios)]
            try:
                await drive_call(
                    engines, rate=rate, speech=[t.pcm16 for t in sc.turns], fast=ai_fast, linger_s=3.0,
                    on_session=ai_sessions.append,
                )
            except Exception as exc:  # an AI call that fails is reported, the bench goes on
                result.ai_errors.append(type(exc).__name__)
                return
            result.ai_calls_done += 1
            n += ai_calls

    def ai_busy() -> bool:
        return any(s.turns.asr_invocations for s in ai_sessions)

    loops = [asyncio.create_task(ai_loop(i), name=f"bench-ai-{i}") for i in range(ai_calls)]
    task = progress.add_task("IVR calls", total=ivr_calls) if progress is not None else None
    try:
        deadline = time.monotonic() + warmup_s
        while ai_calls and not ai_busy() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)  # until the AI calls are transcribing (or warmup_s passed)
        result.ai_busy_at_start = ai_busy()
        for _ in range(ivr_calls):
            r = await drive_call(
                engines, rate=rate, caller=BENCH_CALLER, digits=digit, before_digits_s=0.4, optouts=optouts
            )
            result.ivr_ai_invocations += r.asr_invocations + r.ner_invocations + r.brain_turns
            if r.greeting_ms is None or r.route_ms is None:
                result.failures += 1
            if r.greeting_ms is not None:
                result.greeting_ms.append(r.greeting_ms)
            if r.route_ms is not None:
                result.route_ms.append(r.route_ms)
            if progress is not None and task is not None:
                progress.advance(task)
    finally:
        stop.set()
        for t in loops:  # the load is no longer needed: hang those calls up
            t.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
    return result


def summary(result: BenchResult, *, ivr_calls: int, ai_calls: int) -> dict[str, Any]:
    return {
        "greeting_p95_ms": round(percentile(result.greeting_ms, 0.95), 1),
        "route_p95_ms": round(percentile(result.route_ms, 0.95), 1),
        "greeting_p50_ms": round(percentile(result.greeting_ms, 0.5), 1),
        "route_p50_ms": round(percentile(result.route_ms, 0.5), 1),
        "ivr_calls": ivr_calls,
        "ai_calls_concurrent": ai_calls,
        "ai_calls_started": result.ai_calls_started,
        "ai_calls_completed": result.ai_calls_done,
        "ivr_ai_invocations": result.ivr_ai_invocations,
        "failures": result.failures,
        "ai_errors": result.ai_errors,
        "ai_transcribing_at_start": result.ai_busy_at_start,
        "targets": {"greeting_p95_ms": GREETING_TARGET_MS, "route_p95_ms": ROUTE_TARGET_MS},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dialphone bench ivr", description=__doc__.split("\n")[0] if __doc__ else None,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--config", default="examples/workspace.yaml", help="workspace YAML")
    p.add_argument("--ivr-calls", type=int, default=20, help="callers who use the DTMF menu")
    p.add_argument("--ai-calls", type=int, default=4, help="AI calls that load the machine meanwhile")
    p.add_argument("--rate", type=int, choices=[8000, 16000], default=8000, help="sample rate of the calls (Hz)")
    p.add_argument("--fixtures", type=Path, default=Path("fixtures/audio"), help="what the AI callers say")
    p.add_argument("--ai-fast", action="store_true", help="AI callers speak faster than real time")
    p.add_argument("--json", dest="json_out", metavar="F", help="also write the figures as JSON to F")
    args = p.parse_args(argv)

    async def run() -> dict[str, Any]:
        engines = Engines.load(load_workspace(args.config), Path("var"), audit_db=Path("var/bench-ivr-audit.db"))
        await engines.start()
        prerender(engines.workspace, engines.prompts)
        engines.audit = MemoryAuditSink()  # the bench measures service level, not the audit store
        fixtures = [f for f in expand([args.fixtures]) if f.name.endswith(f"_{args.rate // 1000}k.yaml")]
        try:
            with Progress(console=Console(stderr=True), transient=True) as progress:
                res = await run_bench(
                    engines, ivr_calls=args.ivr_calls, ai_calls=args.ai_calls, rate=args.rate,
                    fixtures=fixtures, progress=progress, ai_fast=args.ai_fast,
                )
        finally:
            await engines.close()
        return summary(res, ivr_calls=args.ivr_calls, ai_calls=args.ai_calls)

    out = asyncio.run(run())
    table = Table(title=f"IVR service level: {out['ivr_calls']} IVR calls, {out['ai_calls_concurrent']} concurrent AI calls")
    for col in ("measure", "p50 ms", "p95 ms", "target p95 ms"):
        table.add_column(col)
    table.add_row("greeting after answer", str(out["greeting_p50_ms"]), str(out["greeting_p95_ms"]), f"{GREETING_TARGET_MS:.0f}")
    table.add_row("transfer after last digit", str(out["route_p50_ms"]), str(out["route_p95_ms"]), f"{ROUTE_TARGET_MS:.0f}")
    Console().print(table)
    Console().print(
        f"AI calls started meanwhile: {out['ai_calls_started']}; AI invocations on IVR calls: "
        f"{out['ivr_ai_invocations']}; failed IVR calls: {out['failures']}"
    )
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    ok = out["greeting_p95_ms"] <= GREETING_TARGET_MS and out["route_p95_ms"] <= ROUTE_TARGET_MS and not out["failures"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
