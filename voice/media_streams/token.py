"""Signed, single-use tokens that authenticate a WebSocket media stream, and the caller it carries.

The application that answers the provider's webhook (the TwiML ``<Stream>`` with
``<Parameter name="token" value="..."/>`` and ``<Parameter name="caller" value="{From}"/>``) knows the
call SID and the caller's number but not yet the stream SID, so the token binds those two, an
expiry and a nonce:

    token = "v2." + expiry_unix + "." + nonce + "." + hex(HMAC-SHA256(secret,
            "v2|" + call_sid + "|" + caller + "|" + expiry_unix + "|" + nonce))

It arrives in the ``start`` message's ``customParameters.token``, beside ``caller``; a stream whose
``caller`` differs from the one signed fails. Checked in constant time (:func:`hmac.compare_digest`);
a :class:`TokenLedger` makes each token good for one stream (the nonce is remembered until the token
expires, so a replay within its lifetime is refused). Errors name the fault, never the token, the
call SID or the number.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from voice.media_streams.exceptions import StreamAuthError

VERSION = "v2"
MAX_TOKEN_CHARS = 200
DEFAULT_TTL_S = 300
MAX_LEDGER = 100_000  # nonces remembered at once; beyond it the oldest (soonest expiring) go first


def _mac(secret: str, call_sid: str, caller: str, expiry: int, nonce: str) -> str:
    msg = f"{VERSION}|{call_sid}|{caller}|{expiry}|{nonce}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def sign_stream_token(
    *, secret: str, call_sid: str, caller: str = "", ttl_s: int = DEFAULT_TTL_S, now: float | None = None,
    nonce: str | None = None,
) -> str:
    """A token for ``call_sid`` and ``caller`` (the number the stream will name), valid ``ttl_s``
    seconds from ``now``, for one stream."""
    expiry = int((time.time() if now is None else now) + ttl_s)
    nonce = nonce or secrets.token_hex(12)
    return f"{VERSION}.{expiry}.{nonce}.{_mac(secret, call_sid, caller.strip(), expiry, nonce)}"


class TokenLedger:
    """The nonces of the tokens already used, each until its token expires (one per process)."""

    def __init__(self, *, max_entries: int = MAX_LEDGER) -> None:
        self._used: dict[str, int] = {}
        self.max_entries = max_entries

    def spend(self, nonce: str, expiry: int, now: float) -> bool:
        """False when ``nonce`` was spent before; else remember it and return True."""
        if len(self._used) >= self.max_entries:
            self._used = {n: e for n, e in self._used.items() if e >= now}
            while len(self._used) >= self.max_entries:
                del self._used[min(self._used, key=self._used.__getitem__)]
        if nonce in self._used:
            return False
        self._used[nonce] = expiry
        return True


def verify_stream_token(
    token: object, *, secret: str | None, call_sid: str, caller: str = "", now: float | None = None,
    ledger: TokenLedger | None = None,
) -> None:
    """Raise :class:`StreamAuthError` unless ``token`` is a valid, unexpired, unused token for
    ``call_sid`` and ``caller``; with a ``ledger`` it is spent."""
    if not secret:
        raise StreamAuthError("no media stream secret is configured")
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise StreamAuthError("token missing or malformed")
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION or not parts[1].isdigit() or not parts[2].isalnum():
        raise StreamAuthError("token missing or malformed")
    expiry, nonce = int(parts[1]), parts[2]
    expected = _mac(secret, call_sid, caller.strip(), expiry, nonce)
    if not hmac.compare_digest(expected.encode(), parts[3].encode()):
        raise StreamAuthError("token signature mismatch")
    moment = time.time() if now is None else now
    if expiry < moment:
        raise StreamAuthError("token expired")
    if ledger is not None and not ledger.spend(nonce, expiry, moment):
        raise StreamAuthError("token already used")
