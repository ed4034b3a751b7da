"""API tokens: random secrets shown once, stored as SHA-256 digests, compared in constant time.

A token is 32 random bytes (URL-safe base64, prefixed ``dpk_``), so a plain SHA-256 digest is a
safe way to store it (no dictionary to attack). :func:`match` compares the presented token's
digest against every given digest with :func:`hmac.compare_digest` and never stops early.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from voice.store.records import TokenRecord, now_ts

PREFIX = "dpk_"
_DURATION = re.compile(r"^(\d{1,5})([hdw])$")


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def match(token: str, records: Iterable[TokenRecord]) -> TokenRecord | None:
    """The active record whose digest equals the token's; every record is compared (constant time)."""
    presented = digest(token).encode("ascii")
    found: TokenRecord | None = None
    now = now_ts()
    for rec in records:
        if hmac.compare_digest(presented, rec.digest.encode("ascii")) and rec.active(now):
            found = rec
    return found


def expiry(duration: str | None, *, now: datetime | None = None) -> str | None:
    """``"12h"``, ``"30d"``, ``"2w"`` from now as a stored time; None or ``"never"``: no expiry."""
    if duration is None or duration == "never":
        return None
    m = _DURATION.match(duration)
    if m is None:
        raise ValueError("an expiry looks like 12h, 30d, 2w or never")
    hours = int(m[1]) * {"h": 1, "d": 24, "w": 24 * 7}[m[2]]
    return now_ts((now or datetime.now(UTC)) + timedelta(hours=hours))
