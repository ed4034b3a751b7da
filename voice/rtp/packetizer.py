"""Outgoing RTP: sequence numbers, timestamps, SSRC and marker for 20 ms G.711 frames.

::

    pk = Packetizer(payload_type=0, codec="PCMU")      # random SSRC, sequence and timestamp
    for packet in pk.push(pcm8k):                       # int16 at 8 kHz, any length
        send(bytes(packet))                             # one packet per 160 samples, in order
    pk.mark_talkspurt()                                 # next packet carries the marker bit
    pk.skip(160)                                        # a 20 ms gap that is not sent (timestamp only)

Partial frames wait in the packetizer until 160 samples are there (``flush`` pads with silence).
:class:`voice.rtp.dtmf.DtmfSender` shares the packetizer's sequence and timestamp space.
"""

from __future__ import annotations

import secrets

import numpy as np
import numpy.typing as npt

from voice.rtp.g711 import encode
from voice.rtp.packet import RtpPacket

__all__ = ["Packetizer"]


class Packetizer:
    def __init__(
        self,
        *,
        payload_type: int,
        codec: str = "PCMU",
        ssrc: int | None = None,
        sequence_number: int | None = None,
        timestamp: int | None = None,
        ptime_ms: int = 20,
        clock_rate: int = 8000,
    ) -> None:
        self.payload_type = payload_type
        self.codec = codec
        self.ssrc = secrets.randbits(32) if ssrc is None else ssrc
        self.sequence_number = secrets.randbits(16) if sequence_number is None else sequence_number & 0xFFFF
        self.timestamp = secrets.randbits(32) if timestamp is None else timestamp & 0xFFFFFFFF
        self.frame_samples = clock_rate * ptime_ms // 1000
        self._pending = np.zeros(0, dtype=np.int16)
        self._marker = True

    def mark_talkspurt(self) -> None:
        """Set the marker bit on the next packet (start of a talkspurt, RFC 3551 4.1)."""
        self._marker = True

    def packet(
        self,
        payload: bytes,
        *,
        payload_type: int | None = None,
        marker: bool | None = None,
        timestamp: int | None = None,
        advance: int = 0,
    ) -> RtpPacket:
        """One packet with the next sequence number; then move the timestamp by ``advance`` samples."""
        if marker is None:
            marker, self._marker = self._marker, False
        pkt = RtpPacket(
            payload_type=self.payload_type if payload_type is None else payload_type,
            sequence_number=self.sequence_number,
            timestamp=self.timestamp if timestamp is None else timestamp & 0xFFFFFFFF,
            ssrc=self.ssrc,
            payload=payload,
            marker=marker,
        )
        self.sequence_number = (self.sequence_number + 1) & 0xFFFF
        self.skip(advance)
        return pkt

    def skip(self, samples: int) -> None:
        """Advance the timestamp without sending (silence suppression, or after a DTMF event)."""
        self.timestamp = (self.timestamp + samples) & 0xFFFFFFFF

    def push(self, pcm: npt.ArrayLike) -> list[RtpPacket]:
        """Queue 8 kHz int16 samples; return a packet per complete frame."""
        samples = np.concatenate([self._pending, np.asarray(pcm, dtype=np.int16)])
        n = self.frame_samples
        full = len(samples) // n
        out = [self.packet(encode(self.codec, samples[i * n : (i + 1) * n]), advance=n) for i in range(full)]
        self._pending = samples[full * n :]
        return out

    def flush(self) -> list[RtpPacket]:
        """Send what is pending, padded with silence to a whole frame."""
        if len(self._pending) == 0:
            return []
        pad = np.zeros(self.frame_samples - len(self._pending), dtype=np.int16)
        return self.push(pad)
