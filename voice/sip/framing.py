"""Framing: where a SIP message starts and ends in a UDP datagram or a TCP byte stream.

* Datagram (RFC 3261 18.3): leading CRLFs are skipped; the head ends at the first empty line;
  Content-Length, when present, says how many body octets follow (extra octets are ignored,
  fewer is an error); without it the body is the rest of the datagram.
* Stream: :class:`StreamFramer` buffers bytes and cuts complete messages; Content-Length is
  mandatory there. Limits keep a slow or hostile peer from growing memory without bound.

Both produce :class:`voice.sip.fields.RawMessage` (header lines unfolded, names as received).
"""

from __future__ import annotations

from voice.sip.exceptions import SipParseError
from voice.sip.fields import Headers, RawMessage
from voice.sip.grammar import is_token
from voice.sip.headers import parse_scalar

__all__ = ["MAX_BODY", "MAX_HEAD", "StreamFramer", "frame_datagram", "split_head"]

MAX_HEAD = 65536
MAX_BODY = 1 << 20


def split_head(head_bytes: bytes, body: bytes) -> RawMessage:
    """Decode and unfold a message head (start line + header lines, no final CRLF)."""
    try:
        head = head_bytes.decode("utf-8")
    except UnicodeDecodeError:
        raise SipParseError("message head is not valid UTF-8") from None
    lines = head.split("\r\n")
    start_line = lines[0]
    if not start_line.strip():
        raise SipParseError("empty start line")
    if "\r" in head.replace("\r\n", "") or "\n" in head.replace("\r\n", ""):
        raise SipParseError("bare CR or LF in message head")
    items: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            if not items:
                raise SipParseError("continuation line before the first header")
            name, value = items[-1]
            items[-1] = (name, (value + " " + line.strip()).strip())
            continue
        name, colon, value = line.partition(":")
        name = name.rstrip(" \t")
        if not colon:
            raise SipParseError("header line without ':'")
        if not is_token(name):
            raise SipParseError("invalid header name")
        items.append((name, value.strip()))
    return RawMessage(start_line=start_line, headers=Headers(items), body=body)


def _content_length(raw: RawMessage) -> int | None:
    values = raw.headers.get_all("content-length")
    if not values:
        return None
    if len(values) > 1:
        raise SipParseError("more than one Content-Length", raw=raw)
    try:
        return parse_scalar(values[0], "Content-Length", 2**31 - 1)
    except SipParseError as exc:
        raise SipParseError(str(exc), raw=raw) from None


def frame_datagram(data: bytes) -> RawMessage:
    """Frame one message from a datagram; raise SipParseError (with ``raw`` when possible)."""
    pos = 0
    while data.startswith(b"\r\n", pos):
        pos += 2
    end = data.find(b"\r\n\r\n", pos)
    if end < 0:
        head = data[pos:-2] if data.endswith(b"\r\n") else data[pos:]
        if len(head) > MAX_HEAD:
            raise SipParseError("message head too long")
        raw = split_head(head, b"")
        raise SipParseError("message head is not terminated by an empty line", raw=raw)
    if end - pos > MAX_HEAD:
        raise SipParseError("message head too long")
    rest = data[end + 4 :]
    raw = split_head(data[pos:end], rest)
    length = _content_length(raw)
    if length is not None:
        if length > len(rest):
            raise SipParseError("Content-Length larger than the datagram", raw=raw)
        raw.body = rest[:length]
    return raw


class StreamFramer:
    """Cut a TCP byte stream into messages (each returned as bytes for ``SipMessage.parse``).

    ``feed(data)`` returns the complete messages now buffered. It raises SipParseError when the
    stream cannot be framed any more (head over ``max_head``, missing or bad Content-Length,
    body over ``max_body``); the caller should then close the connection.
    """

    def __init__(self, *, max_head: int = MAX_HEAD, max_body: int = MAX_BODY) -> None:
        self._buf = bytearray()
        self._max_head = max_head
        self._max_body = max_body

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        out: list[bytes] = []
        while True:
            while self._buf.startswith(b"\r\n"):
                del self._buf[:2]
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buf) > self._max_head:
                    raise SipParseError("message head too long")
                return out
            if end > self._max_head:
                raise SipParseError("message head too long")
            raw = split_head(bytes(self._buf[:end]), b"")
            length = _content_length(raw)
            if length is None:
                raise SipParseError("Content-Length is required on a stream transport", raw=raw)
            if length > self._max_body:
                raise SipParseError("body too long", raw=raw)
            total = end + 4 + length
            if len(self._buf) < total:
                return out
            out.append(bytes(self._buf[:total]))
            del self._buf[:total]
