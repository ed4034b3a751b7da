"""Facts about one tokenized value: when it is complete, what may be said of it, its bare type.

Pure functions of the digits the caller gave; :class:`redaction.CallRedactor` keeps the state.
"""

from __future__ import annotations

from redaction.checksums import luhn_valid, nanp_valid
from redaction.detector import MAX_DIGITS
from redaction.entities import EntityType
from redaction.exceptions import InputTooLargeError, RedactionError

T = EntityType

MAX_TEXT_CHARS = 200_000
NO_HINT = frozenset({T.CVV, T.EXPIRY, T.DOB, T.PERSON, T.EMAIL, T.ADDRESS})



def hint(typ: EntityType, value: str) -> str:
    """A masked tail safe to speak: never the full value, nothing for short or textual values."""
    if typ in NO_HINT:
        return ""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) >= 9:
        return digits[-4:]
    if len(digits) >= 6:
        return digits[-2:]
    return ""


def complete(typ: EntityType, value: str) -> bool:
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
    if typ is T.NUMBER:
        return card_shaped(value)
    return typ in (T.PERSON, T.EMAIL, T.ADDRESS)


def card_shaped(value: str) -> bool:
    digits = "".join(ch for ch in value if ch.isdigit())
    return 15 <= len(digits) <= 19 and luhn_valid(digits)


def bare_type(digits: str) -> EntityType:
    """The type of a number given with nothing said about it: a card if it is one, else NUMBER."""
    return T.CREDIT_CARD if card_shaped(digits) else T.NUMBER


def sanitize(text: str) -> str:
    if not isinstance(text, str):
        raise RedactionError("text must be str (decode transport bytes with errors='replace' first)")
    if len(text) > MAX_TEXT_CHARS:
        raise InputTooLargeError(f"text of {len(text)} characters is over the limit of {MAX_TEXT_CHARS}")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
    return text
