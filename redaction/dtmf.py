"""Gather DTMF keys typed during an AI conversation and tokenize them like spoken digits.

Keys arrive one by one (RFC 4733 events or in-band detection, decoded elsewhere). A sequence ends
at ``#``, at ``*`` (cancel), or when the inter-digit gap exceeds ``timeout_s``; the finished
sequence goes through the sink's ``redact_dtmf`` (:meth:`CallRedactor.redact_dtmf` or
:meth:`CallGuard.redact_dtmf`), so a card typed on the keypad becomes ``[CREDIT_CARD_1]``; even a
single key becomes a token (typed digits are never plain).
"""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar

from redaction.entities import EntityType
from redaction.exceptions import RedactionError

R_co = TypeVar("R_co", covariant=True)


class KeypadSink(Protocol[R_co]):
    """What a finished sequence goes to: anything that tokenizes typed digits."""

    def redact_dtmf(self, digits: str, *, expect: EntityType | None = None) -> R_co: ...

VALID_KEYS = frozenset("0123456789*#ABCD")
MAX_KEYS = 64


class DtmfGatherer(Generic[R_co]):
    """Collects keys for one call; :meth:`push` returns the sink's result when a sequence ends."""

    def __init__(self, redactor: KeypadSink[R_co], *, timeout_s: float = 3.0) -> None:
        self._redactor = redactor
        self.timeout_s = timeout_s
        self._keys: list[str] = []
        self._last_t: float | None = None
        self.expect: EntityType | None = None

    def __repr__(self) -> str:
        return f"DtmfGatherer(pending_keys={len(self._keys)})"

    @property
    def pending(self) -> int:
        return len(self._keys)

    def push(self, key: str, t: float) -> R_co | None:
        """Add one key pressed at time ``t`` (seconds). Returns the redacted sequence when it ends."""
        key = key.upper()
        if key not in VALID_KEYS:
            raise RedactionError("not a DTMF key")
        done: R_co | None = None
        if self._last_t is not None and t - self._last_t > self.timeout_s and self._keys:
            done = self.flush()
        self._last_t = t
        if key == "#":
            return self.flush() or done
        if key == "*":
            self._keys.clear()
            return done
        if key.isdigit():
            self._keys.append(key)
            if len(self._keys) >= MAX_KEYS:
                return self.flush()
        return done

    def poll(self, t: float) -> R_co | None:
        """Call periodically: ends the sequence if no key came for ``timeout_s``."""
        if self._keys and self._last_t is not None and t - self._last_t > self.timeout_s:
            return self.flush()
        return None

    def flush(self) -> R_co | None:
        """End the current sequence now."""
        if not self._keys:
            return None
        keys = "".join(self._keys)
        self._keys.clear()
        return self._redactor.redact_dtmf(keys, expect=self.expect)
