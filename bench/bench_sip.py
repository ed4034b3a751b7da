"""INVITE to 200 OK latency on loopback, over UDP and TCP, and (optionally) voice-to-voice over SIP.

Each call is placed by :class:`voice.testing.sip_uac.SipUac` (on its own event loop in a thread) against a real :class:`voice.telephony.listener.SipServer`
(engines loaded once, pipelines built for every call), timed from the INVITE leaving the caller
to its 200 OK arriving, then hung up. Target: p95 <= 50 ms.

    python bench/bench_sip.py                        # 40 calls per transport, in-process server
    python bench/bench_sip.py --calls 100 --json out.json
    python bench/bench_sip.py --server 127.0.0.1:5060 --transports udp
    python bench/bench_sip.py --v2v fixtures/audio/billing_8k.yaml fixtures/audio/sales_8k.yaml
        # also: voice-to-voice p50 over SIP vs in-process on the same scenarios (target: within 40 ms)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from tqdm import tqdm

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from voice.testing.sip_replay import parse_server  # noqa: E402
from voice.testing.sip_uac import SipUac  # noqa: E402


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


async def setup_times(server: tuple[str, int], transport: str, calls: int, gap_s: float) -> list[float]:
    out: list[float] = []
    for _ in tqdm(range(calls), desc=f"INVITE->200 {transport}", file=sys.stderr, leave=False):
        uac = await SipUac.open(server, transport=transport)
        try:
            status = await uac.invite()
            if status == 200 and uac.setup_ms is not None:
                out.append(uac.setup_ms)
            else:
                print(f"call refused: {status}", file=sys.stderr)
            await uac.bye()
        finally:
            await uac.close()
        await asyncio.sleep(gap_s)
    return out


async def v2v(server: str, engines: Any, paths: list[Path], rounds: int) -> dict[str, float]:
    """Each scenario over SIP and in-process, alternating, ``rounds`` times (load drifts cancel out)."""
    from voice.testing.replay import CallResult, latency_summary, replay_inproc
    from voice.testing.scenarios import load_scenario
    from voice.testing.sip_replay import replay_sip

    scenarios = [load_scenario(p, rate=8000) for p in paths]
    sip: list[CallResult] = []
    local: list[CallResult] = []
    for _ in tqdm(range(rounds), desc="v2v rounds", file=sys.stderr, leave=False):
        for s in scenarios:
            sip.append(await replay_sip(server, s))
            local.append(await replay_inproc(engines, s))
    a, b = latency_summary(sip), latency_summary(local)
    return {"sip_p50_ms": a["p50_ms"], "inproc_p50_ms": b["p50_ms"], "sip_turns": a["turns"], "inproc_turns": b["turns"],
            "sip_p95_ms": a["p95_ms"], "inproc_p95_ms": b["p95_ms"]}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    server_obj = engines = None
    if args.server:
        server = parse_server(args.server)
    else:
        from concierge.config import load_workspace
        from voice.pipeline.engines import Engines
        from voice.server.process import ServerProcess
        from voice.telephony.listener import SipServer

        ws = load_workspace(REPO / "examples" / "workspace.yaml", env={})
        ws.sip.invite_rate_per_s = 1000.0  # measure set-up, not the flood limiter
        state = ServerProcess(workspace=ws, data_dir=Path(args.data_dir))
        engines = state.engines = Engines.load(ws, Path(args.data_dir))
        await engines.start()
        # our leg stays up after a transfer, as in-process calls do, so the same turns are measured
        server_obj = SipServer(state=state, host="127.0.0.1", port=0, bye_after_transfer_s=30.0)
        await server_obj.start()
        server = ("127.0.0.1", server_obj.port)
    out: dict[str, Any] = {}
    try:
        for transport in args.transports:
            # the caller runs on its own event loop (a thread): the server's loop is what is measured
            times = await asyncio.to_thread(asyncio.run, setup_times(server, transport, args.calls, args.gap_s))
            out[transport] = {"calls": len(times), "p50_ms": round(pct(times, 0.5), 2),
                              "p95_ms": round(pct(times, 0.95), 2), "max_ms": round(max(times, default=float("nan")), 2)}
        if args.v2v and engines is not None:
            out["v2v"] = await v2v(f"{server[0]}:{server[1]}", engines, args.v2v, args.rounds)
    finally:
        if server_obj is not None:
            await server_obj.stop(deadline_s=3)
        if engines is not None:
            await engines.close()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    p.add_argument("--calls", type=int, default=40)
    p.add_argument("--server", help="HOST:PORT of a running server (default: start one in-process)")
    p.add_argument("--transports", nargs="+", choices=["udp", "tcp"], default=["udp", "tcp"])
    p.add_argument("--gap-s", type=float, default=0.05, help="pause between calls")
    p.add_argument("--v2v", nargs="*", type=Path, help="scenarios for the voice-to-voice comparison")
    p.add_argument("--rounds", type=int, default=2, help="v2v: runs of each scenario per path")
    p.add_argument("--data-dir", default="var/bench-sip")
    p.add_argument("--json", dest="json_out")
    args = p.parse_args(argv)
    Path(args.data_dir).mkdir(parents=True, exist_ok=True)
    out = asyncio.run(run(args))
    table = Table(title="SIP on loopback: INVITE -> 200 OK (target p95 <= 50 ms)")
    for col in ("transport", "calls", "p50 ms", "p95 ms", "max ms"):
        table.add_column(col)
    for transport in args.transports:
        r = out[transport]
        table.add_row(transport, str(r["calls"]), f"{r['p50_ms']:.1f}", f"{r['p95_ms']:.1f}", f"{r['max_ms']:.1f}")
    console = Console()
    console.print(table)
    if "v2v" in out:
        v = out["v2v"]
        t2 = Table(title="Voice-to-voice p50 (target: SIP within 40 ms of in-process)")
        for col in ("path", "turns", "p50 ms", "p95 ms"):
            t2.add_column(col)
        t2.add_row("in-process", str(v["inproc_turns"]), f"{v['inproc_p50_ms']}", f"{v['inproc_p95_ms']}")
        t2.add_row("SIP/RTP", str(v["sip_turns"]), f"{v['sip_p50_ms']}", f"{v['sip_p95_ms']}")
        console.print(t2)
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
