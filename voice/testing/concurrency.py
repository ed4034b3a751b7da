"""``dialphone bench concurrency``: many calls at once, every caller different.

    dialphone bench concurrency --via ws|sip|inproc --calls N [--arrivals burst|poisson]
                                [--rate R] [--duration S] [--holding S] [--seed K]
                                [--server S [--secret X] [--server-pid P]] [--overload ivr|refuse|off]
                                [--set audio.asr.lanes=2 ...] [--json F] [FIXTURES ...]

Every call says its own variant of a telephone-band fixture scenario (:func:`voice.testing.load.variant`),
so no caller's audio repeats another's. ``burst`` starts the N calls at once; ``poisson`` keeps about
N up at once (``--rate`` calls per second, default N / holding time) over a ``--duration`` window.
Without ``--server``, a fresh ``dialphone serve`` is started for the run and stopped after it
(:class:`voice.testing.fresh_server.FreshServer`; ``--overload`` sets its admission control, off by
default so that the figures are the pipeline's own; ``--set`` changes any other workspace field of
that server, e.g. the ASR queue's ``audio.asr.max_batch``). The table: calls by outcome, voice-to-voice
p50/p95/max over the AI calls, turns without a reply, RTP gaps (SIP), ASR queue wait, CPU used (the
server's, this bench's, the machine's, and what other processes took meanwhile: ``other_cores``) and
the load average before and after the run. Exit status 1 when a
turn that expects a reply got none or a call was dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from concierge.config import load_workspace
from voice.pipeline.engines import Engines
from voice.testing.fresh_server import FreshServer
from voice.testing.load import Arrivals, arrival_plan, run_load, summarize
from voice.testing.remote_ws import SECRET_ENV, media_stream_secret
from voice.testing.scenarios import Scenario, expand, load_scenario

DEFAULT_FIXTURES = Path("fixtures/audio")


def telephone_scenarios(paths: list[Path]) -> list[Scenario]:
    """The 8 kHz fixture scenarios among ``paths`` (all of them when none is 8 kHz)."""
    files = expand(paths)
    picked = [p for p in files if p.stem.endswith("_8k")] or files
    return [load_scenario(p) for p in picked]


def overload_overrides(mode: str, settings: list[str] | None = None) -> dict[str, Any]:
    """Workspace overrides for ``--overload`` (``off``: admission disabled, ``ivr`` or ``refuse``;
    ``as-configured`` leaves the workspace's section as it is) and
    ``--set dotted.field=value`` (the value read as YAML: ``2``, ``true``, ``shortest_first``)."""
    out: dict[str, Any] = {}
    if mode == "off":
        out["overload"] = {"enabled": False}
    elif mode in ("ivr", "refuse"):
        out["overload"] = {"enabled": True, "action": mode}
    for item in settings or []:
        path, sep, raw = item.partition("=")
        if not sep or not path:
            raise SystemExit(f"--set {item!r}: expected dotted.field=value")
        *parents, leaf = path.split(".")
        node = out
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = yaml.safe_load(raw)
    return out


async def measure(
    *, via: str, arrivals: Arrivals, scenarios: list[Scenario], seed: int, server: str = "",
    secret: str | None = None, server_pid: int | None = None, overrides: dict[str, Any] | None = None,
    config: str = "examples/workspace.yaml", server_repo: Path | None = None,
) -> dict[str, Any]:
    """One run: against ``server`` when given, else a fresh server (or in process for ``inproc``)."""
    plan = arrival_plan(scenarios, arrivals, seed=seed)
    load = os.getloadavg()
    if via == "inproc":
        engines = Engines.load(load_workspace(config), Path("var"))
        await engines.start()
        try:
            run = await run_load(plan, via=via, arrivals=arrivals, engines=engines, server_pid=os.getpid())
        finally:
            await engines.close()
    elif server:
        run = await run_load(plan, via=via, arrivals=arrivals, server=server, secret=secret, server_pid=server_pid)
    else:
        fresh_server = FreshServer(overrides=overrides) if server_repo is None else FreshServer(
            overrides=overrides, repo=server_repo)
        async with fresh_server as fresh:
            run = await run_load(plan, via=via, arrivals=arrivals, server=fresh.server_for(via), secret=fresh.secret,
                                 server_pid=fresh.pid)
    out = summarize(run)
    out["seed"] = seed
    out["server_overrides"] = overrides if not server and via != "inproc" else None
    out["load_average_before"] = [round(v, 2) for v in load]
    out["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    return out


def render(rows: list[dict[str, Any]], title: str, console: Console) -> None:
    """One line per run: the figures the capacity and overload targets are judged on."""
    table = Table(title=title)
    cols = ("calls", "pass", "ai/ivr/refused/dropped", "mean/peak up", "p50", "p95", "max", "no reply",
            "rtp gaps", "asr queue p95", "batch", "server cores", "others' cores", "load before/after")
    for col in cols:
        table.add_column(col)
    for r in rows:
        cpu = r.get("cpu") or {}
        table.add_row(
            str(r.get("offered")), {True: "yes", False: "NO", None: "-"}[r.get("pass")],
            f"{r.get('ai_calls')}/{r.get('outcomes', {}).get('ivr', 0)}/{r.get('refused')}/{r.get('dropped')}",
            f"{r.get('mean_concurrent')}/{r.get('peak_concurrent')}",
            f"{r.get('p50_ms')}", f"{r.get('p95_ms')}", f"{r.get('max_ms')}",
            f"{r.get('no_reply')}/{r.get('expected_replies')}",
            "-" if "rtp_gaps" not in r else f"{r['rtp_gaps']} (max {r.get('max_rtp_gap_ms')} ms)",
            f"{r.get('asr_queue_p95_ms')}", f"{r.get('asr_mean_batch')}",
            f"{cpu.get('server_cores', '-')}", f"{cpu.get('other_cores', '-')}",
            f"{(r.get('load_average_before') or ['-'])[0]} / {(r.get('load_average_after') or ['-'])[0]}",
        )
    console.print(table)


def add_run_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("files", nargs="*", type=Path, default=[DEFAULT_FIXTURES],
                   help="fixture YAMLs or folders; each call says a variant of one of their telephone-band turns")
    p.add_argument("--arrivals", choices=["burst", "poisson"], default="burst",
                   help="burst: every call at once; poisson: arrivals at calls / holding time")
    p.add_argument("--duration", type=float, default=60.0, help="poisson: measured window, seconds")
    p.add_argument("--holding", type=float, default=16.0, help="poisson: mean call holding time, seconds")
    p.add_argument("--seed", type=int, default=1, help="seed of the arrivals and the audio variants")
    p.add_argument("--overload", choices=["off", "ivr", "refuse", "as-configured"], default="off",
                   help="admission control of the fresh server (off: the pipeline's own figures)")
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="FIELD=VALUE",
                   help="a workspace field of the fresh server, e.g. audio.asr.max_batch=2 (repeatable)")
    p.add_argument("--config", default="examples/workspace.yaml", help="workspace YAML of the fresh server")
    p.add_argument("--json", dest="json_out", metavar="F", help="also write the results as JSON to F")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="dialphone bench concurrency", description=__doc__.splitlines()[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--via", choices=["inproc", "ws", "sip"], default="ws",
                   help="inproc: calls in this process; ws, sip: calls to --server, else to a fresh server")
    p.add_argument("--calls", type=int, default=8, help="burst: calls at once; poisson: calls up at once")
    p.add_argument("--rate", type=float, help="poisson: arrivals per second (default: calls / holding)")
    p.add_argument("--server", default="", help="a running server (HOST:PORT for sip, ws:// URL for ws); "
                                                "none: a fresh dialphone serve for the run")
    p.add_argument("--secret", help="its media-stream secret (default: $DIALPHONE_SECURITY__MEDIA_STREAM_SECRET, "
                                    "else the --config workspace's security.media_stream_secret)")
    p.add_argument("--server-pid", type=int, help="its process id, to report its CPU use")
    p.add_argument("--server-repo", type=Path, help="the fresh server runs this checkout's code (before/after)")
    add_run_args(p)
    args = p.parse_args(argv)
    if args.server and args.via == "ws":  # signed as the server checks: --secret, the environment, --config
        args.secret = args.secret or media_stream_secret(args.config)
        if not args.secret:
            print(f"{p.prog}: no media-stream secret for {args.server}: pass --secret, --config with the "
                  f"server's workspace, or set {SECRET_ENV}", file=sys.stderr)
            return 2
    arrivals = Arrivals(pattern=args.arrivals, calls=args.calls, holding_s=args.holding, duration_s=args.duration,
                        rate_per_s=args.rate)
    out = asyncio.run(measure(
        via=args.via, arrivals=arrivals, scenarios=telephone_scenarios(args.files), seed=args.seed,
        server=args.server, secret=args.secret, server_pid=args.server_pid,
        overrides=overload_overrides(args.overload, args.settings), config=args.config, server_repo=args.server_repo,
    ))
    out["pass"] = None
    render([out], f"{args.calls} calls via {args.via}, {args.arrivals} arrivals (distinct audio per call)",
           _console())
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    failed = []
    if out["no_reply"]:
        failed.append(f"{out['no_reply']} turn(s) that expect a reply got none: {', '.join(out['no_reply_turns'])}")
    if out["dropped"]:
        failed.append(f"{out['dropped']} call(s) dropped ({', '.join(out['dropped_detail'])})")
    for line in failed:
        print(f"bench: FAILED: {line}", file=sys.stderr)
    return 1 if failed else 0


def _console() -> Console:
    console = Console()
    return console if console.is_terminal else Console(width=220)
