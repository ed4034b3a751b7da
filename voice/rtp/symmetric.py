"""Symmetric RTP (RFC 4961 / "latching"): send to where the peer's RTP comes from.

Behind NAT the address in the SDP is often unreachable; the address the first RTP packet comes
from is not. ::

    latch = SymmetricRtp(signalled=("203.0.113.5", 49170))
    if latch.accept(addr, now):       # False: a stray packet from elsewhere, drop it
        ...
    send_to = latch.remote            # latched address, else the signalled one

After latching, packets from other addresses are refused unless the latched source has been
silent for ``relatch_after_s`` (the NAT binding changed mid-call).
"""

from __future__ import annotations

__all__ = ["SymmetricRtp"]

Addr = tuple[str, int]


class SymmetricRtp:
    def __init__(
        self, *, signalled: Addr | None = None, same_host_only: bool = False, relatch_after_s: float = 2.0
    ) -> None:
        self.signalled = signalled
        self.same_host_only = same_host_only
        self.relatch_after_s = relatch_after_s
        self.latched: Addr | None = None
        self.refused = 0
        self._last_seen = 0.0

    @property
    def remote(self) -> Addr | None:
        return self.latched or self.signalled

    def accept(self, addr: Addr, now: float) -> bool:
        if self.latched == addr:
            self._last_seen = now
            return True
        if self.same_host_only and self.signalled is not None and addr[0] != self.signalled[0]:
            self.refused += 1
            return False
        if self.latched is None or now - self._last_seen >= self.relatch_after_s:
            self.latched = addr
            self._last_seen = now
            return True
        self.refused += 1
        return False
