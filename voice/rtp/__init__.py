"""Sans-I/O RTP for G.711 calls: no sockets, no asyncio, no clock of its own.

Modules (each docstring shows its use):

* :mod:`voice.rtp.packet`      ``RtpPacket.parse(data)`` / ``bytes(packet)`` (RFC 3550)
* :mod:`voice.rtp.g711`        µ-law / A-law ``encode(codec, pcm16)`` / ``decode(codec, data)``
* :mod:`voice.rtp.packetizer`  ``Packetizer.push(pcm8k) -> [RtpPacket]`` 20 ms frames, seq/ts/SSRC/marker
* :mod:`voice.rtp.jitter`      ``JitterBuffer.put(packet)`` / ``get() -> PlayoutFrame`` with concealment
* :mod:`voice.rtp.dtmf`        RFC 4733 ``TelephoneEvent``, ``DtmfReceiver`` (each digit once), ``DtmfSender``
* :mod:`voice.rtp.symmetric`   ``SymmetricRtp`` latching on the first packet's source
* :mod:`voice.rtp.receiver`    ``RtpReceiver`` tying the inbound side together
* :mod:`voice.rtp.exceptions`  ``RtpError`` > ``RtpParseError``

Sending a call's audio: ``Packetizer(payload_type=neg.codec.payload_type, codec=neg.codec.name)``
with ``neg`` from :func:`voice.sip.offer_answer.answer_offer`; send each packet to
``receiver.remote`` every 20 ms; DTMF with ``DtmfSender(packetizer, payload_type=neg.dtmf_payload_type)``.
"""

from __future__ import annotations

from voice.rtp.dtmf import DtmfReceiver, DtmfSender, TelephoneEvent
from voice.rtp.exceptions import RtpError, RtpParseError
from voice.rtp.g711 import decode, encode
from voice.rtp.jitter import FrameKind, JitterBuffer, PlayoutFrame
from voice.rtp.packet import RtpPacket
from voice.rtp.packetizer import Packetizer
from voice.rtp.receiver import RtpReceiver
from voice.rtp.symmetric import SymmetricRtp

__all__ = [
    "DtmfReceiver",
    "DtmfSender",
    "FrameKind",
    "JitterBuffer",
    "Packetizer",
    "PlayoutFrame",
    "RtpError",
    "RtpPacket",
    "RtpParseError",
    "RtpReceiver",
    "SymmetricRtp",
    "TelephoneEvent",
    "decode",
    "encode",
]
