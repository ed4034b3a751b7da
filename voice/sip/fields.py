"""Header fields as received: an ordered multi-map with RFC 3261 compact names, and RawMessage.

:class:`Headers` keeps each header line as ``(name as received, value)``; the value is unfolded
(each CRLF + whitespace continuation became one space) and stripped. Lookups ignore case and
understand compact forms (``v`` is ``Via``, ``l`` is ``Content-Length``, ...)::

    headers = Headers([("v", "SIP/2.0/UDP a.example.com"), ("Via", "SIP/2.0/UDP b")])
    headers.get_all("via")   # ['SIP/2.0/UDP a.example.com', 'SIP/2.0/UDP b']

:class:`RawMessage` is what framing yields before any header grammar is checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["COMPACT_FORMS", "Headers", "RawMessage", "canonical_name"]

#: RFC 3261 section 7.3.3 and later RFCs: compact form -> lower-case long name.
COMPACT_FORMS: dict[str, str] = {
    "i": "call-id",
    "m": "contact",
    "e": "content-encoding",
    "l": "content-length",
    "c": "content-type",
    "f": "from",
    "s": "subject",
    "k": "supported",
    "t": "to",
    "v": "via",
    "r": "refer-to",
    "b": "referred-by",
    "o": "event",
    "u": "allow-events",
    "a": "accept-contact",
    "j": "reject-contact",
    "d": "request-disposition",
    "x": "session-expires",
    "y": "identity",
    "n": "identity-info",
}

_PRETTY = {
    "call-id": "Call-ID",
    "cseq": "CSeq",
    "www-authenticate": "WWW-Authenticate",
    "mime-version": "MIME-Version",
}


def canonical_name(name: str) -> str:
    """The lower-case long form of a header name (``"V"`` -> ``"via"``)."""
    low = name.lower()
    return COMPACT_FORMS.get(low, low)


def pretty_name(name: str) -> str:
    """The conventional spelling of a header name, for headers we write (``"call-id"`` -> ``"Call-ID"``)."""
    low = canonical_name(name)
    return _PRETTY.get(low) or "-".join(part.capitalize() for part in low.split("-"))


class Headers:
    """Ordered header lines; case-insensitive, compact-form-aware lookup."""

    __slots__ = ("_items", "_keys")

    def __init__(self, items: Iterable[tuple[str, str]] = ()) -> None:
        self._items: list[tuple[str, str]] = list(items)
        self._keys: list[str] = [canonical_name(n) for n, _ in self._items]

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and canonical_name(name) in self._keys

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Headers) and self._items == other._items

    def __repr__(self) -> str:
        return f"Headers({len(self._items)} lines)"

    def copy(self) -> Headers:
        return Headers(self._items)

    def get_all(self, name: str) -> list[str]:
        """Every value of header ``name`` in order (one entry per header line)."""
        key = canonical_name(name)
        return [item[1] for k, item in zip(self._keys, self._items, strict=True) if k == key]

    def get(self, name: str) -> str | None:
        """The first value of ``name``, or None."""
        key = canonical_name(name)
        for k, item in zip(self._keys, self._items, strict=True):
            if k == key:
                return item[1]
        return None

    def count(self, name: str) -> int:
        return self._keys.count(canonical_name(name))

    def add(self, name: str, value: str) -> None:
        """Append a header line."""
        self._items.append((name, value))
        self._keys.append(canonical_name(name))

    def set(self, name: str, value: str) -> None:
        """Replace every line of ``name`` by one line (kept at the first one's position)."""
        key = canonical_name(name)
        if key not in self._keys:
            self.add(pretty_name(name), value)
            return
        first = self._keys.index(key)
        self._items[first] = (self._items[first][0], value)
        keep = [i for i, k in enumerate(self._keys) if k != key or i == first]
        self._items = [self._items[i] for i in keep]
        self._keys = [self._keys[i] for i in keep]

    def remove(self, name: str) -> None:
        key = canonical_name(name)
        keep = [i for i, k in enumerate(self._keys) if k != key]
        self._items = [self._items[i] for i in keep]
        self._keys = [self._keys[i] for i in keep]

    def replace_first(self, name: str, value: str) -> None:
        """Replace only the first line of ``name`` (used to stamp the top Via)."""
        key = canonical_name(name)
        if key in self._keys:
            i = self._keys.index(key)
            self._items[i] = (self._items[i][0], value)
        else:
            self.add(pretty_name(name), value)


@dataclass
class RawMessage:
    """A framed message whose header grammar has not (or not successfully) been checked."""

    start_line: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""

    @property
    def is_request(self) -> bool:
        """True unless the start line looks like a status line."""
        return not self.start_line.startswith("SIP/")

    @property
    def method(self) -> str:
        """The first word of a request line ('' for a response)."""
        return self.start_line.split(" ", 1)[0] if self.is_request else ""
