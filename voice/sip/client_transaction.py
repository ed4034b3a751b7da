"""Client transactions (RFC 3261 17.1) for the requests we send: BYE, REFER, re-INVITE, INVITE.

::

    tx = ClientNonInviteTransaction(bye, now=t)     # timers E (retransmit) and F (give up)
    send(tx.start())                                 # first transmission
    res = tx.receive(response, now)                  # res.response: hand to the application
    res = tx.tick(now)                               # res.send: retransmissions, res.timed_out

INVITE client: Calling (timer A retransmits from T1 doubling, B=64*T1 gives up) -1xx->
Proceeding -2xx-> Terminated (the TU ACKs) / -3xx..6xx-> Completed (the transaction ACKs,
timer D absorbs retransmissions) -> Terminated. Non-INVITE: Trying (E from T1 doubling to T2,
F=64*T1) -1xx-> Proceeding (E at T2) -final-> Completed (K=T4, 0 on reliable) -> Terminated.
"""

from __future__ import annotations

import enum

from voice.sip.fields import Headers
from voice.sip.message import SipRequest, SipResponse
from voice.sip.timers import Timers, TxResult

__all__ = ["ClientInviteTransaction", "ClientNonInviteTransaction", "ClientState"]


class ClientState(enum.Enum):
    CALLING = "calling"
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class _ClientBase:
    def __init__(self, request: SipRequest, *, now: float, timers: Timers | None, reliable: bool) -> None:
        self.request = request
        self.data = bytes(request)
        self.timers = timers or Timers()
        self.reliable = reliable
        self.created = now
        self.state = ClientState.TRYING
        self.final_status: int | None = None
        self._retransmit_at: float | None = None
        self._interval = self.timers.t1
        self._timeout_at: float | None = now + self.timers.b
        self._done_at: float | None = None
        if not reliable:
            self._retransmit_at = now + self.timers.t1

    @property
    def deadline(self) -> float | None:
        times = [t for t in (self._retransmit_at, self._timeout_at, self._done_at) if t is not None]
        return min(times) if times else None

    def start(self) -> bytes:
        """The request's first transmission."""
        return self.data

    def _terminate(self) -> None:
        self.state = ClientState.TERMINATED
        self._retransmit_at = self._timeout_at = self._done_at = None

    def _tick_common(self, now: float, cap: float | None) -> TxResult:
        if self._done_at is not None and now >= self._done_at:
            self._terminate()
            return TxResult()
        if self._timeout_at is not None and now >= self._timeout_at:
            self._terminate()
            return TxResult(timed_out=True)
        if self._retransmit_at is not None and now >= self._retransmit_at:
            self._interval = 2 * self._interval if cap is None else min(2 * self._interval, cap)
            self._retransmit_at = now + self._interval
            return TxResult(send=(self.data,))
        return TxResult()


class ClientNonInviteTransaction(_ClientBase):
    def __init__(
        self, request: SipRequest, *, now: float, timers: Timers | None = None, reliable: bool = False
    ) -> None:
        super().__init__(request, now=now, timers=timers, reliable=reliable)

    def receive(self, response: SipResponse, now: float) -> TxResult:
        if self.state in (ClientState.COMPLETED, ClientState.TERMINATED):
            return TxResult()
        if response.status < 200:
            self.state = ClientState.PROCEEDING
            if self._retransmit_at is not None:
                self._interval = self.timers.t2 / 2
            return TxResult(response=response)
        self.state = ClientState.COMPLETED
        self.final_status = response.status
        self._retransmit_at = self._timeout_at = None
        self._done_at = now + (0.0 if self.reliable else self.timers.t4)
        return TxResult(response=response)

    def tick(self, now: float) -> TxResult:
        return self._tick_common(now, self.timers.t2)


class ClientInviteTransaction(_ClientBase):
    def __init__(
        self, request: SipRequest, *, now: float, timers: Timers | None = None, reliable: bool = False
    ) -> None:
        super().__init__(request, now=now, timers=timers, reliable=reliable)
        self.state = ClientState.CALLING

    def receive(self, response: SipResponse, now: float) -> TxResult:
        if self.state is ClientState.TERMINATED:
            return TxResult()
        if self.state is ClientState.COMPLETED:
            return TxResult(send=(bytes(self.ack_for(response)),)) if response.status >= 300 else TxResult()
        self._retransmit_at = None
        if response.status < 200:
            self.state = ClientState.PROCEEDING
            return TxResult(response=response)
        self.final_status = response.status
        if response.status < 300:
            self._terminate()
            return TxResult(response=response)
        self.state = ClientState.COMPLETED
        self._timeout_at = None
        self._done_at = now + (0.0 if self.reliable else self.timers.d)
        return TxResult(send=(bytes(self.ack_for(response)),), response=response)

    def tick(self, now: float) -> TxResult:
        if self.state is not ClientState.CALLING:
            self._retransmit_at = None
        return self._tick_common(now, None)

    def ack_for(self, response: SipResponse) -> SipRequest:
        """The ACK for a non-2xx final response (RFC 3261 17.1.1.3)."""
        req = self.request
        headers = Headers([("Via", req.headers.get_all("via")[0]), ("Max-Forwards", "70")])
        for route in req.headers.get_all("route"):
            headers.add("Route", route)
        headers.add("From", req.headers.get("from") or "")
        headers.add("To", response.headers.get("to") or "")
        headers.add("Call-ID", req.headers.get("call-id") or "")
        headers.add("CSeq", f"{req.cseq.number} ACK")
        headers.add("Content-Length", "0")
        return SipRequest(headers=headers, method="ACK", uri=req.uri)
