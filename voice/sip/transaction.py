"""Server transactions (RFC 3261 17.2, with RFC 6026's Accepted state) as pure state machines.

Drive them with the clock you pass in; they never read time or do I/O::

    tx = ServerInviteTransaction(invite, now=t, reliable=False)
    out = tx.respond(trying, t)       # -> [bytes] to send
    out = tx.respond(ok, t)           # 2xx: retransmitted (timer G) until the ACK
    res = tx.receive(ack, t2)         # -> TxResult(acked=True)
    res = tx.tick(now)                # -> TxResult(send=(retransmission,), timed_out=...)
    tx.deadline                       # when to call tick() next (None: nothing pending)

INVITE: Proceeding -1xx-> Proceeding -2xx-> Accepted (G retransmit, H=64*T1 gives up)
-ACK-> Terminated; -3xx..6xx-> Completed (G, H) -ACK-> Confirmed (I=T4) -> Terminated.
Non-INVITE: Trying -1xx-> Proceeding -final-> Completed (J=64*T1 unreliable, 0 reliable) ->
Terminated. A retransmitted request makes the transaction resend its last response.
"""

from __future__ import annotations

import enum

from voice.sip.exceptions import SipTransactionError
from voice.sip.message import SipRequest, SipResponse
from voice.sip.timers import Timers, TxResult

__all__ = [
    "ServerInviteState",
    "ServerInviteTransaction",
    "ServerNonInviteState",
    "ServerNonInviteTransaction",
]


class ServerInviteState(enum.Enum):
    PROCEEDING = "proceeding"
    ACCEPTED = "accepted"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    TERMINATED = "terminated"


class ServerNonInviteState(enum.Enum):
    TRYING = "trying"
    PROCEEDING = "proceeding"
    COMPLETED = "completed"
    TERMINATED = "terminated"


class ServerInviteTransaction:
    """The UAS side of one INVITE."""

    def __init__(
        self, request: SipRequest, *, now: float, timers: Timers | None = None, reliable: bool = False
    ) -> None:
        self.request = request
        self.timers = timers or Timers()
        self.reliable = reliable
        self.state = ServerInviteState.PROCEEDING
        self.last_response: bytes | None = None
        self.final_status: int | None = None
        self.created = now
        self._g_at: float | None = None
        self._g_interval = self.timers.t1
        self._h_at: float | None = None
        self._i_at: float | None = None

    @property
    def deadline(self) -> float | None:
        times = [t for t in (self._g_at, self._h_at, self._i_at) if t is not None]
        return min(times) if times else None

    def respond(self, response: SipResponse, now: float) -> list[bytes]:
        """Send a response; returns the bytes to transmit."""
        if self.state is not ServerInviteState.PROCEEDING:
            raise SipTransactionError("INVITE transaction already has a final response")
        data = bytes(response)
        self.last_response = data
        if response.status < 200:
            return [data]
        self.final_status = response.status
        self.state = ServerInviteState.ACCEPTED if response.status < 300 else ServerInviteState.COMPLETED
        self._g_interval = self.timers.t1
        self._g_at = None if self.reliable else now + self.timers.t1
        self._h_at = now + self.timers.b
        return [data]

    def receive(self, request: SipRequest, now: float) -> TxResult:
        """A retransmitted INVITE or the ACK that matched this transaction."""
        if request.method == "ACK":
            if self.state is ServerInviteState.COMPLETED:
                self.state = ServerInviteState.CONFIRMED
                self._g_at = self._h_at = None
                self._i_at = now + (0.0 if self.reliable else self.timers.t4)
                return TxResult(acked=True)
            if self.state is ServerInviteState.ACCEPTED:
                self._terminate()
                return TxResult(acked=True)
            return TxResult()
        if (
            self.state
            in (ServerInviteState.PROCEEDING, ServerInviteState.ACCEPTED, ServerInviteState.COMPLETED)
            and self.last_response is not None
        ):
            return TxResult(send=(self.last_response,))
        return TxResult()

    def tick(self, now: float) -> TxResult:
        if self._i_at is not None and now >= self._i_at:
            self._terminate()
            return TxResult()
        if self._h_at is not None and now >= self._h_at:
            self._terminate()
            return TxResult(timed_out=True)
        if self._g_at is not None and now >= self._g_at and self.last_response is not None:
            self._g_interval = min(2 * self._g_interval, self.timers.t2)
            self._g_at = now + self._g_interval
            return TxResult(send=(self.last_response,))
        return TxResult()

    def _terminate(self) -> None:
        self.state = ServerInviteState.TERMINATED
        self._g_at = self._h_at = self._i_at = None


class ServerNonInviteTransaction:
    """The UAS side of a BYE, CANCEL, OPTIONS, NOTIFY, INFO, ... request."""

    def __init__(
        self, request: SipRequest, *, now: float, timers: Timers | None = None, reliable: bool = False
    ) -> None:
        self.request = request
        self.timers = timers or Timers()
        self.reliable = reliable
        self.state = ServerNonInviteState.TRYING
        self.last_response: bytes | None = None
        self.created = now
        self._j_at: float | None = None

    @property
    def deadline(self) -> float | None:
        return self._j_at

    def respond(self, response: SipResponse, now: float) -> list[bytes]:
        if self.state in (ServerNonInviteState.COMPLETED, ServerNonInviteState.TERMINATED):
            raise SipTransactionError("transaction already has a final response")
        data = bytes(response)
        self.last_response = data
        if response.status < 200:
            self.state = ServerNonInviteState.PROCEEDING
        else:
            self.state = ServerNonInviteState.COMPLETED
            self._j_at = now + (0.0 if self.reliable else self.timers.b)
        return [data]

    def receive(self, request: SipRequest, now: float) -> TxResult:
        if (
            self.state in (ServerNonInviteState.PROCEEDING, ServerNonInviteState.COMPLETED)
            and self.last_response
        ):
            return TxResult(send=(self.last_response,))
        return TxResult()

    def tick(self, now: float) -> TxResult:
        if self._j_at is not None and now >= self._j_at:
            self.state = ServerNonInviteState.TERMINATED
            self._j_at = None
        return TxResult()
