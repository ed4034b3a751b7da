"""What :class:`voice.sip.core.SipCore` reports to the application, and what it sends.

Every call the core announces with :class:`IncomingCall` ends with exactly one
:class:`CallEnded`. ``call`` fields are the core's opaque call handles (not SIP Call-IDs).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from voice.sip.sdp import SessionDescription

__all__ = [
    "Addr",
    "CallEnded",
    "CallEstablished",
    "Datagram",
    "DtmfInfo",
    "EndReason",
    "IncomingCall",
    "OptionsReceived",
    "ReInvite",
    "ReferResult",
    "SipEvent",
]

Addr = tuple[str, int]


@dataclass(frozen=True)
class Datagram:
    """Bytes to send to ``addr`` (over the transport the peer used)."""

    data: bytes
    addr: Addr


class EndReason(enum.Enum):
    REMOTE_BYE = "remote_bye"
    LOCAL_BYE = "local_bye"
    CANCELLED = "cancelled"
    REJECTED = "rejected"
    NO_ACK = "no_ack"


@dataclass(frozen=True)
class IncomingCall:
    """A new INVITE: answer with ``core.answer``/``core.ring`` or ``core.reject``.

    ``offer`` is None for an INVITE without SDP (the answer to our offer then comes in the ACK).
    ``caller``/``callee``/``request_uri`` are caller data: keep them out of logs.
    """

    call: str
    source: Addr
    offer: SessionDescription | None
    caller: str
    callee: str
    request_uri: str
    sip_call_id: str


@dataclass(frozen=True)
class CallEstablished:
    """The ACK for our 200 arrived; ``answer`` is the SDP it carried (delayed-offer calls)."""

    call: str
    answer: SessionDescription | None = None


@dataclass(frozen=True)
class CallEnded:
    """The call is over (``status`` is the final response code for REJECTED)."""

    call: str
    reason: EndReason
    status: int | None = None


@dataclass(frozen=True)
class OptionsReceived:
    """An OPTIONS (health probe) was answered: 200, or 503 while the core is not accepting (draining)."""

    source: Addr
    call: str | None = None


@dataclass(frozen=True)
class ReInvite:
    """A re-INVITE was answered automatically; ``on_hold`` says the peer holds the call."""

    call: str
    offer: SessionDescription
    answer: SessionDescription
    on_hold: bool


@dataclass(frozen=True)
class ReferResult:
    """Progress of our REFER: 202 from the REFER itself, then NOTIFY sipfrag codes; ``final``
    is True on the last one (a final sipfrag, an error response, or a timeout as 408)."""

    call: str
    status: int
    final: bool


@dataclass(frozen=True)
class DtmfInfo:
    """A digit signalled with SIP INFO (application/dtmf-relay or application/dtmf)."""

    call: str
    digit: str
    duration_ms: int | None = None


SipEvent = IncomingCall | CallEstablished | CallEnded | OptionsReceived | ReInvite | ReferResult | DtmfInfo
