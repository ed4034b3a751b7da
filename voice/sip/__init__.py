"""Sans-I/O SIP for inbound calls: bytes in, events and bytes out; no sockets, no asyncio, no clock.

Entry points (each module docstring shows its use):

* :mod:`voice.sip.core`          ``SipCore`` (UAS endpoint): ``receive_datagram(data, addr, now)``,
  ``tick(now)``, ``next_deadline()``, ``datagrams_to_send()``, ``events()``; app actions ``ring``,
  ``answer``, ``reject``, ``send_bye``, ``send_refer``; ``SipConfig``, ``ip_allowlist``
* :mod:`voice.sip.events`        ``IncomingCall``, ``CallEstablished``, ``CallEnded`` (``EndReason``),
  ``OptionsReceived``, ``ReInvite``, ``ReferResult``, ``DtmfInfo``; ``Datagram``
* :mod:`voice.sip.offer_answer`  ``answer_offer(offer, MediaConfig(...)) -> Negotiated`` (RFC 3264)
* :mod:`voice.sip.message`       ``SipMessage.parse(data)`` -> ``SipRequest`` / ``SipResponse``; ``bytes(msg)``
* :mod:`voice.sip.framing`       datagram framing and ``StreamFramer`` for TCP
* :mod:`voice.sip.sdp`           ``SessionDescription.parse`` / ``bytes(sdp)``
* :mod:`voice.sip.transaction`, :mod:`voice.sip.client_transaction`  RFC 3261 17 state machines
* :mod:`voice.sip.dialog`        ``Dialog``; :mod:`voice.sip.uri`, :mod:`voice.sip.address`,
  :mod:`voice.sip.headers` typed header values; :mod:`voice.sip.builder` requests/responses
* :mod:`voice.sip.exceptions`    ``SipError`` tree (``SipParseError``, ``SdpParseError``, ...)

A UDP shell in a few lines::

    core = SipCore(SipConfig(host=local_ip, port=5060))
    def datagram_received(data, addr):
        core.receive_datagram(data, addr, loop.time())
        flush()
    def flush():
        for d in core.datagrams_to_send(): transport.sendto(d.data, d.addr)
        for e in core.events(): handle(e)          # may call core.answer(...), then flush() again
        deadline = core.next_deadline()           # schedule core.tick(loop.time()) + flush() then
"""

from __future__ import annotations

from voice.sip.core import SipConfig, SipCore, ip_allowlist
from voice.sip.events import (
    CallEnded,
    CallEstablished,
    Datagram,
    DtmfInfo,
    EndReason,
    IncomingCall,
    OptionsReceived,
    ReferResult,
    ReInvite,
    SipEvent,
)
from voice.sip.exceptions import SdpNegotiationError, SdpParseError, SipCallError, SipError, SipParseError
from voice.sip.message import SipMessage, SipRequest, SipResponse
from voice.sip.offer_answer import MediaConfig, Negotiated, answer_offer
from voice.sip.sdp import Direction, SessionDescription

__all__ = [
    "CallEnded",
    "CallEstablished",
    "Datagram",
    "Direction",
    "DtmfInfo",
    "EndReason",
    "IncomingCall",
    "MediaConfig",
    "Negotiated",
    "OptionsReceived",
    "ReInvite",
    "ReferResult",
    "SdpNegotiationError",
    "SdpParseError",
    "SessionDescription",
    "SipCallError",
    "SipConfig",
    "SipCore",
    "SipError",
    "SipEvent",
    "SipMessage",
    "SipParseError",
    "SipRequest",
    "SipResponse",
    "answer_offer",
    "ip_allowlist",
]
