"""The SIP listener on loopback, driven by a real UAC over UDP and TCP: set-up, probes, admission."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.voice.telephony.conftest import FACTOR, ServerFactory
from voice.telephony.call import CallPhase
from voice.telephony.listener import SipServer
from voice.testing.sip_uac import SipUac

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _until(cond: object, within_s: float) -> bool:
    deadline = time.monotonic() + within_s * FACTOR
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return True
        await asyncio.sleep(0.02)
    return bool(cond())  # type: ignore[operator]


async def _loud_audio(uac: SipUac, within_s: float) -> bool:
    heard: list[bytes] = []
    uac.on_audio = lambda pcm, t: heard.append(pcm)
    import numpy as np

    return await _until(
        lambda: any(np.abs(np.frombuffer(p, dtype="<i2")).max() > 600 for p in heard[-50:]), within_s
    )


async def _gone(sip: SipServer) -> bool:
    return await _until(lambda: not sip.calls, 5)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_invite_answered_greeting_heard_bye(sip_server: ServerFactory, transport: str) -> None:
    async with sip_server() as sip:
        uac = await SipUac.open(("127.0.0.1", sip.port), transport=transport)
        try:
            assert await uac.invite() == 200
            assert uac.record.statuses[-1] == 200 and 180 in uac.record.statuses
            assert uac.setup_ms is not None and uac.setup_ms < 250 * FACTOR
            assert uac.remote_rtp is not None and uac.remote_rtp[1] != sip.port
            call = next(iter(sip.calls.values()))
            assert await _until(lambda: call.phase is CallPhase.CONFIRMED, 2)
            # the greeting comes over RTP once the pipeline runs
            assert await _loud_audio(uac, 8)
            assert await uac.bye() == 200
            assert await _gone(sip)
            assert call.media is not None and call.media.sock.fileno() == -1  # RTP socket closed
            assert call.session is not None and call.session.call_id not in sip.state.calls
        finally:
            await uac.close()


async def test_each_call_gets_its_own_rtp_port(sip_server: ServerFactory) -> None:
    async with sip_server() as sip:
        uacs = [await SipUac.open(("127.0.0.1", sip.port)) for _ in range(3)]
        try:
            assert [await u.invite() for u in uacs] == [200, 200, 200]
            ports = {u.remote_rtp[1] for u in uacs if u.remote_rtp}
            assert len(ports) == 3 and sip.port not in ports
        finally:
            for u in uacs:
                await u.bye()
                await u.close()
        assert await _gone(sip)


async def test_options_probe(sip_server: ServerFactory) -> None:
    async with sip_server() as sip:
        uac = await SipUac.open(("127.0.0.1", sip.port))
        try:
            resp = await uac.options()
            assert resp.status == 200
            allow = resp.headers.get("allow") or ""
            for method in ("INVITE", "ACK", "BYE", "CANCEL", "OPTIONS"):
                assert method in allow
            assert sip.stats["options"] == 1 and not sip.calls
        finally:
            await uac.close()


async def test_source_outside_allowlist_gets_403(sip_server: ServerFactory) -> None:
    async with sip_server(trunk_allowlist=["10.0.0.0/8"]) as sip:
        uac = await SipUac.open(("127.0.0.1", sip.port))
        try:
            assert await uac.invite() == 403
            assert not sip.calls and sip.stats["answered"] == 0
        finally:
            await uac.close()


async def test_capacity_503_with_retry_after(sip_server: ServerFactory) -> None:
    async with sip_server(max_calls=1) as sip:
        first = await SipUac.open(("127.0.0.1", sip.port))
        second = await SipUac.open(("127.0.0.1", sip.port))
        try:
            assert await first.invite() == 200
            assert await second.invite() == 503
            assert int(second.record.final_headers.get("retry-after", "0")) > 0
            assert await first.bye() == 200
        finally:
            await first.close()
            await second.close()


async def test_invite_flood_is_rate_limited_and_calls_in_progress_go_on(sip_server: ServerFactory) -> None:
    async with sip_server(invite_rate_per_s=2.0) as sip:
        live = await SipUac.open(("127.0.0.1", sip.port))
        flood = [await SipUac.open(("127.0.0.1", sip.port)) for _ in range(25)]
        try:
            assert await live.invite() == 200
            statuses = await asyncio.gather(*(u.invite() for u in flood))
            assert statuses.count(503) >= 20  # the bucket holds 2, refilling at 2 per second
            assert all(s in (200, 503) for s in statuses)
            # the call in progress is untouched: in-dialog requests are never limited
            assert await live.reinvite(hold=True) == 200
            assert await live.reinvite(hold=False) == 200
            assert await _loud_audio(live, 8)
            assert await live.bye() == 200
        finally:
            for u in flood:
                await u.bye()
                await u.close()
            await live.close()
        assert await _gone(sip)


async def test_hold_stops_our_rtp_and_unhold_resumes(sip_server: ServerFactory) -> None:
    async with sip_server() as sip:
        uac = await SipUac.open(("127.0.0.1", sip.port))
        try:
            assert await uac.invite() == 200
            call = next(iter(sip.calls.values()))
            assert await _until(lambda: len(uac.record.rtp_times) > 10, 3)
            assert await uac.reinvite(hold=True) == 200
            assert call.media is not None and call.media.on_hold
            await asyncio.sleep(0.1)
            held = len(uac.record.rtp_times)
            await asyncio.sleep(0.4)
            assert len(uac.record.rtp_times) == held  # nothing sent while held
            assert await uac.reinvite(hold=False) == 200
            assert not call.media.on_hold
            assert await _until(lambda: len(uac.record.rtp_times) > held + 10, 2)
            assert await uac.bye() == 200
        finally:
            await uac.close()


async def test_cancel_while_ringing_487_and_no_pipeline(sip_server: ServerFactory) -> None:
    async with sip_server(answer_delay_s=2.0) as sip:
        uac = await SipUac.open(("127.0.0.1", sip.port))
        try:
            invite = asyncio.create_task(uac.invite())
            assert await _until(lambda: 180 in uac.record.statuses, 2)
            assert await uac.cancel() == 200
            assert await invite == 487
            assert await _gone(sip)
            assert sip.finished[-1].log is None and sip.finished[-1].answered_at is None
        finally:
            await uac.close()


async def test_graceful_shutdown_sends_bye_to_every_call(sip_server: ServerFactory) -> None:
    uacs: list[SipUac] = []
    async with sip_server() as sip:
        uacs = [await SipUac.open(("127.0.0.1", sip.port), transport=t) for t in ("udp", "tcp", "udp")]
        assert [await u.invite() for u in uacs] == [200, 200, 200]
        assert await _until(lambda: all(c.phase is CallPhase.CONFIRMED for c in sip.calls.values()), 2)
        await sip.stop(deadline_s=3 * FACTOR)
        sip.endpoints.clear()
    try:
        assert all(u.record.ended_by_server for u in uacs)
        assert not sip.calls
    finally:
        for u in uacs:
            await u.close()


async def test_garbage_on_sip_and_rtp_ports_is_contained(sip_server: ServerFactory) -> None:
    async with sip_server() as sip:
        uac = await SipUac.open(("127.0.0.1", sip.port))
        try:
            assert await uac.invite() == 200
            loop = asyncio.get_running_loop()
            junk, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0))
            assert uac.remote_rtp is not None
            for data in (b"", b"\x80", b"\xff" * 40, b"INVITE garbage\r\n\r\n", bytes(range(256))):
                junk.sendto(data, ("127.0.0.1", sip.port))
                junk.sendto(data, uac.remote_rtp)
            junk.close()
            resp = await uac.options()
            assert resp.status == 200
            assert await _loud_audio(uac, 8)
            assert await uac.bye() == 200
        finally:
            await uac.close()
