"""RFC 3261 timer values (section 17 and table 4) and the result type transactions return."""

from __future__ import annotations

from dataclasses import dataclass

from voice.sip.message import SipResponse

__all__ = ["Timers", "TxResult"]


@dataclass(frozen=True, kw_only=True)
class Timers:
    """T1 (RTT estimate), T2 (max non-INVITE retransmit interval), T4 (max message lifetime), seconds."""

    t1: float = 0.5
    t2: float = 4.0
    t4: float = 5.0

    @property
    def b(self) -> float:
        """Timers B, F, H, J (unreliable) and L: 64*T1."""
        return 64 * self.t1

    @property
    def d(self) -> float:
        """Timer D: wait for response retransmits after a non-2xx to a client INVITE (unreliable)."""
        return max(32.0, 64 * self.t1)


@dataclass(frozen=True)
class TxResult:
    """What a transaction wants done after ``receive`` or ``tick``.

    ``send``: serialized messages to transmit to the transaction's peer, in order.
    ``timed_out``: a timer (B, F, H, L) expired without the awaited message.
    ``response``: (client transactions) a response to hand to the transaction user.
    ``acked``: (INVITE server) the ACK for our final response arrived.
    """

    send: tuple[bytes, ...] = ()
    timed_out: bool = False
    response: SipResponse | None = None
    acked: bool = False
