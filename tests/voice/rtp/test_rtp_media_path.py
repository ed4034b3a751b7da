"""A call's media path end to end, in memory: negotiated codec -> packetizer -> lossy, reordering,
duplicating channel -> receiver (latch, DTMF, jitter buffer). Deterministic (seeded)."""

from __future__ import annotations

import random

import numpy as np

from voice.rtp.dtmf import DtmfSender
from voice.rtp.jitter import FrameKind
from voice.rtp.packet import RtpPacket
from voice.rtp.packetizer import Packetizer
from voice.rtp.receiver import RtpReceiver
from voice.sip.offer_answer import MediaConfig, answer_offer, make_offer
from voice.sip.sdp import SessionDescription


def channel(
    packets: list[RtpPacket], rng: random.Random, *, loss: float, dup: float, jitter_frames: int
) -> list[tuple[float, bytes]]:
    """(arrival time, datagram) for packets sent every 20 ms, with loss, duplication and jitter."""
    out = []
    for i, pkt in enumerate(packets):
        if rng.random() < loss:
            continue
        for _ in range(2 if rng.random() < dup else 1):
            out.append((i * 0.02 + rng.uniform(0, jitter_frames * 0.02), bytes(pkt)))
    return sorted(out)


def test_audio_and_dtmf_survive_a_bad_network() -> None:
    caller = MediaConfig(address="203.0.113.5", port=49170)
    offer = SessionDescription.parse(bytes(make_offer(caller, dtmf_payload_type=101)))
    neg = answer_offer(offer, MediaConfig(address="192.0.2.10", port=40000, codecs=("PCMA", "PCMU")))
    assert neg.dtmf_payload_type == 101
    # the caller sends 2 s of a 440 Hz tone with the digits 4, 2 in the middle, in the negotiated codec
    pk = Packetizer(payload_type=neg.codec.payload_type, codec=neg.codec.name, ssrc=77, sequence_number=65500)
    dtmf = DtmfSender(pk, payload_type=101)
    t = np.arange(8000 * 2)
    tone = (6000 * np.sin(2 * np.pi * 440 * t / 8000)).astype(np.int16)
    packets = (
        pk.push(tone[:8000])
        + dtmf.digit_packets("4", 120)
        + dtmf.digit_packets("2", 120)
        + pk.push(tone[8000:])
    )
    arrivals = channel(packets, random.Random(5), loss=0.03, dup=0.05, jitter_frames=2)
    rx = RtpReceiver(
        codec=neg.codec.name,
        audio_payload_type=neg.codec.payload_type,
        dtmf_payload_type=101,
        signalled=(neg.remote_address, neg.remote_port),
    )
    digits: list[str] = []
    frames = []
    clock = 0.0
    pending = list(arrivals)
    while clock < 2.6:  # playout clock: one frame per 20 ms, starting with the first arrival
        while pending and pending[0][0] <= clock:
            _, data = pending.pop(0)
            digit = rx.receive_datagram(data, ("198.51.100.20", 30000), clock)
            if digit:
                digits.append(digit)
        frames.append(rx.get_frame())
        clock += 0.02
    assert digits == ["4", "2"]  # exactly once each, despite duplicates and loss
    assert rx.remote == ("198.51.100.20", 30000)  # symmetric RTP latched the NAT address
    kinds = [f.kind for f in frames]
    audio = kinds.count(FrameKind.AUDIO)
    assert 90 <= audio <= 100  # 100 audio frames sent, ~3 % lost
    assert kinds.count(FrameKind.EVENT) == 16  # key-press slots play as silence, not as losses
    assert rx.jitter.stats.duplicate >= 1 and rx.jitter.stats.concealed >= 1
    played = np.concatenate([f.pcm for f in frames if f.kind is FrameKind.AUDIO]).astype(np.float64)
    assert np.sqrt(np.mean(played**2)) > 3000  # the tone came through (RMS of 6000 amplitude sine ~ 4243)
