"""The Kamailio edge (deploy/kamailio/kamailio.cfg) in front of small stand-in workers on loopback.

The workers are SIP cores of ours that answer every INVITE (no models, so these run in seconds);
the caller is the project's UAC. Checked: calls spread round robin; every request of a dialog goes
through the edge to the worker that took the call and back (Record-Route: ACK, BYE both ways,
REFER and its NOTIFY); a worker answering 503 (draining) is skipped at once and its OPTIONS 503 keeps
it out until it answers 200 again; a dead worker stops getting calls; INVITEs over the cluster-wide
rate get 503 from the edge; the edge's log names no caller. Kamailio is installed by
``scripts/system-deps.sh``; the test fails (not skips) when it is missing.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import pytest

from tests.pg_cluster import free_port
from voice.cluster.kamailio import Edge, default_config, find_kamailio, probe
from voice.sip import (
    CallEnded,
    CallEstablished,
    IncomingCall,
    MediaConfig,
    ReferResult,
    SipConfig,
    SipEvent,
    answer_offer,
)
from voice.telephony.endpoint import SipEndpoint
from voice.testing.sip_uac import SipUac

FACTOR = float(os.environ.get("DIALPHONE_TIMEOUT_FACTOR", "1"))
CALLER = "+12125550161"  # a caller's number in From: it must not reach the edge's log

pytestmark = pytest.mark.asyncio(loop_scope="session")


class Worker:
    """A stand-in worker: answers every INVITE; remembers its calls and what ended them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.invites = 0
        self.ended: list[str] = []
        self.refer_results: list[int] = []
        self.calls: list[str] = []
        self.confirmed: set[str] = set()  # the ACK came (through the edge)
        self.ep: SipEndpoint | None = None
        self.port = 0

    async def start(self, port: int = 0) -> None:
        self.ep = SipEndpoint(SipConfig(host="127.0.0.1", port=port), on_event=self._on_event)
        await self.ep.listen_udp("127.0.0.1", port)
        self.port = self.ep.port

    @property
    def uri(self) -> str:
        return f"sip:127.0.0.1:{self.port}"

    def _on_event(self, ep: SipEndpoint, event: SipEvent) -> None:
        now = asyncio.get_running_loop().time()
        if isinstance(event, IncomingCall) and event.offer is not None:
            self.invites += 1
            self.calls.append(event.call)
            neg = answer_offer(event.offer, MediaConfig(address="127.0.0.1", port=free_port()))
            ep.core.answer(event.call, neg.answer, now)
        elif isinstance(event, CallEstablished):
            self.confirmed.add(event.call)
        elif isinstance(event, CallEnded):
            self.ended.append(event.reason.value)
        elif isinstance(event, ReferResult) and event.final:
            self.refer_results.append(event.status)

    def act(self, action: object) -> None:
        assert self.ep is not None
        self.ep.act(action)  # type: ignore[arg-type]

    def drain(self, on: bool = True) -> None:
        assert self.ep is not None
        self.ep.core.accepting = not on

    async def close(self) -> None:
        if self.ep is not None:
            await self.ep.close()
            self.ep = None


@contextmanager
def _edge(workers: list[Worker], tmp: Path, **kwargs: int) -> Iterator[Edge]:
    """Kamailio on the project's configuration in front of ``workers``; afterwards, its log is
    checked for caller data (the caller's number, the dialed user, a Call-ID)."""
    edge = Edge(binary=find_kamailio(), config=default_config(), workers=[w.uri for w in workers], host="127.0.0.1",
                port=free_port(), run_dir=tmp / "edge", processes=2, **kwargs)
    path = tmp / "kamailio.log"
    log = path.open("wb")
    edge.start(stdout=log, stderr=log)
    try:
        edge.wait_answering(timeout_s=10 * FACTOR)
        yield edge
    finally:
        edge.stop()
        log.close()
    text = path.read_text(errors="replace")
    assert "edge:" in text or "Listening on" in text
    for secret in ("2125550161", "concierge", "Call-ID", "@127.0.0.1"):
        assert secret not in text, f"{secret!r} in the edge's log"


@asynccontextmanager
async def _workers(n: int) -> AsyncIterator[list[Worker]]:
    workers = [Worker(f"w{i}") for i in range(1, n + 1)]
    for w in workers:
        await w.start()
    try:
        yield workers
    finally:
        for w in workers:
            await w.close()


async def _call(edge: Edge, *, hang_up: bool = True) -> SipUac:
    uac = await SipUac.open(("127.0.0.1", edge.port), user=CALLER)
    status = await uac.invite(timeout_s=8 * FACTOR)
    assert status == 200, status
    if hang_up:
        assert await uac.bye() == 200
        await uac.close()
    return uac


