"""Signed tokens that authenticate a WebSocket media stream.

The application that answers the provider's webhook (the TwiML ``<Stream>`` with a
``<Parameter name="token" value="..."/>``) knows the call SID but not yet the stream SID, so the
token binds the call SID and an expiry:

    token = "v1." + expiry_unix + "." + hex(HMAC-SHA256(secret, "v1|" + call_sid + "|" + expiry_unix))

It arrives in the ``start`` message's ``customParameters.token`` and is checked in constant time
(:func:`hmac.compare_digest`). Errors name the fault, never the token or the call SID.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from voice.media_streams.exceptions import StreamAuthError

VERSION = "v1"
MAX_TOKEN_CHARS = 200
DEFAULT_TTL_S = 300


def _mac(secret: str, call_sid: str, expiry: int) -> str:
    msg = f"{VERSION}|{call_sid}|{expiry}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def sign_stream_token(*, secret: str, call_sid: str, ttl_s: int = DEFAULT_TTL_S, now: float | None = None) -> str:
    """A token for ``call_sid`` valid ``ttl_s`` seconds from ``now``."""
    expiry = int((time.time() if now is None else now) + ttl_s)
    return f"{VERSION}.{expiry}.{_mac(secret, call_sid, expiry)}"


def verify_stream_token(token: object, *, secret: str | None, call_sid: str, now: float | None = None) -> None:
    """Raise :class:`StreamAuthError` unless ``token`` is a valid, unexpired token for ``call_sid``."""
    if not secret:
        raise StreamAuthError("no media stream secret is configured")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise StreamAuthError("token missing or malformed")
    parts = token.split(".")
    if len(parts) != 3 or parts[0] != VERSION or not parts[1].isdigit():
        raise StreamAuthError("token missing or malformed")
    expiry = int(parts[1])
    expected = _mac(secret, call_sid, expiry)
    if not hmac.compare_digest(expected.encode(), parts[2].encode()):
        raise StreamAuthError("token signature mismatch")
    if expiry < (time.time() if now is None else now):
        raise StreamAuthError("token expired")
