"""Typed values of the header fields the core relies on: Via, CSeq, scalars, media types.

Each ``parse`` raises :class:`SipParseError` with a fixed message. ``str()`` renders a value in
canonical form (single spaces, no folding).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voice.sip.exceptions import SipParseError
from voice.sip.grammar import HOST_CHARS, Scanner, format_params, is_token

__all__ = ["MAGIC_COOKIE", "CSeq", "MediaType", "Via", "parse_scalar", "parse_token_list", "parse_vias"]

MAGIC_COOKIE = "z9hG4bK"
CSEQ_LIMIT = 2**31


@dataclass
class Via:
    """One via-parm: ``SIP/2.0/UDP host:port;branch=z9hG4bK...;received=...;rport``."""

    transport: str
    host: str
    port: int | None = None
    params: list[tuple[str, str | None]] = field(default_factory=list)
    protocol: str = "SIP/2.0"

    def __str__(self) -> str:
        hostport = self.host if self.port is None else f"{self.host}:{self.port}"
        return f"{self.protocol}/{self.transport} {hostport}{format_params(self.params)}"

    def param(self, name: str) -> str | None:
        for n, v in self.params:
            if n.lower() == name.lower():
                return "" if v is None else v
        return None

    @property
    def branch(self) -> str | None:
        return self.param("branch") or None

    @property
    def is_rfc3261(self) -> bool:
        """True when the branch carries the magic cookie and something after it."""
        branch = self.branch
        return branch is not None and branch.startswith(MAGIC_COOKIE) and len(branch) > len(MAGIC_COOKIE)

    @property
    def sent_by(self) -> str:
        return (self.host if self.port is None else f"{self.host}:{self.port}").lower()

    def set_param(self, name: str, value: str | None) -> None:
        for i, (n, _) in enumerate(self.params):
            if n.lower() == name.lower():
                self.params[i] = (n, value)
                return
        self.params.append((name, value))


def _parse_via_parm(sc: Scanner) -> Via:
    what = "Via"
    name = sc.take_token(what)
    sc.expect("/", what)
    version = sc.take_token(what)
    sc.expect("/", what)
    transport = sc.take_token(what)
    if not sc.skip_ws():
        raise SipParseError("expected white space after Via protocol")
    if sc.peek() == "[":
        end = sc.text.find("]", sc.pos)
        if end < 0:
            raise SipParseError("invalid Via host")
        host = sc.text[sc.pos : end + 1]
        sc.pos = end + 1
    else:
        host = sc.take_while(HOST_CHARS - frozenset(":[]"))
    if not host:
        raise SipParseError("empty Via host")
    port: int | None = None
    if sc.accept(":"):
        digits = sc.take_while(frozenset("0123456789"))
        if not digits or int(digits) > 65535:
            raise SipParseError("invalid Via port")
        port = int(digits)
    params = sc.take_params(what)
    return Via(transport=transport, host=host, port=port, params=params, protocol=f"{name}/{version}")


def parse_vias(values: list[str]) -> list[Via]:
    """Every via-parm of every Via header line, top first."""
    out: list[Via] = []
    for text in values:
        sc = Scanner(text)
        sc.skip_ws()
        while True:
            out.append(_parse_via_parm(sc))
            if not sc.end_of_value("Via", allow_comma=True):
                break
    return out


@dataclass(frozen=True)
class CSeq:
    """``CSeq: 4711 INVITE``: sequence number below 2**31 and method."""

    number: int
    method: str

    @classmethod
    def parse(cls, text: str) -> CSeq:
        parts = text.split()
        if len(parts) != 2 or not parts[0].isascii() or not parts[0].isdigit():
            raise SipParseError("malformed CSeq")
        if len(parts[0]) > 12 or int(parts[0]) >= CSEQ_LIMIT:
            raise SipParseError("CSeq number out of range")
        if not is_token(parts[1]):
            raise SipParseError("malformed CSeq method")
        return cls(int(parts[0]), parts[1])

    def __str__(self) -> str:
        return f"{self.number} {self.method}"


def parse_scalar(text: str, what: str, limit: int) -> int:
    """A ``1*DIGIT`` value no larger than ``limit``."""
    text = text.strip()
    if not text or not text.isascii() or not text.isdigit():
        raise SipParseError(f"malformed {what}")
    if len(text) > 20 or int(text) > limit:
        raise SipParseError(f"{what} out of range")
    return int(text)


def parse_token_list(values: list[str], what: str) -> list[str]:
    """Comma-separated tokens (Require, Supported, Allow, ...)."""
    out: list[str] = []
    for text in values:
        for part in text.split(","):
            part = part.strip()
            if not part:
                continue
            if not is_token(part):
                raise SipParseError(f"malformed {what}")
            out.append(part)
    return out


@dataclass(frozen=True)
class MediaType:
    """``type/subtype;params`` of Content-Type and Accept entries (lower-cased type)."""

    type: str
    subtype: str
    params: tuple[tuple[str, str | None], ...] = ()

    @classmethod
    def parse(cls, text: str) -> MediaType:
        sc = Scanner(text)
        sc.skip_ws()
        mtype = sc.take_token("media type")
        sc.expect("/", "media type")
        sub = sc.take_token("media type")
        params = sc.take_params("media type")
        sc.end_of_value("media type", allow_comma=False)
        return cls(mtype.lower(), sub.lower(), tuple(params))

    @classmethod
    def parse_list(cls, values: list[str]) -> list[MediaType]:
        out: list[MediaType] = []
        for text in values:
            for part in _split_commas(text):
                if part.strip():
                    out.append(cls.parse(part))
        return out

    @property
    def mime(self) -> str:
        return f"{self.type}/{self.subtype}"

    def param(self, name: str) -> str | None:
        for n, v in self.params:
            if n.lower() == name.lower():
                return v
        return None

    def matches(self, mime: str) -> bool:
        """True when this (possibly wildcard) range covers ``mime``."""
        t, _, s = mime.lower().partition("/")
        return self.type in ("*", t) and self.subtype in ("*", s)


def _split_commas(text: str) -> list[str]:
    out: list[str] = []
    depth_quote = False
    start = 0
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            depth_quote = not depth_quote
        elif c == "\\" and depth_quote:
            i += 1
        elif c == "," and not depth_quote:
            out.append(text[start:i])
            start = i + 1
        i += 1
    out.append(text[start:])
    return out
