"""``dialphone eval audit-coverage``: is every AI action on the record, whatever the transport and brain?

    dialphone eval audit-coverage [--json F] [--quick] [--transports inproc,ws,sip,webrtc]
                                  [--brains embedded,claude,claude_failing] [--only GLOB] [--concurrency N]

Every fixture (``fixtures/audio``, or ``--quick``: one rate per scenario) is replayed as one call
through every transport (in process, a Twilio media stream, SIP with RTP, WebRTC) of one in-process
server (:mod:`voice.testing.coverage_server`), once with the embedded brain and once with Claude
behind the local Messages API stand-in; then a few calls with a Claude that fails every request.
The fixtures bring barge-in, opt-out mid-call ("agent", "no AI") and the approval-gated departments;
a stand-in supervisor approves, rejects and lets time out the approval requests in turn. What
happened is counted where it happened (:mod:`voice.testing.coverage_tap`, the far sides, the
approval queue); what was logged is read from the audit log; :mod:`voice.testing.coverage_score`
compares them. Writes ``{"ai_actions", "logged", "with_model_version",
"with_approver_where_required", "orphans", ...}``; fails (exit 1) unless every AI action is logged,
every turn and proposal carries the model id, every approval its approver, nothing is orphaned, and
no transfer ran after an opt-out or without the decision it needed.
"""

from __future__ import annotations

import argparse
import asyncio
import fnmatch
import json
import logging
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from concierge.approvals import ApprovalStatus
from concierge.config import load_workspace
from voice.testing.coverage_score import Coverage, PassTruth, score
from voice.testing.coverage_server import CoverageServer
from voice.testing.coverage_tap import ActionTap
from voice.testing.remote_webrtc import replay_webrtc
from voice.testing.remote_ws import replay_ws
from voice.testing.replay import replay_inproc
from voice.testing.results import CallResult
from voice.testing.scenarios import Scenario, expand, load_scenario
from voice.testing.sip_replay import replay_sip

TRANSPORTS = ("inproc", "ws", "sip", "webrtc")
BRAINS = ("embedded", "claude", "claude_failing")
FAILING_FIXTURES = ("billing", "human_request")  # the calls run with a failing model (per transport)
SUPERVISOR = ("approve", "reject", "timeout")
log = logging.getLogger("dialphone.eval.coverage")


def pick_fixtures(folder: Path, *, quick: bool, only: str | None) -> list[Path]:
    paths = expand([folder])
    if only:
        globs = [g for g in only.split(",") if g]
        paths = [p for p in paths if any(fnmatch.fnmatch(p.stem, g) for g in globs)]
    if quick:  # one rendering per scenario: the telephone band
        paths = [p for p in paths if p.stem.endswith("_8k")] or paths
    return paths


class Supervisor:
    """Decides every approval request in turn: approve, reject, let it time out."""

    def __init__(self, server: CoverageServer) -> None:
        self.server = server
        self.seen: set[str] = set()
        self.decided: dict[str, str] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="coverage-supervisor")

    async def _run(self) -> None:
        assert self.server.engines is not None
        queue = self.server.engines.approvals
        while True:
            await asyncio.sleep(0.1)
            for req in await queue.pending(self.server.workspace.id):
                if req.id in self.seen:
                    continue
                action = SUPERVISOR[len(self.seen) % len(SUPERVISOR)]
                self.seen.add(req.id)
                self.decided[req.id] = action
                try:
                    if action == "approve":
                        await queue.approve(req.id, supervisor="supervisor:eval")
                    elif action == "reject":
                        await queue.reject(req.id, supervisor="supervisor:eval")
                except Exception:  # withdrawn meanwhile (the call ended)
                    pass

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


def _far_transfers(transport: str, result: CallResult) -> int:
    """Transfers the far side saw for one call (the Twilio stand-in is counted per pass)."""
    return 0 if transport == "ws" else len(result.transfers)


