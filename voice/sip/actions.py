"""The application's side of :class:`voice.sip.core.SipCore` (mixed into it): act on calls.

``ring(call, now)`` 180; ``answer(call, sdp, now)`` 200 with our SDP (SdpParseError if the bytes
are not SDP); ``reject(call, status, now)`` a final 3xx..6xx; ``send_bye(call, now)``;
``send_refer(call, target_uri, now)`` (SipParseError for a bad URI); ``send_info(call, body,
content_type, now)`` (an INFO inside the call; its response is not reported). Acting on a call in the
wrong state (already ended, not yet answered) raises :class:`SipCallError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from voice.sip.address import NameAddr
from voice.sip.builder import make_response, new_branch
from voice.sip.calls import Call, CallState, CallTable
from voice.sip.client_transaction import ClientNonInviteTransaction
from voice.sip.core_support import SipConfig, stamp_via
from voice.sip.dialog import Dialog
from voice.sip.events import Addr, CallEnded, Datagram, EndReason, SipEvent
from voice.sip.exceptions import SipCallError
from voice.sip.sdp import SessionDescription
from voice.sip.uri import SipUri, parse_uri
from voice.sip.validate import ALLOWED_METHODS

__all__ = ["CallActions", "ClientEntry"]


@dataclass
class ClientEntry:
    tx: ClientNonInviteTransaction
    addr: Addr
    call: str


class CallActions:
    """Call control for the application; state lives in the SipCore it is mixed into."""

    config: SipConfig
    _calls: CallTable
    _client: dict[str, ClientEntry]
    _out: list[Datagram]
    _events: list[SipEvent]

    def ring(self, call: str, now: float) -> None:
        """Send 180 Ringing."""
        c = self._calls.incoming(call)
        self._respond_call(c, 180, now)

    def answer(self, call: str, sdp: SessionDescription | bytes, now: float) -> None:
        """Send 200 OK with our SDP (an answer, or an offer when the INVITE had none)."""
        c = self._calls.incoming(call)
        local = SessionDescription.parse(sdp) if isinstance(sdp, bytes) else sdp
        c.local_sdp = local
        c.sdp_version = int(local.origin.session_version) if local.origin.session_version.isdigit() else 0
        self._respond_call(c, 200, now, body=bytes(local))
        c.state = CallState.ANSWERED

    def reject(self, call: str, status: int, now: float, *, retry_after_s: int | None = None) -> None:
        """Refuse the call with a final status 300..699 (486 busy, 488 no codec, 603 decline...)."""
        if not 300 <= status <= 699:
            raise SipCallError("reject needs a status between 300 and 699")
        c = self._calls.incoming(call)
        extra = () if retry_after_s is None else (("Retry-After", str(retry_after_s)),)
        self._respond_call(c, status, now, headers=extra)
        self._end(c, EndReason.REJECTED, status)

    def send_bye(self, call: str, now: float) -> None:
        """Hang up an answered call."""
        c = self._calls.get(call)
        if c is None or c.dialog is None or c.state not in (CallState.ANSWERED, CallState.CONFIRMED):
            raise SipCallError("call is not answered (use reject) or already ended")
        self._send_in_dialog(c, "BYE", now)
        self._end(c, EndReason.LOCAL_BYE)

    def send_refer(self, call: str, target_uri: str, now: float) -> None:
        """Ask the peer to transfer the call to ``target_uri`` (RFC 3515); progress comes as ReferResult."""
        c = self._calls.get(call)
        if c is None or c.dialog is None or c.state is not CallState.CONFIRMED:
            raise SipCallError("REFER needs a confirmed call")
        target = parse_uri(target_uri)
        me = self._local_uri()
        self._send_in_dialog(
            c, "REFER", now, headers=(("Refer-To", f"<{target}>"), ("Referred-By", f"<{me}>"))
        )

    def send_info(self, call: str, body: bytes, content_type: str, now: float) -> None:
        """Send an INFO with ``body`` inside a confirmed call (application data for the peer)."""
        c = self._calls.get(call)
        if c is None or c.dialog is None or c.state is not CallState.CONFIRMED:
            raise SipCallError("INFO needs a confirmed call")
        self._send_in_dialog(c, "INFO", now, body=body, content_type=content_type)

    def _local_uri(self) -> SipUri:
        return SipUri(host=self.config.host, user=self.config.user, port=self.config.port)

    def _contact(self) -> NameAddr:
        uri = self._local_uri()
        if self.config.transport.upper() != "UDP":
            uri.params.append(("transport", self.config.transport.lower()))
        return NameAddr(uri=uri)

    def _respond_call(
        self,
        call: Call,
        status: int,
        now: float,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> None:
        extra = list(headers)
        if 100 < status < 300:
            extra = (
                [("Contact", str(self._contact()))]
                + [("Record-Route", v) for v in call.invite.headers.get_all("record-route")]
                + extra
            )
            if status >= 200:
                extra.append(("Allow", ", ".join(ALLOWED_METHODS)))
            if call.dialog is None:
                self._calls.bind_dialog(
                    call, Dialog.from_uas(call.invite, local_tag=call.local_tag, local_cseq=1)
                )
        resp = make_response(
            call.invite,
            status,
            to_tag=call.local_tag,
            headers=extra,
            body=body,
            content_type="application/sdp" if body else None,
        )
        stamp_via(resp.headers, call.source)
        for data in call.tx.respond(resp, now):
            self._out.append(Datagram(data, call.source))

    def _send_in_dialog(
        self,
        call: Call,
        method: str,
        now: float,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        content_type: str | None = None,
    ) -> None:
        assert call.dialog is not None
        branch = new_branch()
        via = f"SIP/2.0/{self.config.transport} {self.config.host}:{self.config.port};branch={branch};rport"
        req = call.dialog.create_request(
            method, via=via, contact=self._contact(), headers=headers, body=body, content_type=content_type
        )
        tx = ClientNonInviteTransaction(req, now=now, timers=self.config.timers, reliable=call.reliable)
        self._client[branch] = ClientEntry(tx, call.source, call.ref)
        self._out.append(Datagram(tx.start(), call.source))

    def _end(self, call: Call, reason: EndReason, status: int | None = None) -> None:
        self._calls.remove(call)
        self._events.append(CallEnded(call.ref, reason, status))
