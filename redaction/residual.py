"""Fail closed: every number the detectors left in an utterance is sensitive unless plainly harmless.

The detectors (:mod:`redaction.detector`) tokenize what they recognize: a card by its cue or its
checksum, a phone number by its shape. What they leave is the residue: "41", "four one", "4 4 5 5",
"8-fold 1". A caller giving a card two digits at a time produces nothing but residue, so the residue
is tokenized too, unless its context says plainly that it is a quantity, a time, a price, a menu key
or a room ("2 questions", "3 pm", "$20", "press 1", "room 12"). This module finds the residue
(:func:`residual_units`) and judges it (:func:`plainly_harmless`); :class:`redaction.CallRedactor`
decides which token each sensitive unit joins.
"""

from __future__ import annotations

from dataclasses import dataclass

from redaction.cues import nearest_cue
from redaction.entities import EntityType as T
from redaction.numeric import ALLOW_AFTER
from redaction.spoken import FILLERS, UNITS, NumberRun, Word

# Words before a short number that make it a harmless label. Narrower than the detectors' allow-list:
# "in", "of", "for", "to", "by", "number", "last", "was" can all lead into a piece of a real number.
SAFE_BEFORE = frozenset({
    "press", "option", "options", "room", "floor", "table", "gate", "terminal", "step", "level", "chapter",
    "page", "channel", "seat", "row", "aisle", "platform", "bus", "route", "at", "around", "until", "till",
    "before", "after", "since", "party", "size", "age", "aged", "building", "unit", "suite", "apartment",
    "pay", "paid", "costs", "cost", "charged", "owe", "lane", "exit", "highway", "interstate", "version",
    "top", "extension", "ext", "line", "about", "flight", "train", "track", "episode", "season", "grade",
    "score", "volume", "issue", "model",
})
# Plural nouns after a number that still ask for a number, not count something.
NOT_QUANTITY = frozenset({
    "digits", "numbers", "is", "was", "has", "this", "thanks", "yes", "plus", "its", "it's", "yours", "ours",
    "his", "hers", "theirs", "as", "us", "does", "goes", "says", "means", "ends",
})
# Phrases that announce part of a number ("it ends in 4 4 5 5", "the last four are ...").
PART_CUES: tuple[tuple[str, ...], ...] = (
    ("ending",), ("ends",), ("ended",), ("last", "four"), ("last", "4"), ("first", "four"), ("first", "4"),
    ("four", "are"), ("4", "are"), ("four", "is"), ("last", "digits"), ("first", "digits"), ("digits", "are"), ("numbers", "are"), ("number", "is"),
    ("the", "rest"), ("then",), ("continuing",), ("next", "digits"), ("followed", "by"), ("not",),
    ("starts", "with"), ("starting", "with"), ("begins", "with"),
)
CUE_WINDOW = 8
AFTER_WINDOW = 3
HARMLESS_MAX_DIGITS = 4  # an unmistakable shape ("$1250", "in 2019")
LIKELY_MAX_DIGITS = 3  # a likely one ("room 12", "2 questions")
CURRENCY = "$€£¥"


@dataclass(frozen=True, slots=True)
class Unit:
    """A number left over in an utterance: words ``[first, last]``, characters ``[start, end)``."""

    first: int
    last: int
    start: int
    end: int
    digits: str
    spoken: bool  # said in words ("four one"), not written as digits

    @property
    def n_digits(self) -> int:
        return sum(ch.isdigit() for ch in self.digits)


def residual_units(words: tuple[Word, ...] | list[Word], runs: tuple[NumberRun, ...] | list[NumberRun],
                   covered: set[int]) -> list[Unit]:
    """Number runs and digit-bearing words that no detection covers, in order."""
    units: list[Unit] = []
    in_run: set[int] = set()
    for run in runs:
        idx = range(run.first, run.last + 1)
        in_run.update(idx)
        if any(i in covered for i in idx):
            free = [i for i in idx if i not in covered]
            if not free:
                continue
            for c in run.chunks:  # a run partly claimed: keep the unclaimed chunks
                if all(i not in covered for i in range(c.first, c.last + 1)):
                    units.append(Unit(c.first, c.last, c.start, c.end, _only_digits(c.digits),
                                      not any(ch.isdigit() for ch in words[c.first].text)))
            continue
        digits = _only_digits(run.digits)
        if not digits:
            continue
        units.append(Unit(run.first, run.last, run.start, run.end, digits,
                          not any(ch.isdigit() for w in words[run.first:run.last + 1] for ch in w.text)))
    for i, w in enumerate(words):
        if i in covered or i in in_run:
            continue
        digits = _only_digits(w.text)
        if digits:  # "8-fold", "4th", "3:30", "$20": ASR forms the spoken-number parser leaves alone
            units.append(Unit(i, i, w.start, w.end, digits, False))
        elif "-" in w.text:  # "six-year-old", "one-year": a number word inside a compound
            spoken = "".join(str(UNITS[p]) for p in w.text.split("-") if p in UNITS and p not in ("oh", "o"))
            if spoken:
                units.append(Unit(i, i, w.start, w.end, spoken, True))
    units.sort(key=lambda u: u.start)
    return [u for u in _merge_adjacent(units) if not _digit_count(words, u)]


