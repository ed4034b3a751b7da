"""``X-Twilio-Signature`` on the ``/media/twilio`` WebSocket upgrade, checked with the SDK's ``RequestValidator``.

Twilio signs the URL it connects to (``wss://host/media/twilio``, no body) with the account's auth
token (HMAC-SHA1, or the algorithm ``X-Twilio-Webhooks-Signature-Settings`` names). When an auth
token is configured, an upgrade without a valid signature is refused before the WebSocket is
accepted (HTTP 403). The URL is the configured public URL when one is set (a proxy in front that
rewrites host or scheme), else the URL as requested, with ``wss`` for the scheme as well (TLS usually
ends at a proxy, so the server itself sees ``ws``); the validator itself tries it with and without
the default port.
"""

from __future__ import annotations

from collections.abc import Mapping

from twilio.request_validator import RequestValidator, get_signature_algorithm

SIGNATURE_HEADER = "x-twilio-signature"
SETTINGS_HEADER = "x-twilio-webhooks-signature-settings"


def candidate_urls(*, scheme: str, host: str, path: str, query: str, public_url: str | None) -> list[str]:
    """The URLs Twilio may have signed for this request."""
    if public_url:
        return [public_url]
    tail = path + (f"?{query}" if query else "")
    schemes = [scheme, "wss"] if scheme != "wss" else ["wss"]
    return [f"{s}://{host}{tail}" for s in schemes]


def valid_signature(*, auth_token: str, headers: Mapping[str, str], urls: list[str]) -> bool:
    """True when ``headers`` carry an ``X-Twilio-Signature`` over one of ``urls``."""
    signature = headers.get(SIGNATURE_HEADER, "")
    if not signature or len(signature) > 200:
        return False
    algorithm = get_signature_algorithm(headers.get(SETTINGS_HEADER, ""))
    validator = RequestValidator(auth_token)
    return any(bool(validator.validate(url, {}, signature, algorithm=algorithm)) for url in urls)
