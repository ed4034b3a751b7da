"""RFC 4733 telephone-events: payload parse/serialize, a receiver that reports each digit once,
and a sender that turns a digit into the packet sequence.

Receiving::

    rx = DtmfReceiver(payload_type=101)
    digit = rx.receive(packet)         # "5" on the first packet of a new event, else None

An event is identified by (SSRC, RTP timestamp); its updates, its three end packets, duplicates
and reordered copies report nothing more. A long event continued in a new segment
(RFC 4733 2.5.2.3: same event, timestamp advanced by the previous duration) is not a new digit.

Sending (one packet per 20 ms tick in place of the audio packet; the packetizer's timestamp
moves past the event afterwards)::

    tx = DtmfSender(packetizer, payload_type=101)
    for packet in tx.digit_packets("5", duration_ms=160): ...
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass

from voice.rtp.exceptions import RtpParseError
from voice.rtp.packet import RtpPacket
from voice.rtp.packetizer import Packetizer

__all__ = ["EVENT_DIGITS", "DtmfReceiver", "DtmfSender", "TelephoneEvent", "digit_event"]

#: event codes 0..15 (RFC 4733 3.2)
EVENT_DIGITS = "0123456789*#ABCD"


def digit_event(digit: str) -> int:
    """Event code of a DTMF digit; raise ValueError for anything else."""
    code = EVENT_DIGITS.find(digit.upper()) if len(digit) == 1 else -1
    if code < 0:
        raise ValueError("not a DTMF digit")
    return code


@dataclass(frozen=True)
class TelephoneEvent:
    event: int
    end: bool = False
    volume: int = 10
    duration: int = 0
    reserved: bool = False

    @classmethod
    def parse(cls, payload: bytes) -> TelephoneEvent:
        if len(payload) != 4:
            raise RtpParseError("telephone-event payload must be 4 bytes")
        event, flags, duration = struct.unpack("!BBH", payload)
        return cls(
            event=event,
            end=bool(flags & 0x80),
            volume=flags & 0x3F,
            duration=duration,
            reserved=bool(flags & 0x40),
        )

    def __bytes__(self) -> bytes:
        flags = (0x80 if self.end else 0) | (0x40 if self.reserved else 0) | (self.volume & 0x3F)
        return struct.pack("!BBH", self.event & 0xFF, flags, self.duration & 0xFFFF)

    @property
    def digit(self) -> str | None:
        return EVENT_DIGITS[self.event] if self.event < len(EVENT_DIGITS) else None


class DtmfReceiver:
    def __init__(self, *, payload_type: int, history: int = 32) -> None:
        self.payload_type = payload_type
        self._seen: deque[tuple[int, int]] = deque(maxlen=history)
        self._last: tuple[int, int, int, int, bool] | None = None  # ssrc, ts, event, duration, ended

    def receive(self, packet: RtpPacket) -> str | None:
        """The digit when ``packet`` starts a new event; raise RtpParseError for a bad payload."""
        if packet.payload_type != self.payload_type:
            return None
        ev = TelephoneEvent.parse(packet.payload)
        key = (packet.ssrc, packet.timestamp)
        last = self._last
        if key in self._seen:
            if last is not None and last[:2] == key:
                self._last = (*key, ev.event, max(last[3], ev.duration), last[4] or ev.end)
            return None
        continuation = (
            last is not None
            and last[0] == packet.ssrc
            and last[2] == ev.event
            and not last[4]
            and (packet.timestamp - last[1]) & 0xFFFFFFFF == last[3]
            and last[3] > 0
        )
        self._seen.append(key)
        self._last = (*key, ev.event, ev.duration, ev.end)
        return None if continuation else ev.digit


class DtmfSender:
    def __init__(self, packetizer: Packetizer, *, payload_type: int, volume: int = 10) -> None:
        self.packetizer = packetizer
        self.payload_type = payload_type
        self.volume = volume

    def digit_packets(self, digit: str, duration_ms: int = 160) -> list[RtpPacket]:
        """Packets for one key press: first with the marker, updates every frame, three end packets."""
        event = digit_event(digit)
        pk = self.packetizer
        step = pk.frame_samples
        total = max(step, 8 * duration_ms)
        start = pk.timestamp
        packets: list[RtpPacket] = []
        elapsed = step
        while elapsed < total:
            payload = bytes(TelephoneEvent(event, False, self.volume, elapsed))
            packets.append(
                pk.packet(payload, payload_type=self.payload_type, marker=not packets, timestamp=start)
            )
            elapsed += step
        end = bytes(TelephoneEvent(event, True, self.volume, min(total, 0xFFFF)))
        for _ in range(3):
            packets.append(
                pk.packet(end, payload_type=self.payload_type, marker=not packets, timestamp=start)
            )
        pk.skip(total)
        pk.mark_talkspurt()
        return packets
