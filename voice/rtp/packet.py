"""RTP packets (RFC 3550 section 5.1): ``RtpPacket.parse(data)`` and ``bytes(packet)``.

``bytes(RtpPacket.parse(x)) == x`` for every packet that parses (CSRCs, header extension and
padding are kept). Errors raise :class:`voice.rtp.exceptions.RtpParseError`::

    pkt = RtpPacket(payload_type=0, sequence_number=1, timestamp=160, ssrc=0x1234, payload=b"...")
    data = bytes(pkt)
    RtpPacket.parse(data).payload
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from voice.rtp.exceptions import RtpParseError

__all__ = ["RTP_HEADER_LENGTH", "RtpPacket", "is_rtcp"]

RTP_HEADER_LENGTH = 12
_HEADER = struct.Struct("!BBHII")


def is_rtcp(data: bytes) -> bool:
    """True for RTCP sharing the port (RFC 5761: packet types 192..223 in byte 1)."""
    return len(data) >= 2 and 192 <= data[1] <= 223


@dataclass
class RtpPacket:
    payload_type: int = 0
    sequence_number: int = 0
    timestamp: int = 0
    ssrc: int = 0
    payload: bytes = b""
    marker: bool = False
    csrc: list[int] = field(default_factory=list)
    extension_profile: int | None = None
    extension: bytes = b""
    padding_size: int = 0

    @classmethod
    def parse(cls, data: bytes) -> RtpPacket:
        if len(data) < RTP_HEADER_LENGTH:
            raise RtpParseError("RTP packet length is less than 12 bytes")
        first, second, seq, ts, ssrc = _HEADER.unpack_from(data)
        if first >> 6 != 2:
            raise RtpParseError("RTP packet has invalid version")
        pos = RTP_HEADER_LENGTH
        cc = first & 0x0F
        if len(data) < pos + 4 * cc:
            raise RtpParseError("RTP packet has truncated CSRC")
        csrc = list(struct.unpack_from(f"!{cc}I", data, pos))
        pos += 4 * cc
        profile: int | None = None
        ext = b""
        if first & 0x10:
            if len(data) < pos + 4:
                raise RtpParseError("RTP packet has truncated extension")
            profile, words = struct.unpack_from("!HH", data, pos)
            pos += 4
            if len(data) < pos + 4 * words:
                raise RtpParseError("RTP packet has truncated extension")
            ext = data[pos : pos + 4 * words]
            pos += 4 * words
        end = len(data)
        padding = 0
        if first & 0x20:
            padding = data[-1]
            if padding == 0 or end - padding < pos:
                raise RtpParseError("RTP packet padding length is invalid")
            end -= padding
        return cls(
            payload_type=second & 0x7F,
            sequence_number=seq,
            timestamp=ts,
            ssrc=ssrc,
            payload=data[pos:end],
            marker=bool(second & 0x80),
            csrc=csrc,
            extension_profile=profile,
            extension=ext,
            padding_size=padding,
        )

    def __bytes__(self) -> bytes:
        first = 0x80 | len(self.csrc)
        if self.padding_size:
            first |= 0x20
        if self.extension_profile is not None:
            first |= 0x10
        out = bytearray(
            _HEADER.pack(
                first,
                (0x80 if self.marker else 0) | self.payload_type,
                self.sequence_number & 0xFFFF,
                self.timestamp & 0xFFFFFFFF,
                self.ssrc & 0xFFFFFFFF,
            )
        )
        for c in self.csrc:
            out += struct.pack("!I", c)
        if self.extension_profile is not None:
            ext = self.extension + b"\x00" * (-len(self.extension) % 4)
            out += struct.pack("!HH", self.extension_profile, len(ext) // 4) + ext
        out += self.payload
        if self.padding_size:
            out += b"\x00" * (self.padding_size - 1) + bytes([self.padding_size])
        return bytes(out)
