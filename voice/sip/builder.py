"""Building requests and responses (RFC 3261 8.1.1 and 8.2.6).

``make_response(request, 486)`` copies Via, From, To, Call-ID and CSeq from a request (a parsed
:class:`SipRequest` or a :class:`RawMessage` that failed header checks, so a broken request can
still be answered 400) and adds a To tag when asked. ``make_request`` assembles a new request.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from voice.sip.address import NameAddr
from voice.sip.exceptions import SipParseError
from voice.sip.fields import Headers, RawMessage
from voice.sip.headers import MAGIC_COOKIE
from voice.sip.message import SipRequest, SipResponse
from voice.sip.uri import Uri

__all__ = ["REASONS", "make_request", "make_response", "new_branch", "new_tag"]

REASONS: dict[int, str] = {
    100: "Trying",
    180: "Ringing",
    181: "Call Is Being Forwarded",
    182: "Queued",
    183: "Session Progress",
    200: "OK",
    202: "Accepted",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    408: "Request Timeout",
    415: "Unsupported Media Type",
    416: "Unsupported URI Scheme",
    420: "Bad Extension",
    480: "Temporarily Unavailable",
    481: "Call/Transaction Does Not Exist",
    482: "Loop Detected",
    483: "Too Many Hops",
    486: "Busy Here",
    487: "Request Terminated",
    488: "Not Acceptable Here",
    491: "Request Pending",
    500: "Server Internal Error",
    501: "Not Implemented",
    503: "Service Unavailable",
    505: "Version Not Supported",
    603: "Decline",
}


def new_tag() -> str:
    return secrets.token_hex(6)


def new_branch() -> str:
    return MAGIC_COOKIE + secrets.token_hex(8)


def _with_to_tag(value: str, tag: str) -> str:
    try:
        addr = NameAddr.parse(value, "to")
    except SipParseError:
        return value
    return value if addr.tag else f"{value};tag={tag}"


def make_response(
    request: SipRequest | RawMessage,
    status: int,
    reason: str | None = None,
    *,
    to_tag: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
) -> SipResponse:
    """A response to ``request``; ``to_tag`` is added to To unless To already has a tag."""
    src = request.headers
    out = Headers()
    for name in ("via", "from", "to", "call-id", "cseq"):
        for value in src.get_all(name):
            if name == "to" and to_tag is not None and status > 100:
                value = _with_to_tag(value, to_tag)
            out.add(
                {"via": "Via", "from": "From", "to": "To", "call-id": "Call-ID", "cseq": "CSeq"}[name], value
            )
    for name, value in headers:
        out.add(name, value)
    if body and content_type:
        out.add("Content-Type", content_type)
    out.add("Content-Length", str(len(body)))
    return SipResponse(headers=out, body=body, status=status, reason=reason or REASONS.get(status, "Unknown"))


def make_request(
    method: str,
    uri: Uri,
    *,
    via: str,
    from_addr: NameAddr,
    to_addr: NameAddr,
    call_id: str,
    cseq: int,
    contact: NameAddr | None = None,
    routes: Iterable[NameAddr] = (),
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    content_type: str | None = None,
    max_forwards: int = 70,
) -> SipRequest:
    """A new request with the mandatory headers of RFC 3261 8.1.1 in conventional order."""
    out = Headers([("Via", via), ("Max-Forwards", str(max_forwards))])
    for route in routes:
        out.add("Route", str(route))
    out.add("From", str(from_addr))
    out.add("To", str(to_addr))
    out.add("Call-ID", call_id)
    out.add("CSeq", f"{cseq} {method}")
    if contact is not None:
        out.add("Contact", str(contact))
    for name, value in headers:
        out.add(name, value)
    if body and content_type:
        out.add("Content-Type", content_type)
    out.add("Content-Length", str(len(body)))
    return SipRequest(headers=out, body=body, method=method, uri=uri)
