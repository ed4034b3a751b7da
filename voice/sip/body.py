"""Message bodies: find the SDP in ``application/sdp`` or ``multipart/mixed`` (RFC 2046) bodies,
and read ``message/sipfrag`` (RFC 3420) status lines in REFER NOTIFYs."""

from __future__ import annotations

from dataclasses import dataclass

from voice.sip.exceptions import SipParseError
from voice.sip.framing import split_head
from voice.sip.headers import MediaType

__all__ = ["BodyPart", "find_sdp", "parse_multipart", "sipfrag_status"]

MAX_PARTS = 16


@dataclass(frozen=True)
class BodyPart:
    content_type: MediaType | None
    content: bytes


def parse_multipart(content_type: MediaType, body: bytes) -> list[BodyPart]:
    """Split a multipart body into parts; raise SipParseError when it is malformed."""
    boundary = content_type.param("boundary")
    if boundary and boundary.startswith('"') and boundary.endswith('"') and len(boundary) >= 2:
        boundary = boundary[1:-1]
    if not boundary:
        raise SipParseError("multipart body without boundary")
    delim = b"--" + boundary.encode("utf-8", "surrogateescape")
    chunks = body.split(delim)
    if len(chunks) < 3:
        raise SipParseError("multipart body without parts")
    parts: list[BodyPart] = []
    for chunk in chunks[1:]:
        if chunk.startswith(b"--"):
            break
        if len(parts) >= MAX_PARTS:
            raise SipParseError("too many body parts")
        chunk = chunk[2:] if chunk.startswith(b"\r\n") else chunk
        chunk = chunk[:-2] if chunk.endswith(b"\r\n") else chunk
        if chunk.startswith(b"\r\n"):
            head, content = b"", chunk[2:]
        else:
            head, sep, content = chunk.partition(b"\r\n\r\n")
            if not sep:
                raise SipParseError("malformed body part")
        raw = split_head(b"X-Part\r\n" + head if head else b"X-Part", b"")
        ctype = raw.headers.get("content-type")
        parts.append(BodyPart(MediaType.parse(ctype) if ctype else None, content))
    else:
        raise SipParseError("multipart body not closed")
    return parts


def find_sdp(content_type: MediaType | None, body: bytes) -> bytes | None:
    """The SDP inside a body, or None when the body carries no SDP part."""
    if not body or content_type is None:
        return None
    if content_type.mime == "application/sdp":
        return body
    if content_type.type == "multipart":
        for part in parse_multipart(content_type, body):
            found = find_sdp(part.content_type, part.content)
            if found is not None:
                return found
    return None


def sipfrag_status(body: bytes) -> int | None:
    """The status code of a ``message/sipfrag`` body such as ``SIP/2.0 200 OK``; None if absent."""
    first = body.split(b"\r\n", 1)[0].split(b"\n", 1)[0].decode("utf-8", "replace").strip()
    parts = first.split(" ", 2)
    if len(parts) >= 2 and parts[0].upper().startswith("SIP/") and len(parts[1]) == 3 and parts[1].isdigit():
        code = int(parts[1])
        return code if 100 <= code <= 699 else None
    return None
