"""Streaming per-call redaction: final utterances in, tokenized text out, raw values in the vault.

A number spoken in parts ("my id is 1734" ... "1256" ... "7299") is one entity: the first part
is tokenized at once (``[ID_NUMBER_1]``), and each part that continues it gets the same token
while the vault entry grows. Only final transcripts go in; interim ones must never be passed.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from redaction.checksums import luhn_valid, nanp_valid
from redaction.cues import cue_at
from redaction.detector import MAX_DIGITS, Analysis, Detection, analyze
from redaction.entities import EntityRecord, EntityType, Redacted
from redaction.exceptions import InputTooLargeError, RedactionError
from redaction.numeric import is_harmless_after
from redaction.spoken import NumberRun
from redaction.vault import TokenInfo, Vault

if TYPE_CHECKING:
    from redaction.dtmf import DtmfGatherer

log = logging.getLogger(__name__)
T = EntityType

MAX_TEXT_CHARS = 200_000
_NO_HINT = frozenset({T.CVV, T.EXPIRY, T.DOB, T.PERSON, T.EMAIL, T.ADDRESS})


@dataclass(slots=True)
class _Entity:
    token: str
    type: EntityType
    value: str


def _hint(typ: EntityType, value: str) -> str:
    """A masked tail safe to speak: never the full value, nothing for short or textual values."""
    if typ in _NO_HINT:
        return ""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) >= 9:
        return digits[-4:]
    if len(digits) >= 6:
        return digits[-2:]
    return ""


def _complete(typ: EntityType, value: str) -> bool:
    """True when the value cannot grow any more (so a following number is a new entity)."""
    n = sum(ch.isdigit() for ch in value)
    if n >= MAX_DIGITS.get(typ, 24):
        return True
    if typ is T.CREDIT_CARD:
        return n >= 15 and luhn_valid(value)
    if typ is T.PHONE:
        return (n == 10 and value[0] != "1" and nanp_valid(value)) or (n == 11 and value[0] == "1")
    if typ is T.EXPIRY:
        return n >= 4
    return typ in (T.PERSON, T.EMAIL, T.ADDRESS)


def _sanitize(text: str) -> str:
    if not isinstance(text, str):
        raise RedactionError("text must be str (decode transport bytes with errors='replace' first)")
    if len(text) > MAX_TEXT_CHARS:
        raise InputTooLargeError(f"text of {len(text)} characters is over the limit of {MAX_TEXT_CHARS}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text


class CallRedactor:
    """Redaction state of one call: tokens, the vault, a number still open across utterances."""

    def __init__(self, *, workspace_key: bytes | None = None, call_id: str | None = None,
                 use_ner: bool = True) -> None:
        self.call_id = call_id or uuid.uuid4().hex
        self.vault = Vault(workspace_key=workspace_key or os.urandom(32), call_id=self.call_id)
        self.use_ner = use_ner
        self._counters: dict[EntityType, int] = {}
        self._by_value: dict[tuple[EntityType, str], str] = {}
        self._entities: dict[str, _Entity] = {}
        self._open: str | None = None
        self._carried_cue: EntityType | None = None
        self._dtmf: DtmfGatherer | None = None
        self._grace_used = False

    def __repr__(self) -> str:
        return f"CallRedactor(call_id={self.call_id!r}, tokens={len(self._entities)})"

    def describe(self, token: str) -> TokenInfo | None:
        """Type and masked hint of a token of this call (for :func:`redaction.speakable`)."""
        return self.vault.describe(token)

    def counts(self) -> dict[str, int]:
        """Distinct entities tokenized so far in this call, by type."""
        out: dict[str, int] = {}
        for e in self._entities.values():
            out[e.type.value] = out.get(e.type.value, 0) + 1
        return out

    def shred(self) -> None:
        """End of retention: delete the call's data key; values are gone for good."""
        self.vault.shred()
        self._by_value.clear()
        for e in self._entities.values():
            e.value = ""

    def _token_for(self, typ: EntityType, value: str) -> str:
        key = (typ, value)
        token = self._by_value.get(key)
        if token is None:
            self._counters[typ] = self._counters.get(typ, 0) + 1
            token = f"[{typ.value}_{self._counters[typ]}]"
            self._entities[token] = _Entity(token, typ, value)
            self._by_value[key] = token
            self.vault.put(token, typ, value, hint=_hint(typ, value))
        return token

    def _extend(self, token: str, more: str) -> None:
        ent = self._entities[token]
        self._by_value.pop((ent.type, ent.value), None)
        ent.value += more
        self._by_value[(ent.type, ent.value)] = token
        self.vault.put(token, ent.type, ent.value, hint=_hint(ent.type, ent.value))

    def redact(self, text: str) -> Redacted:
        """Redact one FINAL utterance of this call. Raises :class:`RedactionError` on non-str input,
        :class:`InputTooLargeError` over ``MAX_TEXT_CHARS``."""
        text = _sanitize(text)
        a = analyze(text, carried_cue=self._carried_cue, use_ner=self.use_ner)
        planned = self._plan(a)
        return self._render(text, planned)

    def redact_dtmf(self, digits: str, *, expect: EntityType | None = None) -> Redacted:
        """Tokenize digits typed on the keypad like spoken ones (see :class:`redaction.DtmfGatherer`).

        ``expect`` is what the caller was asked for ("type your card number"); without it the
        context of the last utterance applies. One or two digits (menu choices) pass as they are.
        """
        keys = "".join(ch for ch in _sanitize(digits) if ch.isdigit())
        if not keys:
            return Redacted("")
        if expect is not None:
            self._carried_cue = expect
        if len(keys) <= 2 and self._open is None:
            return Redacted(keys)
        return self.redact(keys)

    def expect(self, entity_type: EntityType) -> None:
        """The agent just asked for this ("what is your card number?"): a number opening the next
        utterance (or DTMF sequence) is taken as this type, however short the ASR made it."""
        self._carried_cue = entity_type

    def add_dtmf(self, key: str, t: float | None = None) -> Redacted | None:
        """Feed one keypad key; returns the tokenized sequence when it ends (``#`` or a pause)."""
        from redaction.dtmf import DtmfGatherer

        if self._dtmf is None:
            self._dtmf = DtmfGatherer(self)
        return self._dtmf.push(key, time.monotonic() if t is None else t)

    def _numeric_turn(self, a: Analysis) -> list[tuple[Detection, str, bool]] | None:
        """A turn answering for a number (one is open, or a cue was carried) that is mostly digits,
        however garbled by ASR ("A, 2, 6, 3.", "8-fold 1", "4th, 8th, 5th."): every digit in it
        joins one entity. ``None`` when the turn is not like that."""
        if self._open is not None:
            typ = self._entities[self._open].type
        elif self._carried_cue is not None and self._carried_cue.is_numeric:
            typ = self._carried_cue
        else:
            return None
        words = a.words
        in_run: dict[int, NumberRun] = {}
        for run in a.runs:
            for i in range(run.first, run.last + 1):
                in_run[i] = run
        marks = [i for i, w in enumerate(words) if i in in_run or any(ch.isdigit() for ch in w.text)]
        if not marks:
            if self._open is not None and len(words) <= 3 and not self._grace_used:
                self._grace_used = True  # "Bye, too." between two parts: keep the number open once
                return []
            return None
        has_digit_char = any(ch.isdigit() for w in words for ch in w.text)
        if not (len(marks) * 2 >= len(words) or (len(words) <= 4 and has_digit_char)):
            return None
        if any(i + 1 < len(words) and is_harmless_after(words[i + 1]) for i in marks):
            return None
        first, last = marks[0], marks[-1]
        if any(cue_at(list(words), i) for i in range(0, last + 1)):
            return None  # "my social is 123-45-6789": a cue says what this is; the normal path decides
        digits = ""
        seen: set[int] = set()
        for i in range(first, last + 1):
            r = in_run.get(i)
            if r is not None:
                if id(r) not in seen:
                    seen.add(id(r))
                    digits += "".join(ch for ch in r.digits if ch.isdigit())
            else:
                digits += "".join(ch for ch in words[i].text if ch.isdigit())
        det = Detection(typ, words[first].start, words[last].end, digits, first, last, None)
        planned: list[tuple[Detection, str, bool]] = []
        open_token: str | None = None
        if self._open is not None and sum(ch.isdigit() for ch in self._entities[self._open].value) + len(digits) \
                <= MAX_DIGITS.get(typ, 24):
            self._extend(self._open, digits)
            open_token = self._open
            planned.append((det, open_token, True))
        else:
            open_token = self._token_for(typ, digits)
            planned.append((det, open_token, False))
        for d in a.detections:
            if d.end <= det.start or d.start >= det.end:
                planned.append((d, self._token_for(d.type, d.value), False))
        planned.sort(key=lambda p: p[0].start)
        tail = words[last + 1:]
        ent = self._entities[open_token]
        self._open = open_token if len(tail) <= 2 and not _complete(ent.type, ent.value) else None
        self._grace_used = False
        self._carried_cue = a.trailing_cue
        return planned

    def _plan(self, a: Analysis) -> list[tuple[Detection, str, bool]]:
        turn = self._numeric_turn(a)
        if turn is not None:
            return turn
        self._grace_used = False
        dets = list(a.detections)
        planned: list[tuple[Detection, str, bool]] = []
        lead = a.leading_run
        cont: str | None = None
        if lead is not None and lead.first == lead.last and lead.last < len(a.words) - 2 \
                and not any(ch.isdigit() for ch in a.words[lead.first].text):
            lead = None  # "one moment please": a lone number word in a sentence continues nothing
        if self._open is not None and lead is not None:
            ent = self._entities[self._open]
            cover = [d for d in dets if d.start < lead.end and d.end > lead.start]
            n_have = sum(ch.isdigit() for ch in ent.value)
            if n_have + lead.n_digits <= MAX_DIGITS.get(ent.type, 24) and all(d.run is not None for d in cover):
                start = min([lead.start] + [d.start for d in cover])
                end = max([lead.end] + [d.end for d in cover])
                dets = [d for d in dets if d not in cover]
                first = min([lead.first] + [d.first_word for d in cover])
                last = max([lead.last] + [d.last_word for d in cover])
                self._extend(self._open, lead.digits)
                cont = self._open
                planned.append((Detection(ent.type, start, end, lead.digits, first, last, lead), cont, True))
        for d in dets:
            planned.append((d, self._token_for(d.type, d.value), False))
        planned.sort(key=lambda p: p[0].start)
        # what stays open for the next utterance
        self._open = None
        if planned and a.ends_with_run:
            d, token, _ = planned[-1]
            last_word = len(a.words) - 1
            tail_ok = all(w.text in ("uh", "um", "er", "ah", "and") for w in a.words[d.last_word + 1:last_word + 1])
            ent = self._entities[token]
            if d.run is not None and tail_ok and ent.type.is_numeric and not _complete(ent.type, ent.value):
                self._open = token
        self._carried_cue = a.trailing_cue
        return planned

    def _render(self, text: str, planned: list[tuple[Detection, str, bool]]) -> Redacted:
        out: list[str] = []
        records: list[EntityRecord] = []
        pos = 0
        length = 0
        for d, token, continued in planned:
            if d.start < pos:
                continue
            chunk = text[pos:d.start]
            out.append(chunk)
            length += len(chunk)
            records.append(EntityRecord(d.type if not continued else self._entities[token].type, token,
                                        length, length + len(token), d.start, d.end, continued))
            out.append(token)
            length += len(token)
            pos = d.end
        out.append(text[pos:])
        result = Redacted("".join(out), tuple(records))
        if records:
            log.debug("call %s: tokenized %s", self.call_id, " ".join(r.token for r in records))
        return result


def redact(text: str, state: CallRedactor | None = None) -> Redacted:
    """Redact one final utterance; pass the call's :class:`CallRedactor` to keep tokens and
    split numbers consistent across utterances (a throw-away one is used otherwise)."""
    return (state if state is not None else CallRedactor()).redact(text)
