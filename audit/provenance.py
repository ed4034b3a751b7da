"""Provenance for the raw-data check: text the workspace itself owns is not caller data.

The schema's backstop (:func:`audit.payloads.check_tokenized`) refuses a TEXT value with a run of 7 or
more digits or an e-mail address, because untokenized caller data looks like that. A business's own
phone number or street address in its FAQ looks the same, and the concierge quotes it to callers, so
the workspace registers what it owns (:func:`register_owned`): the digit runs and e-mail addresses
of its configuration. A run in an event is let through when its digits are a contiguous part of a
number the workspace owns (at least 7 of them, so "555 123 4567" passes where the FAQ has
"(555) 123-4567"); an address when the workspace owns it. Everything else is refused as before.

The registry is per process and per workspace, and keeps the numbers of the last few versions it
was given (:data:`KEEP_VERSIONS`), so a call still running on the previous version passes too.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

KEEP_VERSIONS = 4
MIN_DIGITS = 7
_SPOKEN = {"zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
           "seven": "7", "eight": "8", "nine": "9"}
_DIGIT = r"(?:\d|zero|oh|one|two|three|four|five|six|seven|eight|nine)"
# In owned text a number may carry brackets and a plus sign: "+1 (555) 123-4567".
_OWNED_RUN = re.compile(rf"(?<![A-Za-z0-9_]){_DIGIT}(?:[\s\-./,()+]*{_DIGIT})+", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_WORD = re.compile(r"\d|[a-z]+", re.IGNORECASE)


def digits_of(run: str) -> str:
    """The digits of a run, spoken digits included: "five 5 5-0199" -> "5550199"."""
    return "".join(_SPOKEN.get(w.lower(), w) for w in _WORD.findall(run) if w.isdigit() or w.lower() in _SPOKEN)


@dataclass(frozen=True, slots=True)
class Owned:
    """What one workspace owns: its numbers (digits only) and its e-mail addresses (lower case)."""

    numbers: frozenset[str] = frozenset()
    emails: frozenset[str] = frozenset()

    def owns_number(self, run: str) -> bool:
        digits = digits_of(run)
        return len(digits) >= MIN_DIGITS and any(digits in n for n in self.numbers)

    def owns_email(self, address: str) -> bool:
        return address.lower() in self.emails

    def __or__(self, other: Owned) -> Owned:
        return Owned(self.numbers | other.numbers, self.emails | other.emails)


def owned_from(texts: Iterable[str]) -> Owned:
    """The numbers and addresses in ``texts`` (a workspace's configuration)."""
    numbers: set[str] = set()
    emails: set[str] = set()
    for text in texts:
        for m in _OWNED_RUN.finditer(text):
            digits = digits_of(m.group(0))
            if len(digits) >= MIN_DIGITS:
                numbers.add(digits)
        emails.update(e.lower() for e in _EMAIL.findall(text))
    return Owned(frozenset(numbers), frozenset(emails))


_lock = threading.Lock()
_registry: dict[str, OrderedDict[str, Owned]] = {}
_NOTHING = Owned()


def register_owned(workspace_id: str, texts: Iterable[str]) -> Owned:
    """Record what the workspace's configuration owns (idempotent per distinct configuration)."""
    items = list(texts)
    key = hashlib.sha256("\x00".join(items).encode()).hexdigest()
    with _lock:
        versions = _registry.setdefault(workspace_id, OrderedDict())
        if key in versions:
            versions.move_to_end(key)
            return versions[key]
        owned = owned_from(items)
        versions[key] = owned
        while len(versions) > KEEP_VERSIONS:
            versions.popitem(last=False)
        return owned


def owned_by(workspace_id: str | None) -> Owned:
    """Everything the workspace's recent configurations own (nothing for an unknown workspace)."""
    if workspace_id is None:
        return _NOTHING
    with _lock:
        versions = _registry.get(workspace_id)
        if not versions:
            return _NOTHING
        out = _NOTHING
        for owned in versions.values():
            out = out | owned
        return out


def forget(workspace_id: str) -> None:
    """Drop a workspace's registrations (tests)."""
    with _lock:
        _registry.pop(workspace_id, None)
