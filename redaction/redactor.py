"""Streaming per-call redaction: final utterances in, tokenized text out, raw values in the vault.

A number spoken in parts ("my id is 1734" ... "1256" ... "7299") is one entity: the first part
is tokenized at once (``[ID_NUMBER_1]``), and each part that continues it gets the same token
while the vault entry grows. Only final transcripts go in; interim ones must never be passed.

The redactor fails closed on numbers: whatever the detectors leave ("41", "four one", "4 4 5 5") is
tokenized too, unless its own context says it is a quantity, time, price, key or room
(:mod:`redaction.residual`), and even those stop passing once the call has let
``plain_digit_budget`` digits through. Pieces of a number given across utterances, spoken, typed
or both, join the last number still incomplete (``[NUMBER_1]`` while its kind is unknown).
"""

from __future__ import annotations

import logging
import os
import uuid
from dataclasses import dataclass

from redaction.cues import cue_at
from redaction.detector import MAX_DIGITS, Analysis, Detection, analyze
from redaction.entities import EntityRecord, EntityType, Redacted
from redaction.numeric import is_harmless_after
from redaction.residual import (
    Unit,
    cue_near,
    harmless_strength,
    numeric_dominant,
    part_cue_near,
    plainly_harmless,
    residual_units,
)
from redaction.spoken import NumberRun
from redaction.values import bare_type, card_shaped, complete, hint, sanitize
from redaction.vault import TokenInfo, Vault

log = logging.getLogger(__name__)
T = EntityType

@dataclass(slots=True)
class _Entity:
    token: str
    type: EntityType
    value: str