_COUNT_BEFORE = frozenset({"last", "first", "final"})
_COUNT_AFTER = frozenset({"digits", "digit", "numbers"})


def _digit_count(words: tuple[Word, ...] | list[Word], unit: Unit) -> bool:
    """A unit that counts digits instead of giving them: "the last four of my social", "16 digits"."""
    if unit.n_digits > 2:
        return False
    prev = words[unit.first - 1].text if unit.first > 0 else ""
    nxt = words[unit.last + 1].text if unit.last + 1 < len(words) else ""
    return nxt in _COUNT_AFTER or (prev in _COUNT_BEFORE and nxt in ("of", "are", "is", "on", "digits", ""))


def _only_digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def _merge_adjacent(units: list[Unit]) -> list[Unit]:
    """Units next to each other ("4th, 8th, 5th") are one number."""
    out: list[Unit] = []
    for u in units:
        if out and u.first == out[-1].last + 1:
            p = out[-1]
            out[-1] = Unit(p.first, u.last, p.start, u.end, p.digits + u.digits, p.spoken and u.spoken)
        else:
            out.append(u)
    return out


def part_cue_near(words: tuple[Word, ...] | list[Word], unit: Unit) -> bool:
    """A phrase announcing part of a number right before the unit."""
    lo = max(0, unit.first - 4)
    for i in range(lo, unit.first):
        for phrase in PART_CUES:
            k = len(phrase)
            if i + 1 >= k and all(words[i - k + 1 + j].text == phrase[j] for j in range(k)):
                return True
    return False


def cue_near(words: tuple[Word, ...] | list[Word], unit: Unit) -> T | None:
    """The entity cue before the unit (within :data:`CUE_WINDOW` words) or right after it."""
    before = nearest_cue(list(words), max(0, unit.first - CUE_WINDOW), unit.first)
    if before is not None:
        return before[0]
    after = nearest_cue(list(words), unit.last + 1, min(len(words), unit.last + 1 + AFTER_WINDOW))
    return after[0] if after is not None else None


def numeric_dominant(words: tuple[Word, ...] | list[Word], units: list[Unit]) -> bool:
    """An utterance that is mostly a number ("41.", "uh, four one", "it's 41", "and 11"): an answer."""
    numeric = sum(u.last - u.first + 1 for u in units)
    other = [w for w in words if w.text not in FILLERS]
    rest = len(other) - numeric
    return numeric > 0 and (rest <= 1 or numeric * 2 > len(other))


def _quantity_word(w: Word) -> bool:
    t = w.text
    if t in ALLOW_AFTER:
        return True
    return len(t) >= 4 and t.isalpha() and t.endswith("s") and not t.endswith("ss") and t not in NOT_QUANTITY


UNAMBIGUOUS_AFTER = frozenset({
    "pm", "am", "p.m", "a.m", "p.m.", "a.m.", "o'clock", "oclock", "percent", "dollars", "dollar", "bucks",
    "cents", "euros", "minutes", "minute", "hours", "hour", "days", "day", "weeks", "week", "months", "month",
    "years", "year", "seconds", "people", "persons", "guests", "adults", "kids", "children", "nights",
    "tickets", "miles", "pounds", "degrees", "mg", "milligrams", "pills", "tablets",
})
# Singular nouns that make a number before them an attribute: "a 45 minute drive", "the 45 plan".
UNIT_ADJECTIVES = frozenset({
    "minute", "hour", "day", "week", "month", "year", "mile", "foot", "inch", "pound", "dollar", "percent",
    "plan", "model", "series", "package", "tier", "edition", "pack", "piece", "person", "star", "gig", "gigabyte", "megabit", "meg",
})
# Nouns a party size follows with "for": "a table for 5", "a reservation for 2".
PARTY_NOUNS = frozenset({"table", "reservation", "booking", "room", "seats", "tickets", "appointment", "dinner",
                         "lunch", "breakfast", "tour"})
