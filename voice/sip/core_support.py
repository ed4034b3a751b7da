"""Pure helpers of :class:`voice.sip.core.SipCore`: configuration, source policies, transaction
keys (RFC 3261 17.2.3 and RFC 2543 matching), Via stamping, offers in bodies, INFO DTMF bodies."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from voice.sip.body import find_sdp
from voice.sip.events import Addr
from voice.sip.exceptions import SipParseError
from voice.sip.fields import Headers
from voice.sip.headers import parse_vias
from voice.sip.message import SipRequest
from voice.sip.sdp import SessionDescription
from voice.sip.timers import Timers

__all__ = [
    "SipConfig",
    "SourcePolicy",
    "TokenBucket",
    "dtmf_info",
    "ip_allowlist",
    "offer_of",
    "server_key",
    "stamp_via",
]

SourcePolicy = Callable[[Addr], bool]
_DTMF_DIGITS = frozenset("0123456789*#ABCD")


def ip_allowlist(networks: Iterable[str]) -> SourcePolicy:
    """A source policy admitting only addresses inside ``networks`` (CIDR strings)."""
    nets = [ipaddress.ip_network(n, strict=False) for n in networks]

    def allowed(addr: Addr) -> bool:
        try:
            ip = ipaddress.ip_address(addr[0])
        except ValueError:
            return False
        return any(ip in net for net in nets)

    return allowed


@dataclass(frozen=True, kw_only=True)
class SipConfig:
    """Where we are reachable (for Via and Contact) and the admission policy."""

    host: str
    port: int = 5060
    transport: str = "UDP"
    user: str = "concierge"
    max_calls: int = 100
    retry_after_s: int = 30
    source_policy: SourcePolicy | None = None
    #: new (out-of-dialog) INVITEs admitted per second on average; None: no limit. Excess
    #: INVITEs get a stateless 503 with Retry-After; requests inside calls are never limited.
    invite_rate: float | None = None
    invite_burst: int = 20
    timers: Timers = field(default_factory=Timers)
    supported: frozenset[str] = frozenset()


class TokenBucket:
    """``rate`` tokens per second up to ``burst``; ``take(now)`` spends one if there is one."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self.tokens = float(burst)
        self.at: float | None = None

    def take(self, now: float) -> bool:
        if self.at is not None:
            self.tokens = min(self.burst, self.tokens + max(0.0, now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


def server_key(req: SipRequest, method: str) -> tuple[str, ...]:
    """RFC 3261 17.2.3 transaction key; RFC 2543 matching when the branch lacks the magic cookie."""
    top = req.vias[0]
    if top.is_rfc3261:
        return ("3261", top.branch or "", top.sent_by, method)
    return ("2543", req.call_id, req.from_addr.tag or "", str(req.cseq.number), str(top), method)


def stamp_via(headers: Headers, addr: Addr) -> None:
    """Add received= (and rport's value) to the top Via of a response (RFC 3261 18.2.1, RFC 3581)."""
    lines = headers.get_all("via")
    if not lines:
        return
    try:
        vias = parse_vias([lines[0]])
    except SipParseError:
        return
    top = vias[0]
    if top.host != addr[0]:
        top.set_param("received", addr[0])
    if top.param("rport") == "":
        top.set_param("rport", str(addr[1]))
    headers.replace_first("via", ", ".join(str(v) for v in vias))


def offer_of(req: SipRequest) -> SessionDescription | None:
    sdp = find_sdp(req.content_type, req.body)
    return SessionDescription.parse(sdp) if sdp is not None else None


def dtmf_info(req: SipRequest) -> tuple[str | None, int | None]:
    ctype = req.content_type
    text = req.body.decode("utf-8", "replace").strip()
    if ctype is None or not text:
        return None, None
    if ctype.mime == "application/dtmf":
        return (text.upper(), None) if text.upper() in _DTMF_DIGITS else (None, None)
    if ctype.mime != "application/dtmf-relay":
        return None, None
    fields: dict[str, str] = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        fields[name.strip().lower()] = value.strip()
    digit = fields.get("signal", "").upper()
    if digit not in _DTMF_DIGITS or len(digit) != 1:
        return None, None
    duration = fields.get("duration", "")
    return digit, int(duration) if duration.isascii() and duration.isdigit() and len(duration) < 9 else None
