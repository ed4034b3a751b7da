"""The local cluster end to end: ``dialphone cluster up --workers 2`` (PostgreSQL, two workers,
Kamailio on loopback), then real calls through the edge.

In order, on one cluster:

1. 20 calls from the project's SIP caller, ten at a time, through Kamailio: all answered, every turn
   replied to, spread over both workers (each takes at least 6); ``/metrics`` counts them and
   carries no caller data; the JSON log lines of a call carry its call id.
2. baresip through Kamailio: it presses 0 (the opt-out key: the IVR takes over), then 1 (billing);
   the worker sends REFER through the edge, baresip calls the billing desk and its NOTIFY comes back
   through the edge; the worker's BYE ends the call. The audit log (PostgreSQL) shows the opt-out
   and the IVR's routing.
3. SIGKILL of one worker: the next calls all land on the other, the first within 5 s of the kill
   (the measured failover time is printed); the cluster restarts the worker and the edge's probe
   puts it back.
4. SIGTERM of the worker holding a live call: it answers probes 503 at once, new calls go to the
   other worker, the live call goes on (every turn replied to) and ends the normal way, then the
   worker exits 0.

Kamailio, baresip and PostgreSQL are Debian packages ``scripts/system-deps.sh`` installs.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from prometheus_client.parser import text_string_to_metric_families

from audit.backends import open_store
from audit.events import format_ts
from tests.interop.test_baresip import BillingDesk, Ctrl, _baresip, _caller_wav, _config, _free_port, _until
from voice.cluster.kamailio import Edge, probe
from voice.testing.caller import CallerLine
from voice.testing.fresh_server import free_port_block
from voice.testing.remote import at_rate, drive_turns
from voice.testing.results import CallResult, latency_summary
from voice.testing.scenarios import Scenario, load_scenario
from voice.testing.sip_replay import replay_sip_caller
from voice.testing.sip_uac import SipUac

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "fixtures" / "audio"
FACTOR = float(os.environ.get("DIALPHONE_TIMEOUT_FACTOR", "1"))
CALLER = "+12125550161"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.interop,
    pytest.mark.skipif(shutil.which("baresip") is None, reason="baresip not installed (scripts/system-deps.sh)"),
    pytest.mark.asyncio(loop_scope="session"),
]


@dataclass
class Running:
    proc: subprocess.Popen[bytes]
    status_file: Path
    out: Path
    err: Path
    edge_port: int
    desk: BillingDesk

    def status(self) -> dict[str, Any]:
        return dict(json.loads(self.status_file.read_text()))

    def worker(self, index: int) -> dict[str, Any]:
        return dict(self.status()["workers"][index - 1])

    def worker_of(self, uac: SipUac) -> int:
        """Which worker holds ``uac``'s call: its Contact names the worker's SIP port."""
        target = str(uac.remote_target)
        for w in self.status()["workers"]:
            if f":{w['sip'].rsplit(':', 1)[1]}" in target:
                return int(w["index"])
        raise AssertionError(f"no worker holds {target}")

    def edge(self) -> Edge:
        st = self.status()["edge"]
        edge = Edge(binary="", config=Path(), workers=[], host="127.0.0.1", port=self.edge_port, run_dir=Path())
        edge.run_dir = Path(st["ctl"]).parent
        return edge


def _workspace(tmp: Path, desk_port: int) -> Path:
    text = (REPO / "examples" / "workspace.yaml").read_text()
    text = text.replace("sip:billing@127.0.0.1:5070", f"sip:billing@127.0.0.1:{desk_port}")
    path = tmp / "workspace.yaml"
    path.write_text(text)
    return path


def _launch(tmp: Path, desk: BillingDesk, desk_port: int) -> Running:
    sip, http = free_port_block(2), free_port_block(2)
    rtp = 40000 + (os.getpid() % 50) * 400
    status = tmp / "status.json"
    out, err = tmp / "cluster.out", tmp / "cluster.err"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("DIALPHONE_DATABASE_URL", None)  # the cluster starts its own PostgreSQL
    proc = subprocess.Popen(
        [sys.executable, "-m", "voice.cli", "cluster", "up", "--workers", "2", "--sip-port", str(sip),
         "--http-port", str(http - 1), "--rtp-base", str(rtp), "--run-dir", str(tmp / "run"),
         "--status-file", str(status), "--config", str(_workspace(tmp, desk_port)), "--log-format", "json"],
        cwd=REPO, env=env, stdout=out.open("wb"), stderr=err.open("wb"),
    )
    return Running(proc, status, out, err, sip, desk)


def _shut_down(running: Running) -> int:
    """Ctrl-C / SIGTERM to ``dialphone cluster``: everything stops cleanly."""
    running.proc.send_signal(signal.SIGTERM)
    try:
        return running.proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        running.proc.kill()
        return running.proc.wait()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def cluster(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Running]:
    tmp = tmp_path_factory.mktemp("cluster")
    desk = BillingDesk()
    desk_port = await desk.start()
    running = _launch(tmp, desk, desk_port)
    started = time.monotonic()
    try:
        while not (running.status_file.exists() and running.status().get("state") == "up"):
            assert running.proc.poll() is None, running.out.read_text() + running.err.read_text()[-4000:]
            assert time.monotonic() - started < 300 * FACTOR, "cluster not up: " + running.out.read_text()
            await asyncio.sleep(0.5)
        print(f"\ncluster up in {time.monotonic() - started:.1f}s")
        yield running
    finally:
        code = await asyncio.to_thread(_shut_down, running)
        assert desk.endpoint is not None
        await desk.endpoint.close()
        assert code == 0, running.out.read_text()
        assert "dialphone cluster: stopped" in running.out.read_text()


def _metrics(url: str) -> tuple[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]]:
    with urllib.request.urlopen(url + "/metrics", timeout=5) as r:
        text = r.read().decode()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for f in text_string_to_metric_families(text) for s in f.samples}
    return text, samples


def _ready(url: str) -> int:
    try:
        with urllib.request.urlopen(url + "/readyz", timeout=2) as r:
            return int(r.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


async def _quick_call(port: int) -> tuple[SipUac, float]:
    """INVITE through the edge, then BYE; the caller and the set-up time (s)."""
    uac = await SipUac.open(("127.0.0.1", port), user=CALLER)
    started = time.monotonic()
    status = await uac.invite(timeout_s=10 * FACTOR)
    took = time.monotonic() - started
    assert status == 200, status
    assert await uac.bye() == 200
    await uac.close()
    return uac, took


async def test_twenty_calls_spread_over_both_workers(cluster: Running) -> None:
    """20 calls, ten at a time (the 20-at-once figure is `dialphone bench concurrency`'s, measured
    on a quiet machine: docs/scaling.md); each a short one-turn scenario."""
    names = ["billing_8k", "password_reset_8k", "technical_support_8k", "noisy_line_8k", "human_request_8k"]
    before = {i: _metrics(cluster.worker(i)["http"])[1] for i in (1, 2)}
    started = time.monotonic()
    done: list[tuple[CallResult, SipUac]] = []
    for wave in range(2):
        scenarios = [load_scenario(FIXTURES / f"{names[(wave + i) % len(names)]}.yaml") for i in range(10)]
        done += await asyncio.gather(*(replay_sip_caller(f"127.0.0.1:{cluster.edge_port}", s, user=CALLER)
                                       for s in scenarios))
    summary = latency_summary([r for r, _ in done])
    by_worker = {i: sum(1 for _, u in done if cluster.worker_of(u) == i) for i in (1, 2)}
    print(f"\n20 calls through the edge in {time.monotonic() - started:.1f}s: per worker {by_worker}; "
          f"v2v p50 {summary['p50_ms']} ms, p95 {summary['p95_ms']} ms")
    assert summary["no_reply"] == 0, summary
    assert sum(by_worker.values()) == 20 and min(by_worker.values()) >= 6, by_worker
    for i in (1, 2):
        text, samples = _metrics(cluster.worker(i)["http"])
        key = ("dialphone_calls_answered_total", (("transport", "sip"),))
        assert samples.get(key, 0) - before[i].get(key, 0) == by_worker[i]
        assert samples[("dialphone_turns_total", (("transport", "sip"),))] >= by_worker[i]
        assert samples[("dialphone_voice_to_voice_seconds_count", (("transport", "sip"),))] >= 1
        assert samples[("dialphone_sip_options_total", ())] >= 1  # the edge probes every worker
        for secret in ("2125550161", "bill", "password", "@127.0.0.1"):
            assert secret not in text.lower()
    # JSON log lines of calls carry the call id (and the worker), never the caller's number
    lines = [json.loads(x) for x in cluster.err.read_text().splitlines() if x.startswith("{")]
    assert any(x.get("call_id") and x.get("worker") in (1, 2) for x in lines)
    assert "2125550161" not in cluster.err.read_text() + cluster.out.read_text()


async def test_baresip_through_the_edge_presses_keys_and_is_transferred(cluster: Running, tmp_path: Path) -> None:
    desk = cluster.desk
    invites = desk.invites
    wav = _caller_wav(tmp_path)
    ctrl_port = _free_port()
    _config(tmp_path, wav, ctrl_port, _free_port())
    since = time.time()
    with _baresip(tmp_path) as proc:
        ctrl = await Ctrl.connect(ctrl_port)
        try:
            ctrl.send("dial", f"sip:concierge@127.0.0.1:{cluster.edge_port}")
            assert await _until(lambda: "CALL_ESTABLISHED" in ctrl.types(), 10), ctrl.types()
            await asyncio.sleep(1.5)  # the greeting starts
            ctrl.send("sndcode", "0")  # the opt-out key: the IVR menu takes over
            await asyncio.sleep(2.0)
            ctrl.send("sndcode", "1")  # billing: REFER through the edge
            assert await _until(lambda: desk.invites > invites, 20), ctrl.types()
            assert await _until(lambda: "CALL_CLOSED" in ctrl.types(), 15), ctrl.types()  # our BYE, via the edge
            assert proc.poll() is None
        finally:
            await ctrl.close()
    url = cluster.status()["database"]
    store = open_store(url, create=False, read_only=True)
    try:
        after = format_ts(datetime.fromtimestamp(since - 1, UTC))
        rows = [r for r in store.rows("demo") if r.ts >= after]
    finally:
        store.close()
    calls: dict[str, list[str]] = {}
    for r in rows:
        calls.setdefault(str(r.call_id), []).append(r.type)
    ivr_calls = [types for types in calls.values() if "optout.applied" in types]
    assert ivr_calls, calls
    assert any("ivr.routed" in types for types in ivr_calls), ivr_calls  # key 1: billing, by the IVR


async def test_a_killed_worker_stops_getting_calls_within_5_s(cluster: Running) -> None:
    """Failover time: from the SIGKILL until the edge has the worker out (its flags in
    ``kamcmd dispatcher.list``); and no call placed after the kill waits longer than one INVITE
    set-up timeout (1.5 s) on the dead worker, or is lost."""
    victim, survivor = 2, 1
    pid = cluster.worker(victim)["pid"]
    sip = cluster.worker(victim)["sip"]
    edge = cluster.edge()
    marked_out: list[float] = []

    async def watch(since: float) -> None:
        while not marked_out:
            flags = await asyncio.to_thread(lambda: _flags(edge.dispatcher_list(), sip))
            if flags and flags not in ("AP", "AX"):
                marked_out.append(time.monotonic() - since)
            await asyncio.sleep(0.05)

    killed_at = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    watcher = asyncio.create_task(watch(killed_at))
    landed: list[tuple[int, float, float]] = []  # worker, answered since the kill (s), set-up (s)
    for _ in range(8):
        uac, setup = await _quick_call(cluster.edge_port)
        landed.append((cluster.worker_of(uac), time.monotonic() - killed_at, setup))
    await asyncio.wait_for(watcher, timeout=10 * FACTOR)
    slow = [c for c in landed if c[2] > 0.5]
    print(f"\nfailover after SIGKILL: edge had the worker out {marked_out[0]:.2f}s after the kill; "
          f"calls after the kill: {[(w, round(t, 2), round(s, 3)) for w, t, s in landed]}")
    assert all(w == survivor for w, _, _ in landed), landed  # none lost, all on the other worker
    assert marked_out[0] < 5.0 * FACTOR
    assert len(slow) <= 1 and all(s < 2.0 * FACTOR for _, _, s in slow), landed  # one INVITE timeout at most
    assert all(t < 5.0 * FACTOR for _, t, _ in landed[:2]), landed
    # the cluster restarts the worker; the edge's next probe puts it back
    assert await _until(lambda: cluster.worker(victim)["pid"] != pid, 10)
    assert await _until(lambda: _ready(cluster.worker(victim)["http"]) == 200, 180)
    assert await _until(lambda: _flags(edge.dispatcher_list(), cluster.worker(victim)["sip"]) == "AP", 10)


async def test_sigterm_drains_a_worker_without_cutting_its_live_call(cluster: Running) -> None:
    scenario: Scenario = at_rate(load_scenario(FIXTURES / "unclear_then_clarified_8k.yaml"), 8000)
    uac = await SipUac.open(("127.0.0.1", cluster.edge_port), user=CALLER)
    line = CallerLine(sample_rate=8000, send=uac.send_audio)
    try:
        assert await uac.invite(timeout_s=10 * FACTOR) == 200
        uac.on_audio = line.heard
        line.start()
        holder = cluster.worker_of(uac)
        other = 2 if holder == 1 else 1
        info = cluster.worker(holder)
        host, port = info["sip"].rsplit(":", 1)
        os.kill(info["pid"], signal.SIGTERM)
        assert await _until(lambda: _ready(info["http"]) == 503, 5)
        assert await asyncio.to_thread(probe, host, int(port)) == 503  # the edge's probe takes it out
        for _ in range(3):  # new calls go to the other worker
            new, _ = await _quick_call(cluster.edge_port)
            assert cluster.worker_of(new) == other
        # the live call goes on: every turn is answered
        turns = await drive_turns(line, scenario)
        assert all(t.reply_onset_at > t.last_voiced_at for t in turns), turns
        await line.stop()
        if not uac.record.ended_by_server:
            assert await uac.bye() == 200
        else:  # only a transfer ends it from the worker's side
            assert uac.record.refer_targets, "the draining worker hung up a live call"
    finally:
        await uac.close()
    proc_pid = info["pid"]
    assert await _until(lambda: not _alive(proc_pid), 20)
    text = cluster.out.read_text()
    assert re.search(rf"worker {holder} exited \(status 0\)", text), text[-2000:]
    lines = [json.loads(x) for x in cluster.err.read_text().splitlines() if x.startswith("{")]
    assert any(x.get("worker") == holder and "drained: no call left" in x.get("message", "") for x in lines)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _flags(listing: str, sip: str) -> str:
    at = listing.find(f"sip:{sip}")
    if at < 0:
        return ""
    flags = listing.find("FLAGS:", at)
    return listing[flags + 6 : flags + 10].strip() if flags >= 0 else ""
