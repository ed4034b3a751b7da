"""The privacy boundary of one call: the only way caller words and keys become text anything else sees.

One :class:`CallGuard` per call sees the whole call, not one utterance::

    guard = CallGuard(CallRedactor(workspace_key=key, call_id=cid), last_four_ok=True)
    r = guard.heard("it's 41")            # a final transcript -> GuardResult(text="it's [NUMBER_1]")
    r = guard.typed("11")                 # a finished keypad sequence joins the same number
    guard.expect(EntityType.CREDIT_CARD)  # the concierge just asked for a card
    guard.start_capture(EntityType.CREDIT_CARD)   # secure keypad capture (PCI)
    guard.capture_key("4") ... guard.capture_key("#") -> CaptureResult(token, length, valid)
    text, n = guard.scrub(outgoing)       # egress backstop for anything leaving the call

What it guarantees:

- every digit the caller says or types is tokenized unless its own context says plainly that it is
  a quantity, time, price, key or room, and the call's budget of such plain digits is not spent
  (:mod:`redaction.residual`); pieces given across turns, pauses, barge-ins and keypad join one token;
- when it cannot decide (an error, input over the size limit, a number heard as words it cannot read
  such as "for to won"), it withholds the turn: :attr:`GuardResult.withheld` with a reason and entity
  counts only, and the caller is asked again;
- :meth:`scrub` finds any stretch of a secret of this call in text about to leave it (a model request,
  an audit row, a log line) beyond what the last-four rule allows, and replaces it.

No method returns or raises with a raw value in it.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass, field

from redaction.checksums import aba_valid, luhn_valid, nanp_valid, ssn_valid
from redaction.entities import EntityRecord, EntityType, Redacted
from redaction.exceptions import InputTooLargeError, RedactionError
from redaction.leaks import leak_spans
from redaction.redactor import CallRedactor
from redaction.spoken import UNITS, tokenize
from redaction.vault import TokenInfo

log = logging.getLogger(__name__)
T = EntityType

WITHHELD = "[WITHHELD]"
# ASR spellings of digits that read as ordinary words: in a number being given they are unreadable.
HOMOPHONES = frozenset({"for", "fore", "to", "too", "won", "ate", "tree", "sex", "nein", "free"})
MAX_CAPTURE_DIGITS = 24


class Withheld(enum.StrEnum):
    """Why a turn was withheld (identifiers for the audit log)."""

    ERROR = "redaction_error"
    TOO_LARGE = "too_large"
    UNSURE = "unsure_number"
    RESIDUE = "residue_after_redaction"
    TIMEOUT = "timeout"
    CAPTURE = "secure_capture"


@dataclass(frozen=True, slots=True)
class GuardResult:
    """What may leave the call for one caller turn: tokenized text, or nothing (``withheld``)."""

    text: str
    entities: tuple[EntityRecord, ...] = ()
    withheld: Withheld | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, r: Redacted) -> GuardResult:
        return cls(r.text, r.entities, None, r.counts())

    @classmethod
    def held(cls, reason: Withheld, counts: dict[str, int] | None = None) -> GuardResult:
        return cls("", (), reason, dict(counts or {}))


@dataclass(frozen=True, slots=True)
class CaptureResult:
    """The end of a secure keypad capture: a token and facts about the number, never the number."""

    type: EntityType
    token: str | None
    length: int
    valid: bool
    cancelled: bool = False


def number_valid(typ: EntityType, digits: str) -> bool:
    """Whether typed digits make a plausible number of this type (check digits where there are any)."""
    n = len(digits)
    if not digits.isdigit():
        return False
    if typ is T.CREDIT_CARD:
        return 13 <= n <= 19 and luhn_valid(digits)
    if typ is T.CVV:
        return n in (3, 4)
    if typ is T.SSN:
        return n == 9 and ssn_valid(digits)
    if typ is T.EXPIRY:
        return n == 4 and 1 <= int(digits[:2]) <= 12
    if typ is T.ROUTING_NUMBER:
        return n == 9 and aba_valid(digits)
    if typ is T.BANK_ACCOUNT:
        return 4 <= n <= 17
    if typ is T.PHONE:
        return (n == 10 and nanp_valid(digits)) or 8 <= n <= 15
    if typ is T.DOB:
        return n == 8 and 1 <= int(digits[:2]) <= 12 and 1 <= int(digits[2:4]) <= 31
    return n >= 1


class CallGuard:
    """The boundary of one call (see the module docstring)."""

    def __init__(self, redactor: CallRedactor, *, last_four_ok: bool = True) -> None:
        self.redactor = redactor
        self.last_four_ok = last_four_ok
        self._capture: EntityType | None = None
        self._captured: list[str] = []
        self._expecting: EntityType | None = None

    def __repr__(self) -> str:
        return f"CallGuard(call_id={self.redactor.call_id!r}, capturing={self._capture is not None})"

    @property
    def call_id(self) -> str:
        return self.redactor.call_id

    def describe(self, token: str) -> TokenInfo | None:
        """Type and masked hint of a token (for :func:`redaction.speakable`); no hint unless the
        workspace lets the last four digits be said."""
        info = self.redactor.describe(token)
        if info is not None and not self.last_four_ok:
            return TokenInfo(info.type, "")
        return info

    # -- caller input ------------------------------------------------------------------------
    def heard(self, text: str) -> GuardResult:
        """One FINAL transcript of the caller: tokenized, or withheld (never raises)."""
        try:
            if self._unreadable_number(text):
                return GuardResult.held(Withheld.UNSURE)
            result = self.redactor.redact(text)
        except InputTooLargeError:
            return GuardResult.held(Withheld.TOO_LARGE)
        except RedactionError:
            return GuardResult.held(Withheld.ERROR)
        except Exception:  # a bug must not let raw text through: fail closed
            log.exception("redaction failed on a turn of call %s", self.call_id)
            return GuardResult.held(Withheld.ERROR)
        finally:
            self._expecting = None
        if self.leaks(result.text):
            return GuardResult.held(Withheld.RESIDUE, result.counts())
        return GuardResult.of(result)

    def redact_dtmf(self, digits: str, *, expect: EntityType | None = None) -> GuardResult:
        """:class:`redaction.DtmfGatherer` sink: a finished keypad sequence (see :meth:`typed`)."""
        if expect is not None:
            self._expecting = expect
        return self.typed(digits)

    def typed(self, keys: str) -> GuardResult:
        """A finished keypad sequence typed during the AI conversation: always a token."""
        try:
            result = self.redactor.redact_dtmf(keys, expect=self._expecting)
        except RedactionError:
            return GuardResult.held(Withheld.ERROR)
        finally:
            self._expecting = None
        return GuardResult.of(result)

    def expect(self, entity_type: EntityType) -> None:
        """The concierge just asked for a number of this type: the next voice or keypad answer is one."""
        self._expecting = entity_type
        self.redactor.expect(entity_type)

    @property
    def expecting(self) -> EntityType | None:
        return self._expecting

    def _unreadable_number(self, text: str) -> bool:
        """A number being given, heard as words that are not numbers ("for to won")."""
        if self.redactor.pending is None and self._expecting is None:
            return False
        words = [w.text for w in tokenize(text) if w.text.isalpha()]
        if not words:
            return False
        homophones = sum(1 for w in words if w in HOMOPHONES)
        numeric = sum(1 for w in words if w in UNITS)
        return homophones >= 2 and (homophones + numeric) * 2 >= len(words)

    # -- secure keypad capture ---------------------------------------------------------------
    @property
    def capturing(self) -> EntityType | None:
        """The type being captured from the keypad, or None outside capture mode."""
        return self._capture

    def start_capture(self, entity_type: EntityType) -> None:
        """Keypad digits go straight to the vault until ``#`` (``*`` cancels)."""
        self._capture = entity_type
        self._captured = []

    def capture_key(self, key: str) -> CaptureResult | None:
        """One key in capture mode; the result when the capture ends."""
        typ = self._capture
        if typ is None:
            raise RedactionError("no secure capture is running")
        if key == "*":
            return self.cancel_capture()
        if key == "#" or (key.isdigit() and len(self._captured) + 1 >= MAX_CAPTURE_DIGITS):
            if key.isdigit():
                self._captured.append(key)
            return self._finish_capture(typ)
        if key.isdigit():
            self._captured.append(key)
        return None

    def cancel_capture(self) -> CaptureResult | None:
        typ, self._capture = self._capture, None
        self._captured = []
        return None if typ is None else CaptureResult(typ, None, 0, False, cancelled=True)

    def _finish_capture(self, typ: EntityType) -> CaptureResult:
        digits = "".join(self._captured)
        self._captured = []
        self._capture = None
        if not digits:
            return CaptureResult(typ, None, 0, False)
        token = self.redactor.store_captured(typ, digits)
        return CaptureResult(typ, token, len(digits), number_valid(typ, digits))

    # -- egress --------------------------------------------------------------------------------
    def leaks(self, text: str) -> int:
        """How many stretches of this call's secrets ``text`` gives away (0: safe to send)."""
        return sum(len(self._spans(text, digits)) for _, _, digits in self.redactor.secrets())

    def scrub(self, text: str) -> tuple[str, int]:
        """``text`` with every stretch of this call's secrets beyond the last-four rule replaced by
        ``[WITHHELD]``, and how many were replaced."""
        spans: list[tuple[int, int]] = []
        for _, _, digits in self.redactor.secrets():
            spans.extend(self._spans(text, digits))
        if not spans:
            return text, 0
        spans.sort()
        out: list[str] = []
        pos = 0
        n = 0
        for a, b in spans:
            if a < pos:
                continue
            out.append(text[pos:a])
            out.append(WITHHELD)
            pos = b
            n += 1
        out.append(text[pos:])
        return "".join(out), n

    def _spans(self, text: str, digits: str) -> list[tuple[int, int]]:
        return leak_spans(text, digits, last_four_ok=self.last_four_ok and len(digits) >= 9)
