"""One call's RTP on loopback (no pipeline): playout on arrival, reordering, loss, a silent peer,
paced sending, barge-in, RFC 4733 out, hold."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import numpy as np
import pytest

from tests.voice.telephony.conftest import FACTOR
from voice.rtp import DtmfReceiver, Packetizer, RtpPacket, decode
from voice.telephony.media import MediaClock, RtpSession


class Peer:
    """The far end: a UDP socket sending µ-law packets and collecting what the session sends."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.addr = self.sock.getsockname()
        self.pk = Packetizer(payload_type=0, codec="PCMU", sequence_number=100, timestamp=0)

    def packets(self, levels: list[int]) -> list[RtpPacket]:
        return [self.pk.push(np.full(160, level, dtype=np.int16))[0] for level in levels]

    def received(self) -> list[tuple[float, RtpPacket]]:
        out = []
        while True:
            try:
                data = self.sock.recv(2048)
            except BlockingIOError:
                return out
            out.append((time.monotonic(), RtpPacket.parse(data)))


@pytest.fixture
async def pair() -> AsyncIterator[tuple[RtpSession, Peer, list[bytes], list[str]]]:
    peer = Peer()
    session = RtpSession.open(host="127.0.0.1", clock=MediaClock(), prefetch=1)
    frames: list[bytes] = []
    digits: list[str] = []
    session.on_audio = frames.append
    session.on_dtmf = digits.append
    session.configure(codec="PCMU", audio_pt=0, dtmf_pt=101, remote=peer.addr)
    yield session, peer, frames, digits
    session.close()
    peer.sock.close()


def _levels(frames: list[bytes]) -> list[int]:
    return [int(round(float(np.frombuffer(f, dtype="<i2").mean()), -3)) for f in frames]


async def _settle(seconds: float) -> None:
    await asyncio.sleep(seconds * FACTOR)


async def test_in_order_packets_play_as_they_arrive_reordered_ones_in_order(pair) -> None:  # type: ignore[no-untyped-def]
    session, peer, frames, _ = pair
    p = peer.packets([1000, 2000, 3000, 4000, 5000])
    for i in (0, 1, 3, 2, 4):  # 3 overtakes 2
        peer.sock.sendto(bytes(p[i]), ("127.0.0.1", session.port))
        await asyncio.sleep(0.005)
    await _settle(0.05)
    assert _levels(frames[:5]) == [1000, 2000, 3000, 4000, 5000]


async def test_a_lost_packet_is_concealed_and_a_silent_peer_still_yields_a_continuous_line(pair) -> None:  # type: ignore[no-untyped-def]
    session, peer, frames, _ = pair
    p = peer.packets([1000, 2000, 3000, 4000])
    for i in (0, 1, 3):  # 2 is lost
        peer.sock.sendto(bytes(p[i]), ("127.0.0.1", session.port))
        await asyncio.sleep(0.02)
    for _ in range(int(200 * FACTOR)):  # concealment waits a frame or two; on a loaded CI host, longer
        if 4000 in _levels(frames):
            break
        await asyncio.sleep(0.01)
    levels = _levels(frames)
    assert levels[:2] == [1000, 2000] and 4000 in levels
    lost = levels.index(4000) - 2
    assert lost == 1  # one concealed frame where 3000 would have been
    count = len(frames)
    await _settle(0.5)  # the peer went quiet: concealment, then comfort noise, 50 frames a second
    assert 15 <= len(frames) - count <= 40 * FACTOR


async def test_paced_sending_barge_in_dtmf_and_hold(pair) -> None:  # type: ignore[no-untyped-def]
    session, peer, _, _ = pair
    await _settle(0.1)
    peer.received()
    tone = (np.sin(np.arange(160 * 50) * 0.3) * 8000).astype("<i2").tobytes()  # 1 s of bot audio
    session.queue_audio(tone)
    await _settle(0.3)
    session.clear_audio()  # barge-in
    assert session.queued_frames == 0
    await _settle(0.2)
    got = peer.received()
    loud = [int(np.abs(decode("PCMU", pk.payload).astype(np.int32)).max()) > 2000 for _, pk in got]
    assert 8 <= sum(loud) <= 25  # ~300 ms of the tone went out, paced, then it stopped
    assert not any(loud[-5:])  # silence after the barge-in
    times = [t for t, _ in got]
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) < 0.1 * FACTOR
    assert session.send_dtmf("5")
    await _settle(0.3)
    rx = DtmfReceiver(payload_type=101)
    digits = [d for _, pk in peer.received() if pk.payload_type == 101 and (d := rx.receive(pk)) is not None]
    assert digits == ["5"]
    session.on_hold = True
    await _settle(0.1)
    peer.received()
    await _settle(0.2)
    assert peer.received() == []
    session.on_hold = False
    await _settle(0.2)
    assert len(peer.received()) >= 5


async def test_strangers_and_garbage_are_dropped(pair) -> None:  # type: ignore[no-untyped-def]
    session, peer, frames, _ = pair
    p = peer.packets([1000, 2000])
    peer.sock.sendto(bytes(p[0]), ("127.0.0.1", session.port))  # latches on the peer
    await _settle(0.05)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as stranger:
        for data in (b"", b"\x80\x00", b"\xff" * 12, bytes(p[1])):
            stranger.sendto(data, ("127.0.0.1", session.port))
    await _settle(0.05)
    assert session.receiver is not None and session.receiver.stats["refused"] >= 1
    assert 2000 not in _levels(frames)