async def _until(cond: object, within_s: float) -> bool:
    deadline = time.monotonic() + within_s * FACTOR
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.05)
    return bool(cond())  # type: ignore[operator]


def _worker_of(uac: SipUac, workers: list[Worker]) -> Worker:
    target = str(uac.remote_target)
    return next(w for w in workers if f":{w.port}" in target)


async def test_calls_spread_and_dialogs_stay_on_their_worker(tmp_path: Path) -> None:
    async with _workers(2) as workers:
        with _edge(workers, tmp_path) as edge:
            uacs = [await _call(edge) for _ in range(6)]
            assert [w.invites for w in workers] == [3, 3]  # round robin
            # the caller's BYE went through the edge to the worker holding the call
            assert await _until(lambda: sum(len(w.ended) for w in workers) == 6, 3)
            assert all(w.ended == ["remote_bye"] * 3 for w in workers)
            assert all(u.route_set and f":{edge.port}" in str(u.route_set[0]) for u in uacs)
            # the worker's REFER reaches the caller through the edge, the caller's NOTIFY comes back,
            # and the worker's BYE ends the caller's side
            uac = await _call(edge, hang_up=False)
            worker = _worker_of(uac, workers)
            ref = worker.calls[-1]
            assert await _until(lambda: ref in worker.confirmed, 3)  # the ACK went through the edge
            worker.act(lambda now: worker.ep.core.send_refer(ref, "sip:billing@127.0.0.1:5999", now))  # type: ignore[union-attr]
            assert await _until(lambda: worker.refer_results == [200], 5), worker.refer_results
            assert uac.record.refer_targets == ["sip:billing@127.0.0.1:5999"]
            worker.act(lambda now: worker.ep.core.send_bye(ref, now))  # type: ignore[union-attr]
            assert await _until(lambda: uac.record.ended_by_server, 5)
            await uac.close()
    log = (tmp_path / "kamailio.log").read_text(errors="replace")
    assert uac.call_id.split("@")[0] not in log


async def test_a_draining_worker_is_skipped_and_comes_back(tmp_path: Path) -> None:
    async with _workers(2) as (a, b):
        with _edge([a, b], tmp_path) as edge:
            a.drain()
            assert await asyncio.to_thread(probe, "127.0.0.1", a.port) == 503  # what the edge's probe gets
            for _ in range(4):  # the first may try A (503), then goes on to B; the rest go to B
                await _call(edge)
            assert a.invites == 0 and b.invites == 4
            assert await _until(lambda: "AP" not in _flags(edge, a), 3)  # out (inactive) after a probe
            a.drain(False)
            assert await _until(lambda: "AP" in _flags(edge, a), 4 * FACTOR)  # back after one answered probe
            for _ in range(4):
                await _call(edge)
            assert a.invites >= 1


async def test_a_dead_worker_stops_getting_calls(tmp_path: Path) -> None:
    async with _workers(2) as (a, b):
        with _edge([a, b], tmp_path) as edge:
            await a.close()  # nothing answers on A's port any more
            started = time.monotonic()
            for _ in range(4):
                await _call(edge)
            assert b.invites == 4
            # at worst one call waited INVITE_SETUP_MS (1.5 s) for A before going to B
            assert time.monotonic() - started < 4 * FACTOR


async def test_invites_over_the_cluster_rate_get_503_from_the_edge(tmp_path: Path) -> None:
    async with _workers(1) as (a,):
        with _edge([a], tmp_path, invite_rate_per_s=3) as edge:
            uacs = [await SipUac.open(("127.0.0.1", edge.port), user=CALLER) for _ in range(8)]
            try:
                statuses = await asyncio.gather(*(u.invite(timeout_s=5 * FACTOR) for u in uacs))
                assert 503 in statuses and 200 in statuses, statuses
                assert a.invites == statuses.count(200) <= 4
                limited = [u for u, s in zip(uacs, statuses, strict=True) if s == 503]
                assert limited[0].record.final_headers.get("retry-after") == "5"
            finally:
                for u in uacs:
                    await u.bye()
                    await u.close()


def _flags(edge: Edge, worker: Worker) -> str:
    """The dispatcher's FLAGS for ``worker`` (AP: active and probing; IP / TP: out)."""
    text = edge.dispatcher_list()
    at = text.find(f"sip:127.0.0.1:{worker.port}")
    if at < 0:
        return ""
    flags = text.find("FLAGS:", at)
    return text[flags + 6 : flags + 10].strip() if flags >= 0 else ""
