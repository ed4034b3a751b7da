"""Dialog state (RFC 3261 12): identifiers, CSeq spaces, route set and remote target.

A UAS creates its dialog from the INVITE it answers::

    dialog = Dialog.from_uas(invite, local_tag="a1b2")
    bye = dialog.create_request("BYE", via="SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK...")
    dialog.accept_remote_cseq(request.cseq.number)   # False: out of order, answer 500
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from voice.sip.address import NameAddr
from voice.sip.builder import make_request
from voice.sip.message import SipRequest
from voice.sip.uri import SipUri, Uri

__all__ = ["Dialog", "DialogId"]

DialogId = tuple[str, str, str]


@dataclass
class Dialog:
    call_id: str
    local_tag: str
    remote_tag: str
    local_uri: NameAddr
    remote_uri: NameAddr
    remote_target: Uri
    route_set: list[NameAddr] = field(default_factory=list)
    local_cseq: int = 0
    remote_cseq: int | None = None

    @property
    def id(self) -> DialogId:
        """(Call-ID, local tag, remote tag); the remote tag is '' for RFC 2543 peers without one."""
        return (self.call_id, self.local_tag, self.remote_tag)

    @classmethod
    def from_uas(cls, request: SipRequest, *, local_tag: str, local_cseq: int = 0) -> Dialog:
        """The dialog a UAS gets by answering ``request`` with To tag ``local_tag``."""
        from_addr = request.from_addr
        contacts = request.contacts
        target = contacts[0].uri if contacts else from_addr.uri
        return cls(
            call_id=request.call_id,
            local_tag=local_tag,
            remote_tag=from_addr.tag or "",
            local_uri=request.to_addr.with_tag(local_tag),
            remote_uri=from_addr,
            remote_target=target,
            route_set=list(request.record_routes),
            local_cseq=local_cseq,
            remote_cseq=request.cseq.number,
        )

    def accept_remote_cseq(self, number: int) -> bool:
        """Record an in-dialog request's CSeq; False when it is lower than the last one."""
        if self.remote_cseq is not None and number < self.remote_cseq:
            return False
        self.remote_cseq = number
        return True

    def create_request(
        self,
        method: str,
        *,
        via: str,
        contact: NameAddr | None = None,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        content_type: str | None = None,
    ) -> SipRequest:
        """A new in-dialog request (RFC 3261 12.2.1.1), loose or strict routing; bumps the local CSeq."""
        self.local_cseq += 1
        uri: Uri = self.remote_target
        routes = list(self.route_set)
        if routes and isinstance(routes[0].uri, SipUri) and not routes[0].uri.is_loose_route:
            uri = routes[0].uri
            routes = routes[1:] + [NameAddr(uri=self.remote_target)]
        return make_request(
            method,
            uri,
            via=via,
            from_addr=self.local_uri,
            to_addr=self.remote_uri,
            call_id=self.call_id,
            cseq=self.local_cseq,
            contact=contact,
            routes=routes,
            headers=headers,
            body=body,
            content_type=content_type,
        )
