"""RTP packets, the packetizer and symmetric RTP."""

from __future__ import annotations

import numpy as np
import pytest

from voice.rtp.exceptions import RtpParseError
from voice.rtp.g711 import ulaw_decode
from voice.rtp.packet import RtpPacket, is_rtcp
from voice.rtp.packetizer import Packetizer
from voice.rtp.symmetric import SymmetricRtp

# captured shape: V=2, M=1, PT=0, seq 0x1234, ts 0x000003e8, SSRC 0xdeadbeef, 4 payload bytes
SIMPLE = bytes.fromhex("80801234000003e8deadbeef") + b"\xff\xfe\xfd\xfc"


def test_parse_and_round_trip() -> None:
    pkt = RtpPacket.parse(SIMPLE)
    assert (pkt.payload_type, pkt.marker, pkt.sequence_number, pkt.timestamp, pkt.ssrc) == (
        0,
        True,
        0x1234,
        1000,
        0xDEADBEEF,
    )
    assert pkt.payload == b"\xff\xfe\xfd\xfc"
    assert bytes(pkt) == SIMPLE


def test_csrc_extension_padding_round_trip() -> None:
    pkt = RtpPacket(
        payload_type=8,
        sequence_number=65535,
        timestamp=2**32 - 1,
        ssrc=1,
        payload=b"abc",
        csrc=[7, 8],
        extension_profile=0xBEDE,
        extension=b"\x10\x01\x00\x00",
        padding_size=3,
    )
    data = bytes(pkt)
    again = RtpPacket.parse(data)
    assert again == pkt and bytes(again) == data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x80\x00", "RTP packet length is less than 12 bytes"),
        (b"\x40" + bytes(11), "RTP packet has invalid version"),
        (b"\x82" + bytes(11) + b"\x00\x00\x00\x01", "RTP packet has truncated CSRC"),
        (b"\x90" + bytes(11) + b"\xbe\xde", "RTP packet has truncated extension"),
        (b"\x90" + bytes(11) + b"\xbe\xde\x00\x02\x00\x00\x00\x00", "RTP packet has truncated extension"),
        (b"\xa0" + bytes(11) + b"\x00", "RTP packet padding length is invalid"),
        (b"\xa0" + bytes(11) + b"ab\x05", "RTP packet padding length is invalid"),
    ],
)
def test_parse_errors(data: bytes, message: str) -> None:
    with pytest.raises(RtpParseError) as info:
        RtpPacket.parse(data)
    assert str(info.value) == message


def test_rtcp_detection() -> None:
    assert is_rtcp(b"\x81\xc8\x00\x06") and not is_rtcp(SIMPLE)


def test_packetizer_frames_sequence_timestamp_marker() -> None:
    pk = Packetizer(payload_type=0, codec="PCMU", ssrc=42, sequence_number=65534, timestamp=2**32 - 160)
    tone = (8000 * np.sin(np.arange(400) * 2 * np.pi * 440 / 8000)).astype(np.int16)
    first = pk.push(tone)
    assert len(first) == 2  # 400 samples -> 2 frames of 160, 80 pending
    assert [p.sequence_number for p in first] == [65534, 65535]
    assert [p.timestamp for p in first] == [2**32 - 160, 0]
    assert [p.marker for p in first] == [True, False]
    assert all(len(p.payload) == 160 and p.ssrc == 42 for p in first)
    rest = pk.flush()
    assert len(rest) == 1 and rest[0].sequence_number == 0 and rest[0].timestamp == 160
    decoded = ulaw_decode(b"".join(p.payload for p in first + rest))
    assert np.abs(decoded[:400].astype(int) - tone.astype(int)).max() < 300
    assert np.all(decoded[400:] == 0)
    pk.skip(1600)
    pk.mark_talkspurt()
    (after_gap,) = pk.push(np.zeros(160, dtype=np.int16))
    assert after_gap.marker and after_gap.timestamp == 320 + 1600 and after_gap.sequence_number == 1


def test_symmetric_rtp_latching() -> None:
    latch = SymmetricRtp(signalled=("203.0.113.5", 49170))
    assert latch.remote == ("203.0.113.5", 49170)
    assert latch.accept(("198.51.100.9", 31000), 0.0)  # NAT: the first packet's source wins
    assert latch.remote == ("198.51.100.9", 31000)
    assert not latch.accept(("192.0.2.66", 1234), 0.5) and latch.refused == 1
    assert latch.accept(("198.51.100.9", 31000), 1.0)
    assert latch.accept(("198.51.100.9", 31002), 3.5)  # old binding silent for 2.5 s: re-latch
    strict = SymmetricRtp(signalled=("203.0.113.5", 49170), same_host_only=True)
    assert not strict.accept(("192.0.2.66", 1234), 0.0)
    assert strict.accept(("203.0.113.5", 40000), 0.0)
