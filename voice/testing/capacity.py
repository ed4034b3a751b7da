"""``dialphone bench capacity``: how many calls one server holds at voice-to-voice p95 <= 1 s.

    dialphone bench capacity --via ws|sip [--arrivals poisson|burst] [--start 16] [--max 96]
                             [--resolution 2] [--duration 60] [--seed 1] [--overload off|ivr|refuse]
                             [--set FIELD=VALUE ...] [--json F]

A point is N calls (``burst``: N at once; ``poisson``: about N up at once, arrivals at N / holding
time per second over a ``--duration`` window, see :mod:`voice.testing.load`), each caller with audio
of its own, against a fresh ``dialphone serve`` (admission control off unless ``--overload`` says
otherwise: the figure is what the pipeline holds, not what admission lets in). A point passes when
voice-to-voice p95 <= ``--p95-ms`` (1000), no turn that expects a reply went without one, no call was
dropped and every call got the AI; over SIP also no RTP gap over 40 ms. The search doubles from
``--start`` until a point fails, then bisects between the last pass and the first fail down to
``--resolution`` calls. The Poisson arrival rate of each point uses the mean holding time measured by
the point before (the first one uses ``--holding``). On a shared machine each point waits until the
machine is quiet (``--quiet-busy``) and is run again when other processes took more than
``--max-other-cores`` during it (``--retries``). Every point is one run with the same ``--seed``
(the same callers, in the same order, at the same relative times): one run per point, so a point
near the edge may pass or fail by chance; the table shows how close each was.

The JSON: ``{"via", "arrivals", "capacity_calls", "criteria", "points": [...]}``; each point holds the
whole summary of its run (:func:`voice.testing.load.summarize`) and ``pass``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

from voice.testing.concurrency import add_run_args, measure, overload_overrides, render, telephone_scenarios
from voice.testing.load import Arrivals, wait_quiet
from voice.testing.scenarios import Scenario

MAX_RTP_GAPS = 0


def passes(point: dict[str, Any], *, p95_ms: float) -> bool:
    """The capacity criteria: p95, every turn answered, nobody dropped or diverted, no RTP gap."""
    p95 = point.get("p95_ms")
    ok = isinstance(p95, (int, float)) and p95 == p95 and p95 <= p95_ms
    ok = ok and not point.get("no_reply") and not point.get("dropped")
    ok = ok and point.get("ai_calls") == point.get("calls") and bool(point.get("calls"))
    return bool(ok and point.get("rtp_gaps", 0) <= MAX_RTP_GAPS)


async def search(
    *, via: str, pattern: str, scenarios: list[Scenario], start: int, most: int, resolution: int, duration_s: float,
    holding_s: float, seed: int, p95_ms: float, overrides: dict[str, Any], echo: Any = None,
    quiet_busy: float = 1.0, max_other_cores: float | None = None, retries: int = 0,
) -> dict[str, Any]:
    """Double from ``start`` to the first failing point, then bisect; each point a fresh server.

    On a shared machine: before each point wait (up to 15 min) until the machine is less busy than
    ``quiet_busy``; a point during which other processes used more than ``max_other_cores`` is run
    again, up to ``retries`` times (the last run counts, and says how disturbed it was)."""
    points: list[dict[str, Any]] = []
    holding = holding_s

    async def point(n: int) -> bool:
        nonlocal holding
        arrivals = Arrivals(pattern=pattern, calls=n, holding_s=holding, duration_s=duration_s)
        for attempt in range(retries + 1):
            busy = await wait_quiet(max_busy=quiet_busy, within_s=900.0) if quiet_busy < 1.0 else None
            out = await measure(via=via, arrivals=arrivals, scenarios=scenarios, seed=seed, overrides=overrides)
            out["machine_busy_before"] = None if busy is None else round(busy, 2)
            out["attempt"] = attempt + 1
            others = (out.get("cpu") or {}).get("other_cores")
            if max_other_cores is None or others is None or others <= max_other_cores:
                break
            print(f"bench capacity: {n} calls: other processes took {others} cores meanwhile; "
                  f"{'running it again' if attempt < retries else 'keeping it'}", file=sys.stderr, flush=True)
        out["pass"] = passes(out, p95_ms=p95_ms)
        out["holding_s_assumed"] = round(holding, 1)
        points.append(out)
        if out.get("mean_holding_s"):
            holding = float(out["mean_holding_s"])
        if echo is not None:
            echo(out)
        return bool(out["pass"])

    good, bad = 0, 0
    n = max(1, start)
    while n <= most:
        if await point(n):
            good = n
            n *= 2
        else:
            bad = n
            break
    if bad == 0:
        bad = most + 1  # never failed up to the ceiling asked for
    while bad - good > resolution and bad <= most:
        mid = (good + bad) // 2
        if mid in (good, bad) or mid < 1:
            break
        if await point(mid):
            good = mid
        else:
            bad = mid
    return {
        "via": via,
        "arrivals": pattern,
        "capacity_calls": good,
        "first_failing_calls": bad if bad <= most else None,
        "criteria": {"p95_ms_at_most": p95_ms, "no_reply": 0, "dropped": 0, "all_ai": True,
                     "rtp_gaps_over_40ms": MAX_RTP_GAPS if via == "sip" else None},
        "seed": seed,
        "duration_s": duration_s if pattern == "poisson" else None,
        "points": sorted(points, key=lambda p: p["offered"]),
    }


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="dialphone bench capacity", description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--via", choices=["ws", "sip"], default="ws", help="how the callers reach each fresh server")
    p.add_argument("--start", type=int, default=16, help="first point (calls)")
    p.add_argument("--max", dest="most", type=int, default=96, help="largest point tried")
    p.add_argument("--resolution", type=int, default=2, help="stop bisecting when the interval is this narrow")
    p.add_argument("--p95-ms", type=float, default=1000.0, help="a point passes with voice-to-voice p95 under this")
    p.add_argument("--quiet-busy", type=float, default=0.25,
                   help="before each point, wait until the machine is less busy than this (0-1; 1: do not wait)")
    p.add_argument("--max-other-cores", type=float, default=0.3,
                   help="re-run a point during which other processes used more cores than this")
    p.add_argument("--retries", type=int, default=2, help="re-runs of a disturbed point")
    add_run_args(p)
    p.set_defaults(arrivals="poisson")
    args = p.parse_args(argv)
    console = _console()

    def echo(point: dict[str, Any]) -> None:
        cpu = point.get("cpu") or {}
        print(f"bench capacity: {point['offered']} calls: p95 {point['p95_ms']} ms, no reply {point['no_reply']}, "
              f"dropped {point['dropped']}, mean up {point['mean_concurrent']}, server {cpu.get('server_cores')} "
              f"cores, others {cpu.get('other_cores')} -> {'pass' if point['pass'] else 'FAIL'}",
              file=sys.stderr, flush=True)

    print(f"bench capacity: load average {' '.join(f'{v:.2f}' for v in os.getloadavg())} at start",
          file=sys.stderr, flush=True)
    out = asyncio.run(search(
        via=args.via, pattern=args.arrivals, scenarios=telephone_scenarios(args.files), start=args.start,
        most=args.most, resolution=args.resolution, duration_s=args.duration, holding_s=args.holding,
        seed=args.seed, p95_ms=args.p95_ms, overrides=overload_overrides(args.overload, args.settings), echo=echo,
        quiet_busy=args.quiet_busy, max_other_cores=args.max_other_cores, retries=args.retries,
    ))
    render(out["points"], f"Capacity via {args.via}, {args.arrivals} arrivals: {out['capacity_calls']} calls "
           f"(p95 <= {args.p95_ms:.0f} ms, no turn unanswered)", console)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


def _console() -> Console:
    console = Console()
    return console if console.is_terminal else Console(width=220)
