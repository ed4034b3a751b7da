"""RFC 3261 section 25 building blocks: character classes, a cursor, quoted strings, parameters.

Everything here works on unfolded header text (see :mod:`voice.sip.fields`), so linear white
space is plain spaces and tabs. Errors are :class:`SipParseError` with fixed messages.
"""

from __future__ import annotations

import string

from voice.sip.exceptions import SipParseError

__all__ = [
    "TOKEN_CHARS",
    "Scanner",
    "is_token",
    "quote",
    "split_params",
]

ALPHANUM = frozenset(string.ascii_letters + string.digits)
TOKEN_CHARS = ALPHANUM | frozenset("-.!%*_+`'~")
WORD_CHARS = TOKEN_CHARS | frozenset('()<>:\\"/[]?{}')
WSP = frozenset(" \t")
HEX = frozenset(string.hexdigits)
#: characters allowed in a host (hostname, IPv4, IPv6 reference)
HOST_CHARS = ALPHANUM | frozenset("-.[]:")


def is_token(text: str) -> bool:
    """True when ``text`` is a non-empty RFC 3261 ``token``."""
    return bool(text) and all(c in TOKEN_CHARS for c in text)


def is_word(text: str) -> bool:
    return bool(text) and all(c in WORD_CHARS for c in text)


def quote(text: str) -> str:
    """Render ``text`` as a quoted-string, escaping ``"`` and ``\\``."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_escapes(text: str, what: str) -> None:
    """Every ``%`` in ``text`` starts a ``%HH`` escape."""
    i = text.find("%")
    while i >= 0:
        if i + 3 > len(text) or text[i + 1] not in HEX or text[i + 2] not in HEX:
            raise SipParseError(f"bad escape in {what}")
        i = text.find("%", i + 3)


class Scanner:
    """A cursor over one header value."""

    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.text)

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def skip_ws(self) -> bool:
        """Skip spaces and tabs; True if any were skipped."""
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in WSP:
            self.pos += 1
        return self.pos > start

    def accept(self, ch: str) -> bool:
        """Consume ``ch`` (after optional white space) if it is next."""
        save = self.pos
        self.skip_ws()
        if self.peek() == ch:
            self.pos += 1
            self.skip_ws()
            return True
        self.pos = save
        return False

    def expect(self, ch: str, what: str) -> None:
        if not self.accept(ch):
            raise SipParseError(f"expected '{ch}' in {what}")

    def take_while(self, chars: frozenset[str]) -> str:
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1
        return self.text[start : self.pos]

    def take_token(self, what: str) -> str:
        tok = self.take_while(TOKEN_CHARS)
        if not tok:
            raise SipParseError(f"expected a token in {what}")
        return tok

    def take_quoted(self, what: str) -> str:
        """Consume a quoted-string at the cursor and return its unescaped content."""
        if self.peek() != '"':
            raise SipParseError(f"expected a quoted string in {what}")
        self.pos += 1
        out: list[str] = []
        text = self.text
        while self.pos < len(text):
            c = text[self.pos]
            if c == '"':
                self.pos += 1
                return "".join(out)
            if c == "\\":
                if self.pos + 1 >= len(text):
                    break
                nxt = text[self.pos + 1]
                if nxt in "\r\n" or ord(nxt) > 0x7F:
                    raise SipParseError(f"bad quoted-pair in {what}")
                out.append(nxt)
                self.pos += 2
                continue
            if ord(c) < 0x20 and c != "\t":
                raise SipParseError(f"control character in quoted string in {what}")
            out.append(c)
            self.pos += 1
        raise SipParseError(f"unterminated quoted string in {what}")

    def take_gen_value(self, what: str) -> str:
        """gen-value = token / host / quoted-string; a quoted value keeps its quotes."""
        if self.peek() == '"':
            start = self.pos
            self.take_quoted(what)
            return self.text[start : self.pos]
        val = self.take_while(TOKEN_CHARS | frozenset("[]:"))
        if not val:
            raise SipParseError(f"empty parameter value in {what}")
        return val

    def take_params(self, what: str) -> list[tuple[str, str | None]]:
        """``*( SEMI generic-param )``; stops before anything else (a comma, the end)."""
        params: list[tuple[str, str | None]] = []
        while self.accept(";"):
            name = self.take_token(what)
            value: str | None = None
            if self.accept("="):
                value = self.take_gen_value(what)
            params.append((name, value))
            self.skip_ws()
        return params

    def end_of_value(self, what: str, *, allow_comma: bool) -> bool:
        """After a value: True if a comma follows (another value), False at the end."""
        self.skip_ws()
        if self.at_end():
            return False
        if allow_comma and self.accept(","):
            if self.at_end():
                raise SipParseError(f"empty value after ',' in {what}")
            return True
        raise SipParseError(f"unexpected character in {what}")


def split_params(params: list[tuple[str, str | None]]) -> dict[str, str | None]:
    """Parameters as a dict keyed by lower-case name (the first of duplicates wins)."""
    out: dict[str, str | None] = {}
    for name, value in params:
        out.setdefault(name.lower(), value)
    return out


def format_params(params: list[tuple[str, str | None]]) -> str:
    return "".join(f";{n}" if v is None else f";{n}={v}" for n, v in params)


def unquote_param(value: str | None) -> str | None:
    if value is not None and len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return Scanner(value).take_quoted("parameter")
    return value
