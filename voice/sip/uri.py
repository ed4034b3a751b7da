"""SIP and SIPS URIs (RFC 3261 section 19.1) and other absolute URIs.

``parse_uri("sip:alice@example.com:5070;transport=udp")`` returns a :class:`SipUri`;
any other scheme (``tel:``, ``http:``, ``nobodyKnowsThisScheme:``) returns an
:class:`AbsoluteUri`. ``str(uri)`` gives back the text it was parsed from.
User, parameters and headers keep their %-escapes; :func:`unescape` decodes them.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from urllib.parse import unquote

from voice.sip.exceptions import SipParseError
from voice.sip.grammar import ALPHANUM, HEX, check_escapes

__all__ = ["AbsoluteUri", "SipUri", "Uri", "parse_uri", "unescape"]

_MARK = frozenset("-_.!~*'()")
_UNRESERVED = ALPHANUM | _MARK
_USER = _UNRESERVED | frozenset("&=+$,;?/%")
_PASSWORD = _UNRESERVED | frozenset("&=+$,%")
_PARAM = _UNRESERVED | frozenset("[]/:&+$%")
_HNV = _UNRESERVED | frozenset("[]/?:+$%")
_URIC = _UNRESERVED | frozenset(";/?:@&=+$,%")
_SCHEME_FIRST = frozenset(string.ascii_letters)
_SCHEME = ALPHANUM | frozenset("+-.")
_HOSTNAME = ALPHANUM | frozenset("-.")
_IPV6 = HEX | frozenset(":.")


def unescape(text: str) -> str:
    """Decode %-escapes (``"cal%6Cer"`` -> ``"caller"``)."""
    return unquote(text, errors="surrogateescape")


@dataclass
class SipUri:
    """``sip:user:password@host:port;params?headers`` (``scheme`` is ``sip`` or ``sips``)."""

    host: str
    user: str | None = None
    password: str | None = None
    port: int | None = None
    params: list[tuple[str, str | None]] = field(default_factory=list)
    headers: str | None = None
    scheme: str = "sip"

    def __str__(self) -> str:
        out = [self.scheme, ":"]
        if self.user is not None:
            out.append(self.user)
            if self.password is not None:
                out += [":", self.password]
            out.append("@")
        out.append(self.host)
        if self.port is not None:
            out += [":", str(self.port)]
        out += [f";{n}" if v is None else f";{n}={v}" for n, v in self.params]
        if self.headers is not None:
            out += ["?", self.headers]
        return "".join(out)

    def param(self, name: str) -> str | None:
        """Value of a URI parameter ('' for a flag such as ``lr``), None when absent."""
        for n, v in self.params:
            if n.lower() == name.lower():
                return "" if v is None else v
        return None

    @property
    def is_loose_route(self) -> bool:
        return self.param("lr") is not None


@dataclass
class AbsoluteUri:
    """Any URI of a scheme other than sip/sips, kept opaque."""

    scheme: str
    rest: str

    def __str__(self) -> str:
        return f"{self.scheme}:{self.rest}"


Uri = SipUri | AbsoluteUri


def _check(text: str, allowed: frozenset[str], what: str) -> None:
    for c in text:
        if c not in allowed:
            raise SipParseError(f"invalid character in {what}")
    if "%" in text:
        check_escapes(text, what)


def _parse_host(text: str) -> tuple[str, int | None]:
    if text.startswith("["):
        end = text.find("]")
        if end < 0 or not all(c in _IPV6 for c in text[1:end]) or end == 1:
            raise SipParseError("invalid IPv6 reference in URI host")
        host, rest = text[: end + 1], text[end + 1 :]
    else:
        host, _, port_text = text.partition(":")
        rest = ":" + port_text if _ else ""
        if not host or not all(c in _HOSTNAME for c in host):
            raise SipParseError("invalid URI host")
    port: int | None = None
    if rest:
        if not rest.startswith(":") or not rest[1:].isdigit() or not rest[1:].isascii():
            raise SipParseError("invalid URI port")
        port = int(rest[1:])
        if port > 65535:
            raise SipParseError("URI port out of range")
    return host, port


def _parse_sip(scheme: str, body: str) -> SipUri:
    if body.count("@") > 1:
        raise SipParseError("more than one '@' in SIP URI")
    user: str | None = None
    password: str | None = None
    if "@" in body:
        userinfo, body = body.split("@")
        user, sep, pw = userinfo.partition(":")
        if not user:
            raise SipParseError("empty user in SIP URI")
        _check(user, _USER, "SIP URI user")
        if sep:
            _check(pw, _PASSWORD, "SIP URI password")
            password = pw
    headers: str | None = None
    if "?" in body:
        body, headers = body.split("?", 1)
        for pair in headers.split("&"):
            name, eq, value = pair.partition("=")
            if not name or not eq:
                raise SipParseError("invalid SIP URI header")
            _check(name, _HNV, "SIP URI header")
            _check(value, _HNV, "SIP URI header")
    hostport, *param_texts = body.split(";")
    host, port = _parse_host(hostport)
    params: list[tuple[str, str | None]] = []
    for text in param_texts:
        name, eq, value = text.partition("=")
        if not name or (eq and not value):
            raise SipParseError("empty SIP URI parameter")
        _check(name, _PARAM, "SIP URI parameter")
        _check(value, _PARAM, "SIP URI parameter")
        params.append((name, value if eq else None))
    return SipUri(
        host=host, user=user, password=password, port=port, params=params, headers=headers, scheme=scheme
    )


def parse_uri(text: str) -> Uri:
    """Parse a URI; raise :class:`SipParseError` when it is not one."""
    scheme, sep, rest = text.partition(":")
    if not sep or not scheme or scheme[0] not in _SCHEME_FIRST or not all(c in _SCHEME for c in scheme):
        raise SipParseError("URI has no valid scheme")
    if scheme.lower() in ("sip", "sips"):
        return _parse_sip(scheme, rest)
    if not rest:
        raise SipParseError("empty URI after scheme")
    _check(rest, _URIC, "URI")
    return AbsoluteUri(scheme=scheme, rest=rest)
