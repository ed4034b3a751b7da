"""``dialphone bench races``: every race of :mod:`voice.testing.races`, many times, and its violations.

    dialphone bench races [--runs 200] [--concurrency 8] [--no-pipeline] [--json F] [--config FILE]

The races that need no models run one after another; the two that need a whole pipeline (the lone 0
against a transfer) load the engines once and run ``--concurrency`` calls at a time. A race whose
setup did not happen (the brain never proposed the transfer) is counted apart as ``not_reached``.
The benchmark fails (exit 1) unless every race ran ``--runs`` times with 0 violations and none was
left unreached.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from concierge.config import load_workspace
from voice.testing.races import RACES, ZERO_KEY_RACES, RaceOutcome, zero_key_race


def _summary(name: str, outcomes: list[RaceOutcome]) -> dict[str, Any]:
    kinds: Counter[str] = Counter(v for o in outcomes for v in o.violations if v != "race_not_reached")
    seconds = sorted(o.seconds for o in outcomes)
    return {
        "race": name,
        "runs": len(outcomes),
        "violations": sum(1 for o in outcomes if any(v != "race_not_reached" for v in o.violations)),
        "kinds": dict(kinds),
        "not_reached": sum(1 for o in outcomes if "race_not_reached" in o.violations),
        "outcomes": dict(Counter(",".join(a for a, _ in o.actions) or "nothing" for o in outcomes)),
        "p50_s": round(seconds[len(seconds) // 2], 3) if seconds else None,
    }


async def _pipeline_runs(engines: Any, name: str, runs: int, concurrency: int) -> list[RaceOutcome]:
    outcomes: list[RaceOutcome] = []
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            outcomes.append(await zero_key_race(engines, name))

    await asyncio.gather(*(one() for _ in range(runs)))
    return outcomes


async def run_races(*, runs: int, concurrency: int, pipeline: bool, config: str) -> dict[str, Any]:
    workspace = load_workspace(config, env={})
    rows: list[dict[str, Any]] = []
    t0 = time.monotonic()
    for name, race in RACES.items():
        rows.append(_summary(name, [await race(workspace) for _ in range(runs)]))
    if pipeline:
        from voice.pipeline.engines import Engines

        engines = Engines.load(workspace, Path(tempfile.mkdtemp(prefix="dialphone-races-")))
        await engines.start()
        try:
            for name in ZERO_KEY_RACES:
                rows.append(_summary(name, await _pipeline_runs(engines, name, runs, concurrency)))
        finally:
            await engines.close()
    return {
        "runs_each": runs,
        "races": rows,
        "violations": sum(r["violations"] for r in rows),
        "not_reached": sum(r["not_reached"] for r in rows),
        "seconds": round(time.monotonic() - t0, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dialphone bench races", description=__doc__.split("\n")[0] if __doc__ else None,
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--runs", type=int, default=200, help="runs of each race")
    p.add_argument("--concurrency", type=int, default=8, help="pipeline races at once")
    p.add_argument("--no-pipeline", action="store_true", help="skip the races that need the models")
    p.add_argument("--config", default="examples/workspace.yaml", help="workspace YAML")
    p.add_argument("--json", dest="json_out", metavar="F", help="also write the figures as JSON to F")
    args = p.parse_args(argv)
    out = asyncio.run(run_races(runs=args.runs, concurrency=args.concurrency, pipeline=not args.no_pipeline,
                                config=args.config))
    table = Table(title=f"Races of one call's authority, {args.runs} runs each ({out['seconds']} s)")
    for col in ("race", "runs", "violations", "not reached", "outcomes", "p50 s"):
        table.add_column(col)
    for r in out["races"]:
        table.add_row(r["race"], str(r["runs"]), str(r["violations"]) + (f" {r['kinds']}" if r["kinds"] else ""),
                      str(r["not_reached"]), ", ".join(f"{k}: {v}" for k, v in r["outcomes"].items()), str(r["p50_s"]))
    Console(width=200).print(table)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    if out["violations"] or out["not_reached"] or any(r["runs"] != args.runs for r in out["races"]):
        print(f"bench races: FAILED: {out['violations']} violation(s), {out['not_reached']} unreached",
              file=sys.stderr)
        return 1
    return 0
