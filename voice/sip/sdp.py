"""SDP session descriptions (RFC 4566): ``SessionDescription.parse(data)`` and ``bytes(sdp)``.

Only what a G.711 voice endpoint needs is typed: origin, connection, timing, media lines with
their payload formats, and attributes (rtpmap, fmtp, ptime, direction). Other lines are kept
and written back (session ``i u e p b z k r`` lines and media ``i b k`` lines as ``extra``).
Lines are written in RFC 4566 order, so an SDP in that order round-trips exactly.
Malformed input raises :class:`voice.sip.exceptions.SdpParseError`.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from voice.sip.exceptions import SdpParseError

__all__ = ["Connection", "Direction", "MediaDescription", "Origin", "SessionDescription"]

MAX_SDP = 65536


class Direction(enum.Enum):
    """Media direction attribute (RFC 4566 6, RFC 3264 hold)."""

    SENDRECV = "sendrecv"
    SENDONLY = "sendonly"
    RECVONLY = "recvonly"
    INACTIVE = "inactive"

    def reversed(self) -> Direction:
        """The direction an answerer uses for an offer with this direction."""
        return {Direction.SENDONLY: Direction.RECVONLY, Direction.RECVONLY: Direction.SENDONLY}.get(
            self, self
        )


_DIRECTIONS = {d.value: d for d in Direction}


@dataclass
class Origin:
    username: str = "-"
    session_id: str = "0"
    session_version: str = "0"
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "0.0.0.0"

    def __str__(self) -> str:
        return " ".join(
            [self.username, self.session_id, self.session_version, self.nettype, self.addrtype, self.address]
        )


@dataclass
class Connection:
    nettype: str = "IN"
    addrtype: str = "IP4"
    address: str = "0.0.0.0"

    def __str__(self) -> str:
        return f"{self.nettype} {self.addrtype} {self.address}"

    @classmethod
    def parse(cls, text: str) -> Connection:
        parts = text.split()
        if len(parts) != 3:
            raise SdpParseError("malformed c= line")
        return cls(parts[0], parts[1], parts[2])


def _attr_get(attributes: list[tuple[str, str | None]], name: str) -> list[str]:
    return [v or "" for n, v in attributes if n == name]


@dataclass
class MediaDescription:
    """One ``m=`` section."""

    media: str = "audio"
    port: int = 0
    proto: str = "RTP/AVP"
    formats: list[str] = field(default_factory=list)
    port_count: int | None = None
    connection: Connection | None = None
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)

    def attribute(self, name: str) -> str | None:
        values = _attr_get(self.attributes, name)
        return values[0] if values else None

    def rtpmaps(self) -> dict[int, tuple[str, int, int]]:
        """payload type -> (encoding name upper-cased, clock rate, channels)."""
        out: dict[int, tuple[str, int, int]] = {}
        for value in _attr_get(self.attributes, "rtpmap"):
            pt_text, _, enc = value.partition(" ")
            parts = enc.strip().split("/")
            if not pt_text.isdigit() or len(parts) < 2 or not parts[1].isdigit():
                continue
            channels = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 1
            out[int(pt_text)] = (parts[0].upper(), int(parts[1]), channels)
        return out

    def fmtp(self, payload_type: int) -> str | None:
        for value in _attr_get(self.attributes, "fmtp"):
            pt_text, _, params = value.partition(" ")
            if pt_text == str(payload_type):
                return params.strip()
        return None

    @property
    def direction(self) -> Direction | None:
        for n, _ in self.attributes:
            if n in _DIRECTIONS:
                return _DIRECTIONS[n]
        return None

    @property
    def ptime(self) -> int | None:
        value = self.attribute("ptime")
        return int(value) if value and value.isdigit() else None

    def lines(self) -> list[str]:
        port = str(self.port) if self.port_count is None else f"{self.port}/{self.port_count}"
        out = [f"m={self.media} {port} {self.proto} {' '.join(self.formats)}"]
        out += [f"{k}={v}" for k, v in self.extra if k == "i"]
        if self.connection is not None:
            out.append(f"c={self.connection}")
        out += [f"{k}={v}" for k, v in self.extra if k != "i"]
        out += [f"a={n}" if v is None else f"a={n}:{v}" for n, v in self.attributes]
        return out


@dataclass
class SessionDescription:
    """A whole SDP body."""

    origin: Origin = field(default_factory=Origin)
    session_name: str = "-"
    connection: Connection | None = None
    timing: list[str] = field(default_factory=lambda: ["0 0"])
    attributes: list[tuple[str, str | None]] = field(default_factory=list)
    media: list[MediaDescription] = field(default_factory=list)
    extra: list[tuple[str, str]] = field(default_factory=list)
    version: int = 0

    @classmethod
    def parse(cls, data: bytes) -> SessionDescription:
        if len(data) > MAX_SDP:
            raise SdpParseError("SDP too long")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise SdpParseError("SDP is not valid UTF-8") from None
        lines = [ln[:-1] if ln.endswith("\r") else ln for ln in text.split("\n")]
        while lines and lines[-1] == "":
            lines.pop()
        if not lines or lines[0] != "v=0":
            raise SdpParseError("SDP does not start with v=0")
        sdp = cls(timing=[])
        have_origin = False
        current: MediaDescription | None = None
        for line in lines[1:]:
            if len(line) < 2 or line[1] != "=" or not ("a" <= line[0] <= "z"):
                raise SdpParseError("malformed SDP line")
            kind, value = line[0], line[2:]
            if kind == "m":
                current = _parse_media(value)
                sdp.media.append(current)
            elif kind == "a":
                name, sep, aval = value.partition(":")
                if not name:
                    raise SdpParseError("malformed a= line")
                (current.attributes if current else sdp.attributes).append((name, aval if sep else None))
            elif kind == "c":
                conn = Connection.parse(value)
                if current is None:
                    sdp.connection = conn
                else:
                    current.connection = conn
            elif current is not None:
                current.extra.append((kind, value))
            elif kind == "o":
                parts = value.split()
                if len(parts) != 6:
                    raise SdpParseError("malformed o= line")
                sdp.origin = Origin(*parts)
                have_origin = True
            elif kind == "s":
                sdp.session_name = value
            elif kind == "t":
                sdp.timing.append(value)
            elif kind == "v":
                raise SdpParseError("more than one v= line")
            else:
                sdp.extra.append((kind, value))
        if not have_origin:
            raise SdpParseError("SDP has no o= line")
        return sdp

    def __bytes__(self) -> bytes:
        out = [f"v={self.version}", f"o={self.origin}", f"s={self.session_name}"]
        out += [f"{k}={v}" for k, v in self.extra if k in "iuep"]
        if self.connection is not None:
            out.append(f"c={self.connection}")
        out += [f"{k}={v}" for k, v in self.extra if k == "b"]
        out += [f"t={t}" for t in self.timing]
        out += [f"{k}={v}" for k, v in self.extra if k not in "iuepb"]
        out += [f"a={n}" if v is None else f"a={n}:{v}" for n, v in self.attributes]
        for m in self.media:
            out += m.lines()
        return ("\r\n".join(out) + "\r\n").encode("utf-8")

    @property
    def direction(self) -> Direction | None:
        for n, _ in self.attributes:
            if n in _DIRECTIONS:
                return _DIRECTIONS[n]
        return None

    def media_direction(self, m: MediaDescription) -> Direction:
        """A media section's direction: its own attribute, else the session's, else sendrecv."""
        return m.direction or self.direction or Direction.SENDRECV

    def media_connection(self, m: MediaDescription) -> Connection | None:
        return m.connection or self.connection


def _parse_media(value: str) -> MediaDescription:
    parts = value.split()
    if len(parts) < 4:
        raise SdpParseError("malformed m= line")
    port_text, _, count_text = parts[1].partition("/")
    if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
        raise SdpParseError("malformed m= port")
    count: int | None = None
    if count_text:
        if not count_text.isascii() or not count_text.isdigit():
            raise SdpParseError("malformed m= port")
        count = int(count_text)
    return MediaDescription(
        media=parts[0], port=int(port_text), proto=parts[2], formats=parts[3:], port_count=count
    )
