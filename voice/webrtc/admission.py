"""Who may open a WebRTC call: a short-lived signed call token, a rate per client address, a call limit.

    POST /api/call-token   -> {"token": "c1.<expiry>.<nonce>.<mac>", "expires_in": 60}   (429 when over the rate)
    POST /api/offer        {"sdp", "type": "offer", "token"}                           (401 without a valid token)

The caller page asks for a token right before its offer. A token is bound to the client address
that asked for it, valid :data:`TOKEN_TTL_S` seconds, and good for one offer
(``mac = HMAC-SHA256(secret, "c1|address|expiry|nonce")``, checked in constant time; the secret is
random per process, so a token is redeemed where it was issued). Tokens are handed out at
:data:`RATE_PER_MIN` per address with a burst of :data:`BURST` (:class:`RateLimiter`, bounded to
:data:`MAX_ADDRESSES` addresses). Every new peer connection counts against ``sip.max_calls`` from the
moment its offer is admitted (:class:`Admission`), however the offer names itself: an offer whose
``pc_id`` is not a live call of this process is a new call. Errors name the fault, never the token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

TOKEN_TTL_S = 60
RATE_PER_MIN = 20.0
BURST = 10
MAX_ADDRESSES = 10_000
MAX_TOKEN_CHARS = 200
VERSION = "c1"


class AdmissionError(Exception):
    """A call token that is missing, malformed, expired, used, or not this address's. ``reason`` is a
    fixed phrase (never the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RateLimiter:
    """A token bucket per key: ``rate_per_min`` refill, ``burst`` capacity; the least recently seen
    keys are forgotten beyond ``max_keys`` (a forgotten key starts with a full bucket)."""

    def __init__(self, *, rate_per_min: float = RATE_PER_MIN, burst: int = BURST, max_keys: int = MAX_ADDRESSES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_min / 60.0
        self.burst = float(burst)
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str) -> float:
        """0.0 when ``key`` may go on now, else the seconds until it may."""
        now = self._clock()
        tokens, last = self._buckets.pop(key, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        wait = 0.0
        if tokens >= 1.0:
            tokens -= 1.0
        else:
            wait = (1.0 - tokens) / self.rate if self.rate > 0 else float("inf")
        self._buckets[key] = (tokens, now)
        while len(self._buckets) > self.max_keys:
            self._buckets.popitem(last=False)
        return wait


class CallTokens:
    """Issues and redeems call tokens (single use, bound to a client address)."""

    def __init__(self, *, secret: bytes | None = None, ttl_s: int = TOKEN_TTL_S,
                 clock: Callable[[], float] = time.time) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self.ttl_s = ttl_s
        self._clock = clock
        self._used: dict[str, int] = {}

    def _mac(self, address: str, expiry: int, nonce: str) -> str:
        return hmac.new(self._secret, f"{VERSION}|{address}|{expiry}|{nonce}".encode(), hashlib.sha256).hexdigest()

    def issue(self, address: str) -> str:
        expiry = int(self._clock()) + self.ttl_s
        nonce = secrets.token_hex(12)
        return f"{VERSION}.{expiry}.{nonce}.{self._mac(address, expiry, nonce)}"

    def redeem(self, token: object, address: str) -> None:
        """Raise :class:`AdmissionError` unless ``token`` is valid for ``address``; it is spent after."""
        if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
            raise AdmissionError("call token missing or malformed")
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != VERSION or not parts[1].isdigit() or not parts[2].isalnum():
            raise AdmissionError("call token missing or malformed")
        expiry, nonce = int(parts[1]), parts[2]
        if not hmac.compare_digest(self._mac(address, expiry, nonce).encode(), parts[3].encode()):
            raise AdmissionError("call token signature mismatch")
        now = int(self._clock())
        if expiry < now:
            raise AdmissionError("call token expired")
        self._used = {n: e for n, e in self._used.items() if e >= now}  # forget the expired
        if nonce in self._used:
            raise AdmissionError("call token already used")
        self._used[nonce] = expiry


@dataclass
class Slot:
    """One admitted offer's place under the call limit, until its call registers or fails."""

    admission: Admission
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.admission.pending -= 1


class Admission:
    """Counts offers admitted but not yet running as calls, beside the calls that run."""

    def __init__(self) -> None:
        self.pending = 0

    def reserve(self, running: int, limit: int) -> Slot | None:
        """A slot when ``running`` calls plus the offers in flight leave room under ``limit``."""
        if running + self.pending >= limit:
            return None
        self.pending += 1
        return Slot(self)