YEAR_BEFORE = frozenset({"in", "since", "of", "from", "until", "till", "before", "after", "back"})


def harmless_strength(words: tuple[Word, ...] | list[Word], unit: Unit, *, in_sentence: bool) -> int:
    """How plainly the unit's own context says it is a quantity, time, price, key or room.

    2: unmistakable (a currency sign, a percent, "3 pm", "20 minutes", "8 people", "in 2019"): holds
    even after a cue ("call me back at 3 pm"). 1: likely ("press 1", "room 12", "2 questions", "one
    moment please"). 0: nothing says so; the unit is sensitive. Sensitive context (an open number, an
    expected one, a cue) is the caller's business; this is the shape test alone. ``in_sentence``: the
    utterance has enough other words to be about something else.
    """
    if unit.n_digits > HARMLESS_MAX_DIGITS:
        return 0
    w = words[unit.first]
    if w.raw[:1] in CURRENCY or w.text.endswith("%") or words[unit.last].text.endswith("%"):
        return 2
    nxt = words[unit.last + 1] if unit.last + 1 < len(words) else None
    prev = words[unit.first - 1] if unit.first > 0 else None
    if nxt is not None and nxt.text in UNAMBIGUOUS_AFTER:
        return 2
    if unit.first == unit.last and not w.text.isdigit() and w.text.endswith(("am", "pm")) \
            and w.text[:-2].replace(":", "").isdigit():
        return 2  # "3pm", "10:30am"
    if prev is not None and prev.text in YEAR_BEFORE and unit.n_digits == 4 and unit.digits[:2] in ("19", "20"):
        return 2  # "in 2019"
    if unit.n_digits > LIKELY_MAX_DIGITS:
        return 0  # "room 4111": a likely label holds at most three digits
    if nxt is not None and (_quantity_word(nxt) or nxt.text in UNIT_ADJECTIVES):
        return 1  # "2 questions", "a 45 minute drive", "the 45 plan"
    if nxt is not None and nxt.text == "of" and unit.last + 2 < len(words) \
            and words[unit.last + 2].text in ("us", "them", "you", "those", "these", "my", "our"):
        return 1  # "there are 5 of us"
    if prev is not None and prev.text == "for" and unit.first >= 2 and words[unit.first - 2].text in PARTY_NOUNS \
            and unit.n_digits <= 2:
        return 1  # "a table for 5"
    after = words[unit.last + 2] if unit.last + 2 < len(words) else None
    if nxt is not None and after is not None and nxt.text.isalpha() and nxt.text not in NOT_QUANTITY \
            and _quantity_word(after) and not any(ch.isdigit() for ch in after.text):
        return 1  # "2 large pizzas"
    if prev is not None and prev.text in SAFE_BEFORE:
        return 1
    if _in_range(words, unit):
        return 1  # "between 9 and 5", "from 2 to 4"
    if unit.first == unit.last and not w.text.isdigit() and w.text.endswith(("st", "nd", "rd", "th")):
        return 1  # "the 21st"
    # A lone number word inside a sentence: "one moment please", "I have one question", "the second one".
    if in_sentence and unit.spoken and unit.first == unit.last and w.text in UNITS and w.text not in ("oh", "o"):
        return 1
    return 0


def _in_range(words: tuple[Word, ...] | list[Word], unit: Unit) -> bool:
    prev = words[unit.first - 1].text if unit.first > 0 else ""
    nxt = words[unit.last + 1].text if unit.last + 1 < len(words) else ""
    before2 = words[unit.first - 3].text if unit.first >= 3 else ""
    if prev == "between" and nxt == "and":
        return True
    return prev in ("and", "to") and before2 == "between" and unit.n_digits <= 2


def plainly_harmless(words: tuple[Word, ...] | list[Word], unit: Unit, *, in_sentence: bool) -> bool:
    """Whether anything in the unit's own context says it is harmless (:func:`harmless_strength`)."""
    return harmless_strength(words, unit, in_sentence=in_sentence) > 0
