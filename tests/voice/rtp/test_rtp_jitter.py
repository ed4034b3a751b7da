"""Jitter buffer: reordering, loss concealment, late drops, bounds, wrap-around, receiver."""

from __future__ import annotations

import numpy as np

from voice.rtp.dtmf import TelephoneEvent
from voice.rtp.g711 import ulaw_encode
from voice.rtp.jitter import FrameKind, JitterBuffer
from voice.rtp.packet import RtpPacket
from voice.rtp.receiver import RtpReceiver


def frame(seq: int, level: int = 1000, ssrc: int = 1) -> RtpPacket:
    pcm = np.full(160, level, dtype=np.int16)
    return RtpPacket(
        payload_type=0,
        sequence_number=seq & 0xFFFF,
        timestamp=(seq * 160) & 0xFFFFFFFF,
        ssrc=ssrc,
        payload=ulaw_encode(pcm),
    )


def test_reorders_within_window_and_prefetches() -> None:
    jb = JitterBuffer(prefetch=3)
    for seq in (11, 10, 13, 12):
        assert jb.put(frame(seq, level=seq * 100))
    frames = [jb.get() for _ in range(4)]
    assert [f.kind for f in frames] == [FrameKind.AUDIO] * 4
    assert [f.sequence for f in frames] == [10, 11, 12, 13]
    assert [round(int(f.pcm[0]) / 100) for f in frames] == [10, 11, 12, 13]  # µ-law within 2%


def test_prefetch_silence_then_start() -> None:
    jb = JitterBuffer(prefetch=2)
    assert jb.get().kind is FrameKind.PREFETCH
    jb.put(frame(5))
    assert jb.get().kind is FrameKind.PREFETCH
    jb.put(frame(6))
    assert jb.get().sequence == 5


def test_loss_concealment_then_comfort_noise_and_late_drop() -> None:
    jb = JitterBuffer(prefetch=1, max_conceal=2, seed=1)
    jb.put(frame(0, level=8000))
    assert jb.get().kind is FrameKind.AUDIO
    jb.put(frame(4))  # 1, 2, 3 lost
    kinds = [jb.get() for _ in range(3)]
    assert [k.kind for k in kinds] == [FrameKind.CONCEALED, FrameKind.CONCEALED, FrameKind.COMFORT_NOISE]
    assert 0 < abs(int(kinds[1].pcm[0])) < abs(int(kinds[0].pcm[0])) < 8000  # fading repeat
    assert np.abs(kinds[2].pcm.astype(int)).max() <= 24
    assert not jb.put(frame(2))  # its slot has been concealed: late
    assert jb.stats.late == 1
    assert jb.get().sequence == 4
    assert not jb.put(frame(4)) and jb.stats.duplicate == 0 and jb.stats.late == 2


def test_underrun_keeps_position_and_duplicates_dropped() -> None:
    jb = JitterBuffer(prefetch=1)
    jb.put(frame(1))
    jb.get()
    assert jb.get().kind is FrameKind.CONCEALED  # nothing buffered: wait, do not skip
    jb.put(frame(2))
    assert not jb.put(frame(2)) and jb.stats.duplicate == 1
    assert jb.get().sequence == 2


def test_bounded_and_catches_up_after_burst() -> None:
    jb = JitterBuffer(prefetch=2, capacity=20, max_depth=6)
    for seq in range(2):
        jb.put(frame(seq))
    jb.get()
    for seq in range(2, 15):  # a burst after a stall
        jb.put(frame(seq))
    got = jb.get()
    assert got.kind is FrameKind.AUDIO and len(jb) <= 6
    assert jb.stats.skipped > 0
    for seq in range(1000, 1005):  # a jump beyond capacity: resynchronise
        jb.put(frame(seq))
    assert jb.stats.resyncs == 1
    assert [jb.get().sequence for _ in range(3)] == [1000, 1001, 1002]


def test_sequence_wrap_around() -> None:
    jb = JitterBuffer(prefetch=2)
    for seq in (65534, 65535, 0, 1):
        jb.put(frame(seq))
    assert [jb.get().sequence for _ in range(4)] == [65534, 65535, 0, 1]


def test_new_ssrc_resyncs() -> None:
    jb = JitterBuffer(prefetch=1)
    jb.put(frame(100))
    jb.get()
    jb.put(frame(5, ssrc=2))
    assert jb.stats.resyncs == 1 and jb.get().sequence == 5


def test_receiver_demuxes_and_survives_garbage() -> None:
    rx = RtpReceiver(
        codec="PCMU", audio_payload_type=0, dtmf_payload_type=101, signalled=("203.0.113.5", 4000)
    )
    src = ("203.0.113.5", 4000)
    for seq in range(3):
        assert rx.receive_datagram(bytes(frame(seq)), src, seq * 0.02) is None
    dtmf = RtpPacket(
        payload_type=101,
        sequence_number=3,
        timestamp=480,
        ssrc=1,
        payload=bytes(TelephoneEvent(9, False, 10, 160)),
    )
    assert rx.receive_datagram(bytes(dtmf), src, 0.06) == "9"
    assert rx.receive_datagram(bytes(dtmf), src, 0.07) is None
    assert rx.receive_datagram(b"\x80", src, 0.08) is None
    assert rx.receive_datagram(b"\x81\xc8\x00\x06" + bytes(24), src, 0.09) is None
    bad_event = RtpPacket(payload_type=101, sequence_number=4, timestamp=1, ssrc=1, payload=b"\x00")
    assert rx.receive_datagram(bytes(bad_event), src, 0.1) is None
    assert rx.receive_datagram(bytes(frame(9)), ("192.0.2.99", 5), 0.1) is None
    assert rx.stats == {"malformed": 2, "rtcp": 1, "refused": 1, "other_payload": 0}
    assert [rx.get_frame().kind for _ in range(3)] == [FrameKind.AUDIO] * 3
    assert rx.remote == src
