"""A scripted SIP peer (the caller's UA / trunk) for SipCore tests, and a fake clock."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from voice.sip.core import SipConfig, SipCore
from voice.sip.message import SipRequest

OFFER = (
    b"v=0\r\no=caller 53655765 2353687637 IN IP4 203.0.113.5\r\ns=-\r\nc=IN IP4 203.0.113.5\r\n"
    b"t=0 0\r\nm=audio 49170 RTP/AVP 8 0 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:0 PCMU/8000\r\n"
    b"a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv\r\n"
)


@dataclass
class Peer:
    """Builds the requests a caller's UA sends and answers the requests the core sends."""

    addr: tuple[str, int] = ("203.0.113.5", 5062)
    call_id: str = "a84b4c76e66710@pc33.example.com"
    from_tag: str = "1928301774"
    to_tag: str | None = None
    cseq: int = 314159
    sent: list[bytes] = field(default_factory=list)

    def request(
        self,
        method: str,
        *,
        branch: str,
        cseq: int | None = None,
        body: bytes = b"",
        ctype: str | None = None,
        extra: tuple[str, ...] = (),
        to_tag: str | None = None,
        uri: str = "sip:concierge@192.0.2.10",
    ) -> bytes:
        tag = to_tag if to_tag is not None else self.to_tag
        number = self.cseq if cseq is None else cseq
        lines = [
            f"{method} {uri} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.addr[0]}:{self.addr[1]};branch={branch};rport",
            "Max-Forwards: 70",
            f"To: <sip:concierge@example.com>{';tag=' + tag if tag else ''}",
            f'From: "Caller" <sip:+15551230000@example.com>;tag={self.from_tag}',
            f"Call-ID: {self.call_id}",
            f"CSeq: {number} {'INVITE' if method == 'ACK' and cseq is None else method}",
            f"Contact: <sip:caller@{self.addr[0]}:{self.addr[1]}>",
            *extra,
        ]
        if ctype:
            lines.append(f"Content-Type: {ctype}")
        lines.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        self.sent.append(data)
        return data

    def invite(
        self, *, branch: str = "z9hG4bK776asdhds", body: bytes = OFFER, extra: tuple[str, ...] = ()
    ) -> bytes:
        return self.request(
            "INVITE", branch=branch, body=body, ctype="application/sdp" if body else None, extra=extra
        )

    def answer(self, request: SipRequest, status: int, reason: str, *, body: bytes = b"") -> bytes:
        """A response to a request the core sent us (To tag is ours: the peer's from_tag)."""
        lines = [f"SIP/2.0 {status} {reason}"]
        lines += [f"Via: {v}" for v in request.headers.get_all("via")]
        lines += [
            f"From: {request.headers.get('from')}",
            f"To: {request.headers.get('to')}",
            f"Call-ID: {request.headers.get('call-id')}",
            f"CSeq: {request.headers.get('cseq')}",
            f"Content-Length: {len(body)}",
        ]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@pytest.fixture
def peer() -> Peer:
    return Peer()


@pytest.fixture
def core() -> SipCore:
    return SipCore(SipConfig(host="192.0.2.10", port=5060, max_calls=2))
