"""RFC 4733 telephone-events: payload format, digits detected once, generation."""

from __future__ import annotations

import pytest

from voice.rtp.dtmf import DtmfReceiver, DtmfSender, TelephoneEvent, digit_event
from voice.rtp.exceptions import RtpParseError
from voice.rtp.packet import RtpPacket
from voice.rtp.packetizer import Packetizer


def test_payload_format() -> None:
    ev = TelephoneEvent.parse(bytes.fromhex("058a0320"))  # event 5, E=1, volume 10, duration 800
    assert (ev.event, ev.end, ev.volume, ev.duration, ev.digit) == (5, True, 10, 800, "5")
    assert bytes(ev) == bytes.fromhex("058a0320")
    assert TelephoneEvent.parse(bytes.fromhex("0b0a00a0")).digit == "#"
    assert TelephoneEvent.parse(bytes.fromhex("200a00a0")).digit is None  # event 32: not DTMF
    with pytest.raises(RtpParseError, match="telephone-event payload must be 4 bytes"):
        TelephoneEvent.parse(b"\x05\x8a")
    assert [digit_event(d) for d in "09*#AD"] == [0, 9, 10, 11, 12, 15]
    with pytest.raises(ValueError):
        digit_event("E")


def _event(ts: int, seq: int, event: int, duration: int, end: bool = False, ssrc: int = 7) -> RtpPacket:
    return RtpPacket(
        payload_type=101,
        sequence_number=seq,
        timestamp=ts,
        ssrc=ssrc,
        payload=bytes(TelephoneEvent(event, end, 10, duration)),
    )


def test_each_digit_detected_once() -> None:
    rx = DtmfReceiver(payload_type=101)
    stream = [
        _event(1000, 1, 1, 160),
        _event(1000, 2, 1, 320),
        _event(1000, 2, 1, 320),  # duplicate
        _event(1000, 4, 1, 640, True),
        _event(1000, 3, 1, 480),  # reordered update after end
        _event(1000, 5, 1, 640, True),
        _event(1000, 6, 1, 640, True),  # redundant end packets
        _event(2000, 7, 1, 160),
        _event(2000, 8, 1, 400, True),  # same digit pressed again
        _event(3000, 11, 11, 400, True),
    ]  # only end packets survived the network
    digits = [d for p in stream if (d := rx.receive(p)) is not None]
    assert digits == ["1", "1", "#"]
    assert rx.receive(RtpPacket(payload_type=0, payload=b"\xff" * 160)) is None  # audio is ignored


def test_long_event_segments_are_one_digit() -> None:
    rx = DtmfReceiver(payload_type=101)
    assert rx.receive(_event(0, 1, 0, 65535)) == "0"
    assert rx.receive(_event(65535, 2, 0, 800)) is None  # continuation segment (RFC 4733 2.5.2.3)
    assert rx.receive(_event(65535, 3, 0, 800, True)) is None


def test_sender_packets_and_loopback() -> None:
    pk = Packetizer(payload_type=0, ssrc=9, sequence_number=100, timestamp=8000)
    tx = DtmfSender(pk, payload_type=101)
    packets = tx.digit_packets("7", duration_ms=100)  # 800 samples
    events = [TelephoneEvent.parse(p.payload) for p in packets]
    assert [e.duration for e in events] == [160, 320, 480, 640, 800, 800, 800]
    assert [e.end for e in events] == [False] * 4 + [True] * 3
    assert [p.marker for p in packets] == [True] + [False] * 6
    assert {p.timestamp for p in packets} == {8000}
    assert [p.sequence_number for p in packets] == list(range(100, 107))
    assert pk.timestamp == 8800 and pk.sequence_number == 107  # audio resumes after the event
    rx = DtmfReceiver(payload_type=101)
    got = [
        d
        for p in packets + tx.digit_packets("*")
        for p in [RtpPacket.parse(bytes(p))]
        if (d := rx.receive(p)) is not None
    ]
    assert got == ["7", "*"]
