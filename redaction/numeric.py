"""Classify a run of digits by its context cue, length, grouping and check digits; allow-rules."""

from __future__ import annotations

from redaction.checksums import aba_valid, luhn_valid, nanp_valid, ssn_valid
from redaction.entities import EntityType as T
from redaction.spoken import NumberRun, Word

# Harmless numbers: "press 2", "room 12", "at 3", "in 2019" ...
ALLOW_BEFORE = frozenset({
    "press", "option", "options", "room", "floor", "table", "gate", "terminal", "line", "step", "level",
    "chapter", "page", "channel", "seat", "row", "aisle", "platform", "bus", "route", "at", "around",
    "about", "by", "until", "till", "before", "after", "in", "since", "from", "to", "of", "for",
    "under", "over", "than", "only", "just", "maybe", "like", "party", "size", "age", "aged",
    "extension", "ext", "building", "unit", "pay", "paid", "costs", "cost", "charged", "owe", "was",
    "number", "lane", "exit", "highway", "interstate", "year", "version", "top", "last",
})
ALLOW_AFTER = frozenset({
    "people", "persons", "person", "guests", "adults", "kids", "children", "minutes", "minute",
    "hours", "hour", "days", "day", "weeks", "week", "months", "month", "years", "year", "dollars",
    "dollar", "bucks", "cents", "percent", "pm", "am", "p.m", "a.m", "o'clock", "oclock", "times",
    "items", "tickets", "nights", "bags", "pounds", "miles", "degrees", "rooms", "seats", "orders",
    "calls", "pieces", "units", "boxes", "pills", "tablets", "mg", "milligrams", "dollars.", "grand",
    "seconds", "second", "feet", "inches", "euros", "points", "stars", "users", "employees",
    "locations", "packages", "bedrooms", "a.m.", "p.m.", "thousand", "hundred", "more", "or",
})


def _year_like(digits: str) -> bool:
    return len(digits) == 4 and digits[:2] in ("19", "20")


def classify_with_cue(run: NumberRun, cue: T) -> T | None:
    """The type of ``run`` given the context cue before it, or ``None`` if the cue does not fit."""
    n = run.n_digits
    d = run.digits
    if cue is T.CVV:
        return T.CVV if 3 <= n <= 4 else None
    if cue is T.EXPIRY:
        return T.EXPIRY if 3 <= n <= 6 else None
    if cue is T.CREDIT_CARD:
        if n == 3:
            return T.CVV
        return T.CREDIT_CARD if n >= 4 else None
    if cue is T.SSN:
        return T.SSN if n >= 3 else None
    if cue is T.PHONE:
        return T.PHONE if n >= 3 else None
    if cue in (T.ROUTING_NUMBER, T.BANK_ACCOUNT):
        if n == 9 and aba_valid(d):
            return T.ROUTING_NUMBER
        if n < 4:
            return None
        return cue
    if cue is T.MEDICAL_ID:
        return T.MEDICAL_ID if n >= 3 else None
    if cue is T.DOB:
        return T.DOB if 4 <= n <= 8 else None
    if cue is T.ADDRESS:
        return T.ADDRESS if 5 <= n <= 9 else None
    if cue is T.ID_NUMBER:
        return T.ID_NUMBER if n >= 3 else None
    return None


def classify_bare(run: NumberRun, *, at_end: bool, prev: Word | None, nxt: Word | None) -> T | None:
    """The type of ``run`` with no context cue: check digits and shapes, then any >= 6 digits."""
    n = run.n_digits
    d = run.digits
    lens = tuple(len(g) for g in run.groups)
    if d.isdigit():
        if 13 <= n <= 19 and luhn_valid(d):
            return T.CREDIT_CARD
        if run.plus and 8 <= n <= 15:
            return T.PHONE
        if n == 9 and lens == (3, 2, 4) and ssn_valid(d):
            return T.SSN
        if n in (10, 11) and nanp_valid(d) and lens in ((3, 3, 4), (1, 3, 3, 4), (3, 7), (1, 10)):
            return T.PHONE
    if n >= 6:
        return T.ID_NUMBER
    harmless = (prev is not None and prev.text in ALLOW_BEFORE) or (nxt is not None and nxt.text in ALLOW_AFTER)
    if at_end and n >= 4 and not harmless and not _year_like(d):
        # May be the first part of a number spoken across utterances: tokenize it now.
        return T.ID_NUMBER
    return None


def is_harmless_after(nxt: Word | None) -> bool:
    """True when the word after a short number makes it a quantity ("8 people", "50 dollars")."""
    return nxt is not None and nxt.text in ALLOW_AFTER