async def run_pass(server: CoverageServer, brain: str, transport: str, scenarios: list[Scenario], *,
                   concurrency: int, progress: Callable[[str], None]) -> PassTruth:
    assert server.engines is not None
    server.use_brain(brain)
    truth = PassTruth(f"{brain}/{transport}")
    before_requests, before_updates = len(server.messages.requests), len(server.twilio.requests)
    started = _started_calls(server)
    gate = asyncio.Semaphore(concurrency)
    runners: dict[str, Callable[[Scenario], Awaitable[CallResult]]] = {
        "inproc": lambda s: replay_inproc(server.engines, s),
        "ws": lambda s: replay_ws(server.ws, s, secret=server.workspace.security.media_stream_secret,
                                  auth_token=server.twilio.auth_token, caller="+12025550143"),
        "sip": lambda s: replay_sip(server.sip_address, s),
        "webrtc": lambda s: replay_webrtc(server.http, s),
    }

    async def one(scenario: Scenario) -> None:
        async with gate:
            try:
                result = await asyncio.wait_for(runners[transport](scenario), timeout=120)
            except Exception as exc:  # a call that could not be placed is counted, the pass goes on
                truth.call_errors += 1
                log.warning("%s %s: call failed (%s)", truth.name, scenario.name, type(exc).__name__)
                return
            truth.far_transfers += _far_transfers(transport, result)
            progress(f"{truth.name} {scenario.name}")

    await asyncio.gather(*(one(s) for s in scenarios))
    await asyncio.sleep(1.0)  # the last calls' ends reach the log
    await server.engines.audit.flush()
    truth.call_ids = _started_calls(server) - started
    truth.model_requests = len(server.messages.requests) - before_requests
    if transport == "ws":
        truth.far_transfers = sum(1 for r in server.twilio.requests[before_updates:] if r.status == 200)
    return truth


def _rows(server: CoverageServer) -> list[dict[str, Any]]:
    assert server.engines is not None
    store = server.engines.audit_log._store
    return [r.to_dict() for r in store.rows(server.workspace.id)]


def _started_calls(server: CoverageServer) -> set[str]:
    return {str(r["call_id"]) for r in _rows(server) if r["type"] == "call.started"}


def _approvals(server: CoverageServer) -> dict[str, str]:
    """proposal id -> who decided it, for every request the queue received (decided or withdrawn)."""
    assert server.engines is not None
    queue = server.engines.approvals
    return {r.proposal_id: str(r.decided_by) for r in getattr(queue, "_requests", {}).values()
            if r.status is not ApprovalStatus.PENDING and r.decided_by}


async def evaluate(*, fixtures: list[Path], transports: list[str], brains: list[str], concurrency: int,
                   data_dir: Path, config: str, progress: Callable[[str], None]) -> tuple[Coverage, dict[str, Any]]:
    server = CoverageServer(load_workspace(config, env={}), data_dir)
    await server.start()
    tap = ActionTap()
    supervisor = Supervisor(server)
    passes: list[PassTruth] = []
    t0 = time.monotonic()
    try:
        with tap.installed():
            supervisor.start()
            for brain in brains:
                chosen = fixtures if brain != "claude_failing" else [
                    p for p in fixtures if any(p.stem.startswith(f) for f in FAILING_FIXTURES)]
                for transport in transports:
                    scenarios = [load_scenario(p) for p in chosen]
                    passes.append(await run_pass(server, brain, transport, scenarios, concurrency=concurrency,
                                                 progress=progress))
            await supervisor.stop()
            await asyncio.sleep(2.0)  # approval waits still open end with their calls
        assert server.engines is not None
        await server.engines.audit.flush()
        rows = _rows(server)
        cov = score(rows, tap.counts, passes, _approvals(server))
        info = {"seconds": round(time.monotonic() - t0, 1), "rows": len(rows), "transports": transports,
                "brains": brains, "fixtures": [p.stem for p in fixtures],
                "supervisor": dict(sorted({a: sum(1 for v in supervisor.decided.values() if v == a)
                                           for a in SUPERVISOR}.items())),
                "model_requests": len(server.messages.requests), "twilio_updates": len(server.twilio.requests)}
        return cov, info
    finally:
        await supervisor.stop()
        await server.stop()


