"""name-addr / addr-spec values: From, To, Contact, Route, Record-Route, Refer-To (RFC 3261 20.10).

``NameAddr.parse('"Alice" <sip:alice@example.com>;tag=1928')`` and ``parse_address_list`` for
comma-separated headers (Contact, Route). ``str()`` renders ``display <uri>;params``.
Rules enforced beyond the ABNF (RFC 3261 20): an addr-spec outside ``<>`` may not carry
URI headers (``?``), and nothing but the URI may sit between ``<`` and ``>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from voice.sip.exceptions import SipParseError
from voice.sip.grammar import TOKEN_CHARS, Scanner, format_params, quote
from voice.sip.uri import SipUri, Uri, parse_uri

__all__ = ["NameAddr", "parse_address_list"]

_ADDR_SPEC_STOP = frozenset(";, \t")


@dataclass
class NameAddr:
    """A display name (may be None), a URI and header parameters such as ``tag``."""

    uri: Uri
    display_name: str | None = None
    params: list[tuple[str, str | None]] = field(default_factory=list)
    bracketed: bool = True

    @classmethod
    def parse(cls, text: str, what: str = "address") -> NameAddr:
        """Parse exactly one value (no comma-separated list)."""
        sc = Scanner(text)
        sc.skip_ws()
        value = _parse_one(sc, what)
        sc.end_of_value(what, allow_comma=False)
        return value

    def __str__(self) -> str:
        out = ""
        if self.display_name is not None:
            out = quote(self.display_name) + " "
        if self.bracketed or self.display_name is not None:
            out += f"<{self.uri}>"
        else:
            out += str(self.uri)
        return out + format_params(self.params)

    def param(self, name: str) -> str | None:
        for n, v in self.params:
            if n.lower() == name.lower():
                return "" if v is None else v
        return None

    @property
    def tag(self) -> str | None:
        tag = self.param("tag")
        return tag or None

    def with_tag(self, tag: str) -> NameAddr:
        params = [(n, v) for n, v in self.params if n.lower() != "tag"] + [("tag", tag)]
        return NameAddr(uri=self.uri, display_name=self.display_name, params=params, bracketed=self.bracketed)

    @property
    def sip_uri(self) -> SipUri | None:
        return self.uri if isinstance(self.uri, SipUri) else None


def _parse_bracketed(sc: Scanner, what: str) -> Uri:
    if sc.peek() != "<":
        raise SipParseError(f"expected '<' in {what}")
    end = sc.text.find(">", sc.pos)
    if end < 0:
        raise SipParseError(f"missing '>' in {what}")
    inner = sc.text[sc.pos + 1 : end]
    if not inner or any(c in " \t" for c in inner):
        raise SipParseError(f"white space inside <> in {what}")
    sc.pos = end + 1
    return parse_uri(inner)


def _parse_one(sc: Scanner, what: str) -> NameAddr:
    display: str | None = None
    if sc.peek() == '"':
        display = sc.take_quoted(what)
        sc.skip_ws()
        uri = _parse_bracketed(sc, what)
        bracketed = True
    elif sc.peek() == "<":
        uri = _parse_bracketed(sc, what)
        bracketed = True
    else:
        start = sc.pos
        words: list[str] = []
        while True:
            word = sc.take_while(TOKEN_CHARS)
            if not word:
                break
            words.append(word)
            sc.skip_ws()
        if words and sc.peek() == "<":
            display = " ".join(words)
            uri = _parse_bracketed(sc, what)
            bracketed = True
        else:
            sc.pos = start
            while not sc.at_end() and sc.peek() not in _ADDR_SPEC_STOP:
                sc.pos += 1
            text = sc.text[start : sc.pos]
            if not text:
                raise SipParseError(f"empty {what}")
            uri = parse_uri(text)
            if isinstance(uri, SipUri) and uri.headers is not None:
                raise SipParseError(f"URI with headers must be enclosed in <> in {what}")
            bracketed = False
    sc.skip_ws()
    params = sc.take_params(what)
    return NameAddr(uri=uri, display_name=display, params=params, bracketed=bracketed)


def parse_address_list(values: list[str], what: str) -> list[NameAddr]:
    """Parse every comma-separated name-addr of every header line in ``values``."""
    out: list[NameAddr] = []
    for text in values:
        sc = Scanner(text)
        sc.skip_ws()
        if sc.at_end():
            raise SipParseError(f"empty {what}")
        while True:
            out.append(_parse_one(sc, what))
            if not sc.end_of_value(what, allow_comma=True):
                break
    return out
