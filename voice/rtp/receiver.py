"""One inbound RTP stream: parse, latch, split DTMF from audio, jitter-buffer the audio.

The UDP shell hands every datagram from the call's RTP port to ``receive_datagram`` and pulls
a 20 ms frame from ``get_frame`` on its playout clock::

    rx = RtpReceiver(codec="PCMU", audio_payload_type=0, dtmf_payload_type=101,
                     signalled=("203.0.113.5", 49170))
    digit = rx.receive_datagram(data, addr, now)    # "5" once per key press, else None
    frame = rx.get_frame()                            # PlayoutFrame: 160 int16 samples at 8 kHz
    send_to = rx.remote                               # symmetric RTP: where to send our audio

Malformed packets, RTCP, packets from strangers and unknown payload types are counted in
``stats`` and dropped; nothing raises.
"""

from __future__ import annotations

from voice.rtp.dtmf import DtmfReceiver
from voice.rtp.exceptions import RtpParseError
from voice.rtp.jitter import JitterBuffer, PlayoutFrame
from voice.rtp.packet import RtpPacket, is_rtcp
from voice.rtp.symmetric import Addr, SymmetricRtp

__all__ = ["RtpReceiver"]


class RtpReceiver:
    def __init__(
        self,
        *,
        codec: str = "PCMU",
        audio_payload_type: int = 0,
        dtmf_payload_type: int | None = None,
        signalled: Addr | None = None,
        jitter: JitterBuffer | None = None,
    ) -> None:
        self.audio_payload_type = audio_payload_type
        self.latch = SymmetricRtp(signalled=signalled)
        self.jitter = jitter or JitterBuffer(codec=codec)
        self.dtmf = DtmfReceiver(payload_type=dtmf_payload_type) if dtmf_payload_type is not None else None
        self.stats: dict[str, int] = {"malformed": 0, "rtcp": 0, "refused": 0, "other_payload": 0}

    @property
    def remote(self) -> Addr | None:
        return self.latch.remote

    def receive_datagram(self, data: bytes, addr: Addr, now: float) -> str | None:
        if is_rtcp(data):
            self.stats["rtcp"] += 1
            return None
        try:
            packet = RtpPacket.parse(data)
        except RtpParseError:
            self.stats["malformed"] += 1
            return None
        if not self.latch.accept(addr, now):
            self.stats["refused"] += 1
            return None
        if self.dtmf is not None and packet.payload_type == self.dtmf.payload_type:
            try:
                digit = self.dtmf.receive(packet)
            except RtpParseError:
                self.stats["malformed"] += 1
                return None
            self.jitter.put(packet, audio=False)
            return digit
        if packet.payload_type == self.audio_payload_type:
            self.jitter.put(packet)
        else:
            self.stats["other_payload"] += 1
        return None

    def get_frame(self) -> PlayoutFrame:
        return self.jitter.get()
