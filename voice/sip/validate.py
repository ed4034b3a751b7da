"""UAS request checks of RFC 3261 8.2 in order, each mapped to the response a UAS sends.

``check_request(request, supported=..., allowed=...)`` returns a :class:`Rejection` (status and
extra headers) or None when the request may proceed to its method handler.
Order: version (505), mandatory headers and CSeq method (400), Request-URI scheme (416, 400 for
URI headers), Require (420), method (405/501), body type and encoding (415), Accept (406).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from voice.sip.exceptions import SipParseError
from voice.sip.headers import MediaType
from voice.sip.message import SipRequest
from voice.sip.uri import SipUri

__all__ = ["ALLOWED_METHODS", "KNOWN_METHODS", "Rejection", "check_request"]

ALLOWED_METHODS = ("INVITE", "ACK", "BYE", "CANCEL", "OPTIONS", "INFO", "NOTIFY")
KNOWN_METHODS = frozenset(ALLOWED_METHODS) | {
    "REGISTER",
    "SUBSCRIBE",
    "MESSAGE",
    "PRACK",
    "UPDATE",
    "PUBLISH",
    "REFER",
}
_SDP_TYPES = ("application/sdp", "multipart/mixed")
_MANDATORY = ("via", "from", "to", "call-id", "cseq")


@dataclass(frozen=True)
class Rejection:
    status: int
    headers: tuple[tuple[str, str], ...] = ()


def check_request(
    request: SipRequest, *, supported: Collection[str] = (), allowed: Collection[str] = ALLOWED_METHODS
) -> Rejection | None:
    if request.version.upper() != "SIP/2.0":
        return Rejection(505)
    for name in _MANDATORY:
        if name not in request.headers:
            return Rejection(400)
    if request.cseq.method != request.method:
        return Rejection(400)
    uri = request.uri
    if not isinstance(uri, SipUri):
        return Rejection(416)
    if uri.headers is not None:
        return Rejection(400)
    if request.method not in ("ACK", "CANCEL"):
        unsupported = [opt for opt in request.token_list("require") if opt.lower() not in supported]
        if unsupported:
            return Rejection(420, (("Unsupported", ", ".join(unsupported)),))
    if request.method not in allowed:
        if request.method in KNOWN_METHODS:
            return Rejection(405, (("Allow", ", ".join(allowed)),))
        return Rejection(501)
    if request.method == "INVITE":
        return _check_invite_body(request)
    return None


def _check_invite_body(request: SipRequest) -> Rejection | None:
    accept_sdp = (("Accept", "application/sdp"), ("Accept-Encoding", "identity"))
    encodings = [e.strip().lower() for v in request.headers.get_all("content-encoding") for e in v.split(",")]
    if any(e not in ("", "identity") for e in encodings):
        return Rejection(415, accept_sdp)
    if request.body:
        ctype = request.content_type
        if ctype is None:
            return Rejection(400)
        if ctype.mime not in _SDP_TYPES:
            return Rejection(415, accept_sdp)
    if "accept" in request.headers:
        try:
            ranges = MediaType.parse_list(request.headers.get_all("accept"))
        except SipParseError:
            return Rejection(400)
        if not any(r.matches("application/sdp") for r in ranges):
            return Rejection(406, accept_sdp[:1])
    return None
