"""``dialphone bench approvals --database postgresql://...``: how long a supervisor's decision takes
to reach the waiting call's process. Two queues with their own connection pools and LISTEN
connections (as two server processes have) share one database; one submits and waits, the other
decides; the figure is from the start of the decision to the waiter's return."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

from voice.store.approvals import SqlApprovalQueue
from voice.store.db import open_engine


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(url: str, samples: int) -> dict[str, float | int | str]:
    a = SqlApprovalQueue(open_engine(url), poll_s=1.0)
    b = SqlApprovalQueue(open_engine(url), poll_s=1.0)
    await a.start()
    await b.start()
    lat: list[float] = []
    try:
        for i in range(samples):
            req = await a.submit(workspace_id="bench", call_id=f"bench-{i}", proposal_id="p", department="clinical",
                                 reason="bench", context=[])
            waiter = asyncio.create_task(a.wait(req.id, 10))
            await asyncio.sleep(0.01)
            t0 = time.perf_counter()
            await b.approve(req.id, supervisor="supervisor:bench")
            await waiter
            lat.append((time.perf_counter() - t0) * 1e3)
        await a.prune(retention_s=0)
    finally:
        await a.close()
        await b.close()
        a.engine.dispose()
        b.engine.dispose()
    return {"backend": a.engine.dialect.name, "samples": samples,
            "decision_to_waiter_p50_ms": round(statistics.median(lat), 2),
            "decision_to_waiter_p95_ms": round(_pct(lat, 0.95), 2), "decision_to_waiter_max_ms": round(max(lat), 2)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="dialphone bench approvals", description=__doc__, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--database", required=True, help="postgresql://... (or sqlite:///FILE: polls, no NOTIFY)")
    p.add_argument("--samples", type=int, default=200, help="approval decisions to time")
    p.add_argument("--json", dest="json_out", metavar="F", help="also write the figures as JSON to F")
    args = p.parse_args(argv)
    figures = asyncio.run(measure(args.database, args.samples))
    for k, v in figures.items():
        print(f"{k:28} {v}")
    ok = figures["decision_to_waiter_p95_ms"] <= 200  # type: ignore[operator]
    print(f"{'target p95 <= 200 ms':28} {'met' if ok else 'NOT met'}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