class CallRedactor:
    """Redaction state of one call: tokens, the vault, a number still open across utterances.

    ``extra_non_names``: words of the business's own vocabulary (department names, keywords) that are
    never a caller's name ("this is billing"). ``plain_digit_budget``: how many caller digits in
    plainly harmless numbers may pass in one call before every further number is tokenized too.
    """

    MAX_IDLE_TURNS = 3  # utterances without digits after which an incomplete number stops taking pieces

    def __init__(self, *, workspace_key: bytes | None = None, call_id: str | None = None,
                 use_ner: bool = True, plain_digit_budget: int = 8,
                 extra_non_names: frozenset[str] = frozenset()) -> None:
        self.call_id = call_id or uuid.uuid4().hex
        self.vault = Vault(workspace_key=workspace_key or os.urandom(32), call_id=self.call_id)
        self.use_ner = use_ner
        self.plain_digit_budget = plain_digit_budget
        self.extra_non_names = extra_non_names
        self._counters: dict[EntityType, int] = {}
        self._by_value: dict[tuple[EntityType, str], str] = {}
        self._entities: dict[str, _Entity] = {}
        self._open: str | None = None
        self._carried_cue: EntityType | None = None
        self._pending: str | None = None  # the last number still incomplete: later pieces join it
        self._pending_idle = 0
        self._plain_digits = 0  # digits let through as plainly harmless so far in this call

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

    def secrets(self) -> list[tuple[str, EntityType, str]]:
        """``(token, type, digits)`` of every numeric value of this call (for the egress check);
        memory only, like the vault's keys."""
        out: list[tuple[str, EntityType, str]] = []
        for e in self._entities.values():
            digits = "".join(ch for ch in e.value if ch.isdigit())
            if digits:
                out.append((e.token, e.type, digits))
        return out

    @property
    def pending(self) -> str | None:
        """Token of the number still being given (incomplete), if any."""
        return self._pending

    @property
    def number_open(self) -> bool:
        """A number is being given or was just announced ("... with my card", "my card is 6011"):
        the caller is likely not done yet."""
        return self._pending is not None or (self._carried_cue is not None and self._carried_cue.is_numeric)

    @property
    def plain_digits(self) -> int:
        """Caller digits let through as plainly harmless so far."""
        return self._plain_digits

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
            token = self._new_token(typ, value)
        return token

    def _new_token(self, typ: EntityType, value: str) -> str:
        self._counters[typ] = self._counters.get(typ, 0) + 1
        token = f"[{typ.value}_{self._counters[typ]}]"
        self._entities[token] = _Entity(token, typ, value)
        self._by_value[(typ, value)] = token
        self.vault.put(token, typ, value, hint=hint(typ, value))
        return token

    def _extend(self, token: str, more: str) -> None:
        ent = self._entities[token]
        self._by_value.pop((ent.type, ent.value), None)
        ent.value += more
        if ent.type is T.NUMBER and card_shaped(ent.value):
            ent.type = T.CREDIT_CARD  # the kind is known now; the token keeps its name
        self._by_value[(ent.type, ent.value)] = token
        self.vault.put(token, ent.type, ent.value, hint=hint(ent.type, ent.value))

    def redact(self, text: str) -> Redacted:
        """Redact one FINAL utterance of this call. Raises :class:`RedactionError` on non-str input,
        :class:`InputTooLargeError` over ``MAX_TEXT_CHARS``."""
        text = sanitize(text)
        carried = self._carried_cue
        if self._open is None and self._pending is not None:
            self._open = self._pending  # a number still being given continues into this utterance
        a = analyze(text, carried_cue=carried, use_ner=self.use_ner, extra_non_names=self.extra_non_names)
        planned = self._plan(a)
        planned = self._fail_closed(a, planned, carried)
        self._settle_pending(planned)
        return self._render(text, planned)

    def redact_dtmf(self, digits: str, *, expect: EntityType | None = None) -> Redacted:
        """Tokenize digits typed on the keypad (see :class:`redaction.DtmfGatherer`). Typed digits
        always become a token: they join a number still being given (by voice or keypad), or start
        one of the ``expect``-ed type (what the caller was asked for), the carried cue, or ``NUMBER``."""
        keys = "".join(ch for ch in sanitize(digits) if ch.isdigit())
        if not keys:
            return Redacted("")
        typ = expect if expect is not None and expect.is_numeric else None
        if typ is None and self._carried_cue is not None and self._carried_cue.is_numeric:
            typ = self._carried_cue
        token = self._join_pending(keys, typ)
        continued = token is not None
        if token is None:
            token = self._new_token(typ or bare_type(keys), keys)
        self._carried_cue = None
        self._after_growth(token)
        ent = self._entities[token]
        return Redacted(token, (EntityRecord(ent.type, token, 0, len(token), 0, len(digits), continued),))

    def store_captured(self, entity_type: EntityType, digits: str) -> str:
        """A number typed in secure capture mode: straight into the vault as its own entity."""
        keys = "".join(ch for ch in digits if ch.isdigit())
        self._carried_cue = None
        return self._new_token(entity_type, keys)

    def expect(self, entity_type: EntityType) -> None:
        """The agent just asked for this ("what is your card number?"): a number opening the next
        utterance (or DTMF sequence) is taken as this type, however short the ASR made it."""
        self._carried_cue = entity_type

    def _join_pending(self, digits: str, typ: EntityType | None) -> str | None:
        """Add ``digits`` to the number still being given, when they fit it; its token, else None."""
        token = self._pending
        if token is None:
            return None
        ent = self._entities[token]
        if typ is not None and typ is not ent.type and ent.type is not T.NUMBER:
            return None  # "the cvv is ..." while a card is open: a new number
        have = sum(ch.isdigit() for ch in ent.value)
        if have + len(digits) > MAX_DIGITS.get(ent.type, 24):
            return None
        if ent.type is T.NUMBER and typ is not None:
            self._retype(token, typ)
        self._extend(token, digits)
        return token

    def _retype(self, token: str, typ: EntityType) -> None:
        ent = self._entities[token]
        self._by_value.pop((ent.type, ent.value), None)
        ent.type = typ
        self._by_value[(typ, ent.value)] = token
        self.vault.put(token, typ, ent.value, hint=hint(typ, ent.value))

    def _after_growth(self, token: str) -> None:
        ent = self._entities[token]
        if ent.type.is_numeric and not complete(ent.type, ent.value):
            self._pending, self._pending_idle = token, 0
        elif self._pending == token:
            self._pending = None

    def _settle_pending(self, planned: list[tuple[Detection, str, bool]]) -> None:
        """After an utterance: its last incomplete number stays open for pieces; an utterance that adds
        nothing to the open number counts towards closing it (``MAX_IDLE_TURNS``)."""
        before = self._pending
        touched = False
        for _, token, _ in planned:
            ent = self._entities[token]
            if not ent.type.is_numeric:
                continue
            touched = touched or token == before
            if complete(ent.type, ent.value):
                if self._pending == token:
                    self._pending = None
            else:
                self._pending, self._pending_idle = token, 0
        if self._pending is not None and self._pending == before and not touched:
            self._pending_idle += 1
            if self._pending_idle > self.MAX_IDLE_TURNS:
                self._pending = None

    def _fail_closed(self, a: Analysis, planned: list[tuple[Detection, str, bool]],
                     carried: EntityType | None) -> list[tuple[Detection, str, bool]]:
        """Tokenize every number the detectors left, unless it is plainly harmless (module doc)."""
        covered: set[int] = set(a.harmless_words)
        for d, _, _ in planned:
            covered.update(range(d.first_word, d.last_word + 1))
        words = a.words
        units = residual_units(words, a.runs, covered)
        if not units:
            return planned
        n_other = sum(1 for w in words if w.text.isalpha()) - sum(u.last - u.first + 1 for u in units if u.spoken)
        dominant = numeric_dominant(words, units)
        numeric_spans = [(d.first_word, d.last_word) for d, t, _ in planned if self._entities[t].type.is_numeric]
        out = list(planned)
        maybe: list[tuple[Unit, EntityType | None]] = []
        for k, unit in enumerate(units):
            cue = cue_near(words, unit)
            near_token = any(lo - 3 <= unit.first and unit.last <= hi + 3 for lo, hi in numeric_spans)
            # The pending number alone does not make a unit sensitive: every unit is, unless its shape
            # says it is harmless; these contexts override even that shape.
            # A number is being given and this utterance is mostly a number ("628 times."): a piece,
            # whatever the word after it looks like (ASR turns "eight" into "times"); only an
            # unmistakable shape ("$45", "3 pm") still passes.
            asked = (k == 0 and carried is not None and carried.is_numeric) or near_token \
                or part_cue_near(words, unit)
            cued = (cue is not None and cue.is_numeric) or (self._pending is not None and dominant)
            strength = harmless_strength(words, unit, in_sentence=n_other >= 2)
            # after a cue only a short unmistakable shape passes ("my card was charged $45", "3 pm")
            harmless = (strength == 2 and not asked and (not cued or unit.n_digits <= 2)
                        or strength == 1 and not asked and not cued)
            if harmless and self._plain_digits + unit.n_digits <= self.plain_digit_budget:
                if strength < 2:
                    maybe.append((unit, cue))  # decided once the whole utterance is seen
                    continue
                self._plain_digits += unit.n_digits
                continue
            out.append(self._tokenize_unit(unit, cue, carried if k == 0 else None))
            numeric_spans.append((unit.first, unit.last))
        # An utterance that gives a number keeps nothing number-like in plain but unmistakable shapes:
        # ASR scatters a spoken number ("it's two, it's two, it's [NUMBER_1]"; "six-year-old").
        giving = bool(numeric_spans)
        for unit, cue in maybe:
            if giving:
                out.append(self._tokenize_unit(unit, cue, None))
            else:
                self._plain_digits += unit.n_digits
        out.sort(key=lambda p: p[0].start)
        return out

    def _tokenize_unit(self, unit: Unit, cue: EntityType | None,
                       carried: EntityType | None) -> tuple[Detection, str, bool]:
        typ: EntityType | None = None
        if cue is not None and cue.is_numeric:
            typ = cue
        elif carried is not None and carried.is_numeric:
            typ = carried
        token = None if cue is not None else self._join_pending(unit.digits, typ)
        continued = token is not None
        if token is None:
            token = self._new_token(typ or bare_type(unit.digits), unit.digits)
        self._after_growth(token)
        ent = self._entities[token]
        return Detection(ent.type, unit.start, unit.end, unit.digits, unit.first, unit.last, None), token, continued

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
            return None  # the number stays pending for a few turns ("Bye, too." between two parts)
        has_digit_char = any(ch.isdigit() for w in words for ch in w.text)
        if not (len(marks) * 2 >= len(words) or (len(words) <= 4 and has_digit_char)):
            return None
        if any(i + 1 < len(words) and is_harmless_after(words[i + 1]) for i in marks):
            return None
        units = residual_units(words, a.runs, set(a.harmless_words))
        n_other = sum(1 for w in words if w.text.isalpha())
        if units and all(plainly_harmless(words, u, in_sentence=n_other >= 3) for u in units):
            return None  # "it costs $20", "press 1": the fail-closed pass judges these
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
        self._open = open_token if len(tail) <= 2 and not complete(ent.type, ent.value) else None
        self._carried_cue = a.trailing_cue
        return planned

    def _plan(self, a: Analysis) -> list[tuple[Detection, str, bool]]:
        turn = self._numeric_turn(a)
        if turn is not None:
            return turn
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
            if d.run is not None and tail_ok and ent.type.is_numeric and not complete(ent.type, ent.value):
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
