"""SIP requests and responses: ``SipMessage.parse(data)`` and ``bytes(message)``.

``SipMessage.parse(datagram)`` returns a :class:`SipRequest` or :class:`SipResponse`, or raises
:class:`voice.sip.exceptions.SipParseError`. Parsing checks the start line and the grammar of
every header the core uses (Via, From, To, Call-ID, CSeq, Max-Forwards, Content-Length,
Content-Type, Contact, Route, Record-Route, Require, Proxy-Require, Supported) and that
single-valued ones appear at most once; other headers are kept verbatim.

``bytes(msg)`` writes the start line, each header as ``Name: value`` in received order and
spelling, an empty line and the body. A message in canonical form (no folding, one space after
the colon) therefore round-trips exactly: ``bytes(SipMessage.parse(x)) == x``; any message
round-trips after one pass: ``bytes(parse(bytes(parse(x)))) == bytes(parse(x))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voice.sip.address import NameAddr, parse_address_list
from voice.sip.exceptions import SipParseError
from voice.sip.fields import Headers, RawMessage, pretty_name
from voice.sip.framing import frame_datagram
from voice.sip.grammar import is_token, is_word
from voice.sip.headers import CSeq, MediaType, Via, parse_scalar, parse_token_list, parse_vias
from voice.sip.uri import Uri, parse_uri

__all__ = ["SipMessage", "SipRequest", "SipResponse"]

_SINGLE = ("from", "to", "call-id", "cseq", "max-forwards", "content-type", "content-length")


def _check_version(text: str) -> str:
    name, slash, num = text.partition("/")
    major, dot, minor = num.partition(".")
    if name.upper() != "SIP" or not slash or not dot:
        raise SipParseError("malformed SIP version")
    if not (major.isascii() and major.isdigit() and minor.isascii() and minor.isdigit()):
        raise SipParseError("malformed SIP version")
    return text


@dataclass
class SipMessage:
    """Fields shared by requests and responses. Use :meth:`parse` to build one from bytes."""

    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    version: str = "SIP/2.0"

    @staticmethod
    def parse(data: bytes) -> SipRequest | SipResponse:
        """Parse one message from a UDP datagram (or one framed stream message)."""
        raw = frame_datagram(data)
        return SipMessage.from_raw(raw)

    @staticmethod
    def from_raw(raw: RawMessage) -> SipRequest | SipResponse:
        """Check a framed message's start line and headers; errors carry ``raw``."""
        try:
            msg: SipRequest | SipResponse
            if raw.is_request:
                msg = SipRequest._from_start_line(raw.start_line)
            else:
                msg = SipResponse._from_start_line(raw.start_line)
            msg.headers = raw.headers
            msg.body = raw.body
            msg.validate()
        except SipParseError as exc:
            raise SipParseError(str(exc), raw=raw) from None
        return msg

    def start_line(self) -> str:
        raise NotImplementedError

    def __bytes__(self) -> bytes:
        lines = [self.start_line()] + [f"{n}: {v}" for n, v in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + self.body

    # --- typed header access (each call parses; parse() has already checked them) ---

    def validate(self) -> None:
        """Check every header the core relies on; raise SipParseError."""
        for name in _SINGLE:
            if self.headers.count(name) > 1:
                raise SipParseError(f"more than one {pretty_name(name)} header")
        checks: list[object] = [self.vias]
        for name in ("from", "to"):
            if name in self.headers:
                checks.append(NameAddr.parse(self.headers.get_all(name)[0], name))
        if "call-id" in self.headers:
            checks.append(self.call_id)
        if "cseq" in self.headers:
            checks.append(self.cseq)
        checks += [self.max_forwards, self.content_length, self.content_type]
        checks += [self.contacts, self.routes, self.record_routes]
        for name in ("require", "proxy-require", "supported"):
            parse_token_list(self.headers.get_all(name), name)

    @property
    def vias(self) -> list[Via]:
        return parse_vias(self.headers.get_all("via"))

    def _addr(self, name: str) -> NameAddr:
        value = self.headers.get(name)
        if value is None:
            raise SipParseError(f"missing {name} header")
        return NameAddr.parse(value, name)

    @property
    def from_addr(self) -> NameAddr:
        return self._addr("from")

    @property
    def to_addr(self) -> NameAddr:
        return self._addr("to")

    @property
    def call_id(self) -> str:
        value = self.headers.get("call-id")
        if value is None:
            raise SipParseError("missing call-id header")
        word1, at, word2 = value.partition("@")
        if not is_word(word1) or (at and not is_word(word2)):
            raise SipParseError("malformed Call-ID")
        return value

    @property
    def cseq(self) -> CSeq:
        value = self.headers.get("cseq")
        if value is None:
            raise SipParseError("missing cseq header")
        return CSeq.parse(value)

    @property
    def max_forwards(self) -> int | None:
        value = self.headers.get("max-forwards")
        return None if value is None else parse_scalar(value, "Max-Forwards", 255)

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        return None if value is None else parse_scalar(value, "Content-Length", 2**31 - 1)

    @property
    def content_type(self) -> MediaType | None:
        value = self.headers.get("content-type")
        return None if value is None else MediaType.parse(value)

    @property
    def contacts(self) -> list[NameAddr]:
        """Contact values; empty for none and for ``Contact: *``."""
        values = self.headers.get_all("contact")
        if len(values) == 1 and values[0].strip() == "*":
            return []
        return parse_address_list(values, "contact")

    @property
    def routes(self) -> list[NameAddr]:
        return parse_address_list(self.headers.get_all("route"), "route")

    @property
    def record_routes(self) -> list[NameAddr]:
        return parse_address_list(self.headers.get_all("record-route"), "record-route")

    def token_list(self, name: str) -> list[str]:
        return parse_token_list(self.headers.get_all(name), name)


@dataclass
class SipRequest(SipMessage):
    """``METHOD uri SIP/2.0`` plus headers and body."""

    method: str = "OPTIONS"
    uri: Uri = field(default_factory=lambda: parse_uri("sip:invalid"))

    @classmethod
    def _from_start_line(cls, line: str) -> SipRequest:
        parts = line.split(" ")
        if len(parts) != 3:
            raise SipParseError("malformed request line")
        method, uri_text, version = parts
        if not is_token(method):
            raise SipParseError("malformed request method")
        if not uri_text or uri_text[0] == "<":
            raise SipParseError("malformed Request-URI")
        return cls(method=method, uri=parse_uri(uri_text), version=_check_version(version))

    def start_line(self) -> str:
        return f"{self.method} {self.uri} {self.version}"


@dataclass
class SipResponse(SipMessage):
    """``SIP/2.0 code reason`` plus headers and body."""

    status: int = 200
    reason: str = "OK"

    @classmethod
    def _from_start_line(cls, line: str) -> SipResponse:
        parts = line.split(" ", 2)
        if len(parts) != 3:
            raise SipParseError("malformed status line")
        version, code, reason = parts
        if len(code) != 3 or not code.isascii() or not code.isdigit() or not 100 <= int(code) <= 699:
            raise SipParseError("malformed status code")
        if any(ord(c) < 0x20 and c != "\t" for c in reason):
            raise SipParseError("control character in reason phrase")
        return cls(status=int(code), reason=reason, version=_check_version(version))

    def start_line(self) -> str:
        return f"{self.version} {self.status} {self.reason}"