def failures(cov: Coverage) -> list[str]:
    bad = []
    if cov.logged != cov.ai_actions:
        bad.append(f"{cov.ai_actions - cov.logged} AI action(s) not logged")
    if cov.with_model_version != cov.model_version_of:
        bad.append(f"{cov.model_version_of - cov.with_model_version} turn(s)/proposal(s) without the model id")
    if cov.with_approver_where_required != cov.approver_required:
        bad.append("approval decision(s) without their approver")
    if cov.orphans:
        bad.append(f"{cov.orphans} orphan row(s)")
    if cov.transfers_after_optout or cov.transfers_without_required_decision:
        bad.append("transfer(s) after an opt-out or without the required decision")
    return bad


def render(cov: Coverage, info: dict[str, Any], console: Console) -> None:
    d = cov.as_dict()
    t = Table(title=f"Audit coverage: {cov.calls} calls, {info['rows']} rows, {info['seconds']} s")
    for col in ("figure", "value"):
        t.add_column(col)
    for key in ("ai_actions", "logged", "logged_pct", "with_model_version", "with_model_version_of",
                "with_approver_where_required", "approver_required", "orphans", "transfers_after_optout",
                "transfers_without_required_decision"):
        t.add_row(key, str(d[key]))
    console.print(t)
    k = Table(title="By kind of action")
    for col in ("kind", "happened", "logged"):
        k.add_column(col)
    for kind, v in d["by_kind"].items():
        k.add_row(kind, str(v["happened"]), str(v["logged"]))
    console.print(k)
    p = Table(title="By pass (brain/transport)")
    for col in ("pass", "calls", "errors", "ai actions", "logged", "far-side transfers", "executed", "model requests"):
        p.add_column(col)
    for name, v in d["by_pass"].items():
        p.add_row(name, str(v["calls"]), str(v["call_errors"]), str(v["ai_actions"]), str(v["logged"]),
                  str(v["far_transfers"]), str(v["transfers_executed"]), str(v["model_requests"]))
    console.print(p)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="dialphone eval audit-coverage",
                                 description=__doc__.split("\n")[0] if __doc__ else None,
                                 formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    ap.add_argument("--json", dest="json_out", metavar="F", help="also write the figures as JSON to F")
    ap.add_argument("--quick", action="store_true", help="one rendering (8 kHz) of each scenario")
    ap.add_argument("--transports", default=",".join(TRANSPORTS), help="comma-separated transports to run")
    ap.add_argument("--brains", default=",".join(BRAINS), help="comma-separated brains to run")
    ap.add_argument("--only", help="fixture names matching these globs (e.g. 'clinical*,fraud*')")
    ap.add_argument("--fixtures", type=Path, default=Path("fixtures/audio"), help="folder of fixture YAMLs")
    ap.add_argument("--concurrency", type=int, default=2, help="calls at once within a pass")
    ap.add_argument("--config", default="examples/workspace.yaml", help="workspace YAML")
    args = ap.parse_args(argv)
    transports = [t for t in args.transports.split(",") if t]
    brains = [b for b in args.brains.split(",") if b]
    if set(transports) - set(TRANSPORTS) or set(brains) - set(BRAINS):
        print(f"transports: {', '.join(TRANSPORTS)}; brains: {', '.join(BRAINS)}", file=sys.stderr)
        return 2
    fixtures = pick_fixtures(args.fixtures, quick=args.quick, only=args.only)
    console = Console(stderr=True)
    n = [0]

    def progress(what: str) -> None:
        n[0] += 1
        console.log(f"[{n[0]}] {what}")

    with tempfile.TemporaryDirectory(prefix="dialphone-coverage-") as tmp:
        cov, info = asyncio.run(evaluate(fixtures=fixtures, transports=transports, brains=brains,
                                         concurrency=args.concurrency, data_dir=Path(tmp), config=args.config,
                                         progress=progress))
    render(cov, info, Console(width=200))
    out = {**cov.as_dict(), "run": info}
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(out, indent=2))
    bad = failures(cov)
    if bad:
        print("eval audit-coverage: FAILED: " + "; ".join(bad), file=sys.stderr)
        return 1
    return 0
