"""SipCore: a sans-I/O SIP user agent server for inbound calls (RFC 3261, 3264, 3515).

The shell owns sockets and the clock; the core owns SIP. Feed it datagrams, give it the time,
and after every call drain what it produced::

    core = SipCore(SipConfig(host="192.0.2.10", port=5060, max_calls=20,
                             source_policy=ip_allowlist(["203.0.113.0/24"])))
    core.receive_datagram(data, ("203.0.113.5", 5060), now=loop.time())
    for dgram in core.datagrams_to_send():   # Datagram(data, addr)
        transport.sendto(dgram.data, dgram.addr)
    for event in core.events():              # IncomingCall, CallEstablished, CallEnded, ...
        ...
    deadline = core.next_deadline()          # call core.tick(now) then (None: no timer pending)

The application acts on calls by handle (``event.call``, see :mod:`voice.sip.actions`): ``ring``, ``answer(call, sdp)``,
``reject(call, status)``, ``send_bye``, ``send_refer(call, "sip:desk@pbx.example.com")``;
each takes ``now``. Requests inside a dialog go to the address the call's INVITE came from
(no DNS here). For TCP, pass each message cut by :class:`voice.sip.framing.StreamFramer` with
``reliable=True`` and map ``addr`` back to its connection; timers then skip retransmissions.

Handled for the application: 100 Trying; retransmissions (timers G, H, I, J, E, F, K);
CANCEL (200 + 487, CallEnded CANCELLED); BYE; OPTIONS (200 with Allow; outside a dialog 503 while
``accepting`` is False, so a dispatcher's probe takes a draining server out); re-INVITE answered
from our last SDP (ReInvite event with ``on_hold``), 488 when it has no codec in common;
NOTIFY with message/sipfrag for our REFER (ReferResult), INFO DTMF (DtmfInfo).
Refused: malformed requests 400 (when they can be framed), sources the policy rejects 403,
new INVITEs at capacity or over ``invite_rate`` 503 with Retry-After, then the checks of :mod:`voice.sip.validate`
(505, 400, 416, 420, 405, 501, 415, 406), unknown dialogs 481, out-of-order CSeq 500.
Malformed responses and responses that match no transaction are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from voice.sip.actions import CallActions, ClientEntry
from voice.sip.body import find_sdp, sipfrag_status
from voice.sip.builder import make_response, new_tag
from voice.sip.calls import Call, CallState, CallTable
from voice.sip.client_transaction import ClientState
from voice.sip.core_support import (
    SipConfig,
    TokenBucket,
    dtmf_info,
    ip_allowlist,
    offer_of,
    server_key,
    stamp_via,
)
from voice.sip.events import (
    Addr,
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
from voice.sip.exceptions import SdpNegotiationError, SdpParseError, SipParseError
from voice.sip.message import SipMessage, SipRequest, SipResponse
from voice.sip.offer_answer import is_hold, reanswer
from voice.sip.sdp import SessionDescription
from voice.sip.timers import TxResult
from voice.sip.transaction import (
    ServerInviteState,
    ServerInviteTransaction,
    ServerNonInviteState,
    ServerNonInviteTransaction,
)
from voice.sip.validate import ALLOWED_METHODS, Rejection, check_request

__all__ = ["SipConfig", "SipCore", "ip_allowlist"]


ServerTx = ServerInviteTransaction | ServerNonInviteTransaction
_MANDATORY = ("via", "from", "to", "call-id", "cseq")


@dataclass
class _ServerEntry:
    tx: ServerTx
    addr: Addr
    call: str | None = None


class SipCore(CallActions):
    """See the module docstring."""

    def __init__(self, config: SipConfig) -> None:
        self.config = config
        self.accepting = True
        self.stats = dict.fromkeys(("malformed", "dropped", "rejected", "rate_limited", "unavailable"), 0)
        rate = config.invite_rate
        self._bucket = TokenBucket(rate, config.invite_burst) if rate is not None else None
        self._calls = CallTable()
        self._server: dict[tuple[str, ...], _ServerEntry] = {}
        self._client: dict[str, ClientEntry] = {}
        self._events: list[SipEvent] = []
        self._out: list[Datagram] = []

    # ------------------------------------------------------------------ shell side

    def events(self) -> list[SipEvent]:
        """Events produced since the last call (drained)."""
        out, self._events = self._events, []
        return out

    def datagrams_to_send(self) -> list[Datagram]:
        """Messages to transmit since the last call (drained)."""
        out, self._out = self._out, []
        return out

    def next_deadline(self) -> float | None:
        times = [e.tx.deadline for e in self._server.values()] + [
            e.tx.deadline for e in self._client.values()
        ]
        present = [t for t in times if t is not None]
        return min(present) if present else None

    def active_calls(self) -> list[str]:
        return self._calls.active()

    def receive_datagram(self, data: bytes, addr: Addr, now: float, *, reliable: bool = False) -> None:
        """Process one datagram (or one message framed from a stream when ``reliable``)."""
        try:
            msg = SipMessage.parse(data)
        except SipParseError as exc:
            self.stats["malformed"] += 1
            raw = exc.raw
            if (
                raw is not None
                and raw.is_request
                and raw.method != "ACK"
                and raw.headers.get("via")
                and self._allowed(addr)
            ):
                self._send(make_response(raw, 400, to_tag=new_tag()), addr)
            return
        if isinstance(msg, SipResponse):
            self._on_response(msg, now)
        else:
            self._on_request(msg, addr, now, reliable)

    def tick(self, now: float) -> None:
        """Run every timer due at ``now``."""
        for key, entry in list(self._server.items()):
            deadline = entry.tx.deadline
            if deadline is not None and deadline <= now:
                res = entry.tx.tick(now)
                self._send_all(res, entry.addr)
                if res.timed_out:
                    self._server_timeout(entry)
            if entry.tx.state in (ServerInviteState.TERMINATED, ServerNonInviteState.TERMINATED):
                del self._server[key]
        for branch, centry in list(self._client.items()):
            deadline = centry.tx.deadline
            if deadline is not None and deadline <= now:
                res = centry.tx.tick(now)
                self._send_all(res, centry.addr)
                if res.timed_out and centry.tx.request.method == "REFER":
                    self._events.append(ReferResult(centry.call, 408, True))
            if centry.tx.state is ClientState.TERMINATED:
                del self._client[branch]

    # ------------------------------------------------------------------ requests

    def _on_request(self, req: SipRequest, addr: Addr, now: float, reliable: bool) -> None:
        if any(name not in req.headers for name in _MANDATORY) or not req.vias:
            if req.method != "ACK" and req.headers.get("via") and self._allowed(addr):
                self._send(make_response(req, 400, to_tag=new_tag()), addr)
            self.stats["rejected"] += 1
            return
        if req.method == "ACK":
            self._on_ack(req, now)
            return
        key = server_key(req, req.method)
        existing = self._server.get(key)
        if existing is not None:
            self._send_all(existing.tx.receive(req, now), existing.addr)
            return
        if (
            req.method == "INVITE"
            and self._bucket is not None
            and not req.to_addr.tag
            and not self._bucket.take(now)
        ):
            self.stats["rate_limited"] += 1
            self._send(
                make_response(
                    req, 503, to_tag=new_tag(), headers=(("Retry-After", str(self.config.retry_after_s)),)
                ),
                addr,
            )
            return
        tx: ServerTx
        if req.method == "INVITE":
            tx = ServerInviteTransaction(req, now=now, timers=self.config.timers, reliable=reliable)
        else:
            tx = ServerNonInviteTransaction(req, now=now, timers=self.config.timers, reliable=reliable)
        entry = _ServerEntry(tx, addr)
        self._server[key] = entry
        rejection: Rejection | None = None if self._allowed(addr) else Rejection(403)
        if rejection is None:
            rejection = check_request(req, supported=self.config.supported)
        if rejection is not None:
            self.stats["rejected"] += 1
            self._reply(entry, rejection.status, now, headers=rejection.headers)
            return
        handler = {
            "INVITE": self._on_invite,
            "CANCEL": self._on_cancel,
            "BYE": self._on_bye,
            "OPTIONS": self._on_options,
            "INFO": self._on_info,
            "NOTIFY": self._on_notify,
        }[req.method]
        handler(req, entry, now)

    def _on_invite(self, req: SipRequest, entry: _ServerEntry, now: float) -> None:
        if req.to_addr.tag:
            self._on_reinvite(req, entry, now)
            return
        if not self.accepting or len(self._calls) >= self.config.max_calls:
            self.stats["unavailable"] += 1
            self._reply(entry, 503, now, headers=(("Retry-After", str(self.config.retry_after_s)),))
            return
        try:
            offer = offer_of(req)
        except (SipParseError, SdpParseError):
            self._reply(entry, 400, now)
            return
        if req.body and offer is None:
            self._reply(entry, 415, now, headers=(("Accept", "application/sdp"),))
            return
        ref = self._calls.new_ref()
        assert isinstance(entry.tx, ServerInviteTransaction)
        call = Call(
            ref=ref,
            invite=req,
            source=entry.addr,
            tx=entry.tx,
            tx_key=server_key(req, "INVITE"),
            local_tag=new_tag(),
            reliable=entry.tx.reliable,
        )
        self._calls.add(call)
        entry.call = ref
        self._reply(entry, 100, now)
        self._events.append(
            IncomingCall(
                call=ref,
                source=entry.addr,
                offer=offer,
                caller=str(req.from_addr.uri),
                callee=str(req.to_addr.uri),
                request_uri=str(req.uri),
                sip_call_id=req.call_id,
            )
        )

    def _on_reinvite(self, req: SipRequest, entry: _ServerEntry, now: float) -> None:
        call = self._calls.for_request(req)
        if call is None or call.dialog is None:
            self._reply(entry, 481, now)
            return
        pending = call.pending_reinvite
        if call.state is not CallState.CONFIRMED or (
            pending is not None and pending.state is ServerInviteState.PROCEEDING
        ):
            self._reply(entry, 491, now)
            return
        if not call.dialog.accept_remote_cseq(req.cseq.number):
            self._reply(entry, 500, now)
            return
        if req.contacts:  # target refresh (RFC 3261 12.2.2)
            call.dialog.remote_target = req.contacts[0].uri
        try:
            offer = offer_of(req)
        except (SipParseError, SdpParseError):
            self._reply(entry, 400, now)
            return
        assert isinstance(entry.tx, ServerInviteTransaction) and call.local_sdp is not None
        entry.call = call.ref
        call.pending_reinvite = entry.tx
        if offer is None:  # offerless re-INVITE: offer our current session again
            call.local_sdp.origin.session_version = str(call.sdp_version + 1)
            call.sdp_version += 1
            self._reply(entry, 200, now, body=bytes(call.local_sdp), call=call)
            return
        try:
            result = reanswer(call.local_sdp, offer, version=call.sdp_version + 1)
        except SdpNegotiationError:
            self._reply(entry, 488, now)
            return
        call.sdp_version += 1
        call.local_sdp = result.answer
        self._reply(entry, 200, now, body=bytes(result.answer), call=call)
        hold = any(is_hold(offer, m) for m in offer.media if m.media == "audio" and m.port != 0)
        self._events.append(ReInvite(call.ref, offer, result.answer, hold))

    def _on_ack(self, req: SipRequest, now: float) -> None:
        entry = self._server.get(server_key(req, "INVITE"))
        if entry is not None and entry.tx.state is ServerInviteState.COMPLETED:
            entry.tx.receive(req, now)
            return
        call = self._calls.for_request(req)
        if call is None:
            self.stats["dropped"] += 1
            return
        pending = call.pending_reinvite
        if pending is not None and pending.state is ServerInviteState.ACCEPTED:
            pending.receive(req, now)
            return
        if call.state is CallState.ANSWERED and call.tx.receive(req, now).acked:
            call.state = CallState.CONFIRMED
            answer: SessionDescription | None = None
            if call.invite.body == b"" and req.body:
                try:
                    sdp = find_sdp(req.content_type, req.body)
                    answer = SessionDescription.parse(sdp) if sdp else None
                except (SipParseError, SdpParseError):
                    answer = None
            self._events.append(CallEstablished(call.ref, answer))

    def _on_cancel(self, req: SipRequest, entry: _ServerEntry, now: float) -> None:
        invite_entry = self._server.get(server_key(req, "INVITE"))
        call = self._calls.get(invite_entry.call) if invite_entry else None
        if invite_entry is None or call is None:
            self._reply(entry, 481, now)
            return
        self._reply(entry, 200, now, to_tag=call.local_tag)
        if call.state is CallState.INCOMING:
            self._respond_call(call, 487, now)
            self._end(call, EndReason.CANCELLED)

    def _on_bye(self, req: SipRequest, entry: _ServerEntry, now: float) -> None:
        call = self._calls.for_request(req)
        if call is None:
            self._reply(entry, 481, now)
            return
        self._reply(entry, 200, now)
        if call.state is CallState.INCOMING:
            self._respond_call(call, 487, now)
        self._end(call, EndReason.REMOTE_BYE)

    def _on_options(self, req: SipRequest, entry: _ServerEntry, now: float) -> None:
        call = self._calls.for_request(req) if req.to_addr.tag else None
        if req.to_addr.tag and call is None:
            self._reply(entry, 481, now)
            return
        if call is None and not self.accepting:  # draining: a dispatcher's probe takes us out
            self._reply(entry, 503, now, headers=(("Retry-After", str(self.config.retry_after_s)),))
        else:
            self._reply(entry, 200, now, headers=(("Allow", ", ".join(ALLOWED_METHODS)), ("Accept", "application/sdp")))
        self._events.append(OptionsReceived(entry.addr, call.ref if call else None))

    def _on_info(self, req: SipRequest, entry: _ServerEntry, now: float) -> None:
        call = self._calls.for_request(req)
        if call is None:
            self._reply(entry, 481, now)
            return
        self._reply(entry, 200, now)
        digit, duration = dtmf_info(req)
        if digit is not None:
            self._events.append(DtmfInfo(call.ref, digit, duration))

    def _on_notify(self, req: SipRequest, entry: _ServerEntry, now: float) -> None:
        call = self._calls.for_request(req)
        if call is None:
            self._reply(entry, 481, now)
            return
        event = (req.headers.get("event") or "").split(";")[0].strip().lower()
        if event != "refer":
            self._reply(entry, 489, now)
            return
        self._reply(entry, 200, now)
        status = sipfrag_status(req.body)
        terminated = (req.headers.get("subscription-state") or "").strip().lower().startswith("terminated")
        if status is not None:
            self._events.append(ReferResult(call.ref, status, status >= 200 or terminated))

    # ------------------------------------------------------------------ responses

    def _on_response(self, resp: SipResponse, now: float) -> None:
        vias = resp.vias
        if len(vias) != 1 or vias[0].branch is None:
            self.stats["dropped"] += 1
            return
        entry = self._client.get(vias[0].branch or "")
        if entry is None or resp.cseq.method != entry.tx.request.method:
            self.stats["dropped"] += 1
            return
        res = entry.tx.receive(resp, now)
        self._send_all(res, entry.addr)
        if res.response is not None and entry.tx.request.method == "REFER" and res.response.status >= 200:
            status = res.response.status
            self._events.append(ReferResult(entry.call, status, status >= 300))

    # ------------------------------------------------------------------ helpers

    def _allowed(self, addr: Addr) -> bool:
        policy = self.config.source_policy
        return policy is None or policy(addr)

    def _reply(
        self,
        entry: _ServerEntry,
        status: int,
        now: float,
        *,
        headers: Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        to_tag: str | None = None,
        call: Call | None = None,
    ) -> None:
        req = entry.tx.request
        extra = list(headers)
        if call is not None:
            extra = [("Contact", str(self._contact()))] + extra
        resp = make_response(
            req,
            status,
            to_tag=to_tag or new_tag(),
            headers=extra,
            body=body,
            content_type="application/sdp" if body else None,
        )
        stamp_via(resp.headers, entry.addr)
        for data in entry.tx.respond(resp, now):
            self._out.append(Datagram(data, entry.addr))

    def _server_timeout(self, entry: _ServerEntry) -> None:
        call = self._calls.get(entry.call)
        if call is not None and call.tx is entry.tx and call.state is CallState.ANSWERED:
            # timer H for our 2xx: the dialog is confirmed but the session is dead (RFC 3261 13.3.1.4)
            self._send_in_dialog(call, "BYE", entry.tx.created + self.config.timers.b)
            self._end(call, EndReason.NO_ACK)

    def _send(self, resp: SipResponse, addr: Addr) -> None:
        stamp_via(resp.headers, addr)
        self._out.append(Datagram(bytes(resp), addr))

    def _send_all(self, res: TxResult, addr: Addr) -> None:
        for data in res.send:
            self._out.append(Datagram(data, addr))
