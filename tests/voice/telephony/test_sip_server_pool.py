"""A SIP listener that knows it is one worker of a pool: draining (503 to new INVITEs and to
OPTIONS while a live call goes on to its end), RTP ports from a configured range, and the
per-call metrics the server exports (a real call through the listener, then ``/metrics``)."""

from __future__ import annotations

import asyncio
import socket
import time

import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.voice.telephony.conftest import FACTOR, REPO, ServerFactory
from voice.server.call_metrics import MeteredAuditSink, call_hook
from voice.telephony.call import CallPhase
from voice.telephony.media import PortRange
from voice.testing.scenarios import load_scenario
from voice.testing.sip_replay import replay_sip
from voice.testing.sip_uac import SipUac

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _until(cond: object, within_s: float) -> bool:
    deadline = time.monotonic() + within_s * FACTOR
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.02)
    return bool(cond())  # type: ignore[operator]


async def test_draining_refuses_new_calls_and_probes_while_the_live_call_goes_on(sip_server: ServerFactory) -> None:
    async with sip_server() as sip:
        live = await SipUac.open(("127.0.0.1", sip.port))
        other = await SipUac.open(("127.0.0.1", sip.port))
        try:
            assert await live.invite() == 200
            call = next(iter(sip.calls.values()))
            assert await _until(lambda: call.phase is CallPhase.CONFIRMED, 2)
            assert (await other.options()).status == 200
            sip.drain()
            probe = await other.options()
            assert probe.status == 503 and probe.headers.get("retry-after")  # the dispatcher takes us out
            assert await other.invite() == 503 and other.record.final_headers.get("retry-after")
            assert sip.core_stats()["unavailable"] == 1
            # the live call is untouched: its audio keeps coming, and it ends when the caller hangs up
            heard: list[float] = []
            live.on_audio = lambda pcm, t: heard.append(t)
            await asyncio.sleep(0.5)
            assert len(heard) >= 15 and call.phase is CallPhase.CONFIRMED
            assert not await sip.wait_idle(within_s=0.1)
            assert await live.bye() == 200
            assert await sip.wait_idle(within_s=5 * FACTOR)
            assert not live.record.ended_by_server  # nobody cut it
        finally:
            await live.close()
            await other.close()


def _free_even_range(size: int) -> tuple[int, int]:
    """A run of ``size`` free even UDP ports (found by binding them)."""
    for start in range(41000, 60000, 2 * size):
        socks = []
        try:
            for port in range(start, start + 2 * size, 2):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return start, start + 2 * size - 1
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free port range")


async def test_rtp_ports_come_from_the_configured_range(sip_server: ServerFactory) -> None:
    low, high = _free_even_range(4)
    async with sip_server(rtp_ports=PortRange(low, high)) as sip:
        uacs = [await SipUac.open(("127.0.0.1", sip.port)) for _ in range(3)]
        try:
            for uac in uacs:
                assert await uac.invite() == 200
            ports = [u.remote_rtp[1] for u in uacs if u.remote_rtp is not None]
            assert len(set(ports)) == 3 and all(low <= p <= high and p % 2 == 0 for p in ports)
        finally:
            for uac in uacs:
                await uac.bye()
                await uac.close()


async def test_a_port_range_goes_round_and_says_when_it_is_full() -> None:
    low, high = _free_even_range(2)
    ports = PortRange(low, high)
    assert ports.size == 2
    a, b, c = (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3))
    try:
        assert ports.bind(a, "127.0.0.1") == low and ports.bind(b, "127.0.0.1") == low + 2
        with pytest.raises(OSError, match="no free RTP port"):
            ports.bind(c, "127.0.0.1")
        a.close()
        assert ports.bind(c, "127.0.0.1") == low  # round again: the first one is free now
    finally:
        for s in (a, b, c):
            s.close()
    with pytest.raises(ValueError):
        PortRange(5001, 5001)


async def test_a_call_shows_in_the_metrics_without_caller_data(sip_server: ServerFactory) -> None:
    async with sip_server() as sip:
        state = sip.state
        engines = state.engines
        assert engines is not None
        metrics = state.metrics  # type: ignore[attr-defined]
        # what ServerProcess.start does, on the engines the tests share (undone below)
        hook, sink = call_hook(metrics, state.harvest), engines.audit  # type: ignore[attr-defined]
        engines.call_hooks.append(hook)
        engines.audit = MeteredAuditSink(sink, metrics)
        state._listeners = [sip]  # type: ignore[attr-defined]
        try:
            scenario = load_scenario(REPO / "fixtures" / "audio" / "billing_8k.yaml")
            result = await replay_sip(f"127.0.0.1:{sip.port}", scenario)
        finally:
            engines.call_hooks.remove(hook)
            engines.audit = sink
        assert result.rows and (result.rows[0].latency_ms or 0) > 0
        assert await _until(lambda: not engines.live_calls, 5), len(engines.live_calls)  # the call has ended
        text = (await metrics.render()).decode()
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for family in text_string_to_metric_families(text) for s in family.samples}
    sip_label = (("transport", "sip"),)
    assert samples[("dialphone_calls_answered_total", sip_label)] == 1
    assert samples[("dialphone_turns_total", sip_label)] >= 1
    assert samples[("dialphone_voice_to_voice_seconds_count", sip_label)] >= 1
    v2v = samples[("dialphone_voice_to_voice_seconds_sum", sip_label)]
    assert 0.1 < v2v < 5 * FACTOR
    assert samples[("dialphone_asr_seconds_count", sip_label)] >= 1
    assert samples[("dialphone_gate_decisions_total", (("decision", "allow"),))] == 1  # billing: policy allows
    assert samples[("dialphone_audit_gating_write_seconds_count", ())] >= 1
    assert samples[("dialphone_rtp_packets_sent_total", ())] > 0
    assert samples[("dialphone_calls_active", sip_label)] == 0
    labels = {v for family in text_string_to_metric_families(text) for s in family.samples for v in s.labels.values()}
    assert labels <= {"sip", "ws", "webrtc", "inproc", "capacity", "draining", "starting", "unavailable",
                      "rate_limited", "invalid", "overload", "allow"} | _buckets(text)
    assert "bill" not in text.lower() and result.scenario not in text
    assert np.isfinite(v2v)


def _buckets(text: str) -> set[str]:
    return {s.labels["le"] for f in text_string_to_metric_families(text) for s in f.samples if "le" in s.labels}
