"""Context cues: words before a number that say what the number is ("card", "social", "member id")."""

from __future__ import annotations

from redaction.entities import EntityType as T
from redaction.spoken import Word

# Longest cues first at each position; the nearest cue before a number wins.
CUES: tuple[tuple[tuple[str, ...], T], ...] = (
    (("back", "of", "the", "card"), T.CVV), (("back", "of", "my", "card"), T.CVV),
    (("back", "of", "it"), T.CVV),
    (("security", "code"), T.CVV),
    (("verification", "code"), T.CVV),
    (("card", "verification"), T.CVV),
    (("digit", "code"), T.CVV),
    (("the", "back"), T.CVV),
    (("zip", "code"), T.ADDRESS), (("postal", "code"), T.ADDRESS), (("area", "code"), T.PHONE),
    (("confirmation", "code"), T.ID_NUMBER), (("access", "code"), T.ID_NUMBER),
    (("reference", "code"), T.ID_NUMBER), (("booking", "code"), T.ID_NUMBER),
    (("code",), T.CVV),
    (("cvv",), T.CVV), (("cvc",), T.CVV), (("csc",), T.CVV), (("cvv2",), T.CVV),
    (("valid", "thru"), T.EXPIRY), (("valid", "through"), T.EXPIRY),
    (("good", "thru"), T.EXPIRY), (("good", "through"), T.EXPIRY),
    (("expiration",), T.EXPIRY), (("expiry",), T.EXPIRY), (("expires",), T.EXPIRY),
    (("expire",), T.EXPIRY), (("exp",), T.EXPIRY), (("expiring",), T.EXPIRY),
    (("american", "express"), T.CREDIT_CARD),
    (("card",), T.CREDIT_CARD), (("credit",), T.CREDIT_CARD), (("debit",), T.CREDIT_CARD),
    (("visa",), T.CREDIT_CARD), (("mastercard",), T.CREDIT_CARD), (("amex",), T.CREDIT_CARD),
    (("social",), T.SSN), (("ssn",), T.SSN), (("s", "s", "n"), T.SSN),
    (("phone",), T.PHONE), (("cell",), T.PHONE), (("mobile",), T.PHONE),
    (("call", "me"), T.PHONE), (("reach", "me"), T.PHONE), (("call", "back"), T.PHONE),
    (("callback",), T.PHONE), (("telephone",), T.PHONE), (("text", "me"), T.PHONE),
    (("landline",), T.PHONE), (("fax",), T.PHONE), (("my", "number"), T.PHONE),
    (("contact", "number"), T.PHONE), (("best", "number"), T.PHONE), (("home", "number"), T.PHONE),
    (("work", "number"), T.PHONE),
    (("routing",), T.ROUTING_NUMBER), (("aba",), T.ROUTING_NUMBER), (("transit",), T.ROUTING_NUMBER),
    (("account",), T.BANK_ACCOUNT), (("checking",), T.BANK_ACCOUNT), (("savings",), T.BANK_ACCOUNT),
    (("iban",), T.BANK_ACCOUNT),
    (("medical", "record"), T.MEDICAL_ID), (("mrn",), T.MEDICAL_ID), (("member",), T.MEDICAL_ID),
    (("policy",), T.MEDICAL_ID), (("claim",), T.MEDICAL_ID), (("patient",), T.MEDICAL_ID),
    (("subscriber",), T.MEDICAL_ID), (("insurance",), T.MEDICAL_ID), (("medicare",), T.MEDICAL_ID),
    (("medicaid",), T.MEDICAL_ID), (("chart",), T.MEDICAL_ID), (("prescription",), T.MEDICAL_ID),
    (("rx",), T.MEDICAL_ID),
    (("date", "of", "birth"), T.DOB), (("born",), T.DOB), (("birth",), T.DOB),
    (("birthday",), T.DOB), (("dob",), T.DOB), (("d", "o", "b"), T.DOB), (("birthdate",), T.DOB),
    (("zip",), T.ADDRESS), (("postal",), T.ADDRESS), (("zipcode",), T.ADDRESS),
    (("id",), T.ID_NUMBER), (("i", "d"), T.ID_NUMBER), (("identification",), T.ID_NUMBER),
    (("reference",), T.ID_NUMBER), (("confirmation",), T.ID_NUMBER), (("license",), T.ID_NUMBER),
    (("passport",), T.ID_NUMBER), (("pin",), T.ID_NUMBER), (("customer", "number"), T.ID_NUMBER),
    (("case", "number"), T.ID_NUMBER), (("order", "number"), T.ID_NUMBER),
    (("ticket", "number"), T.ID_NUMBER), (("tracking",), T.ID_NUMBER), (("employee",), T.ID_NUMBER),
    (("student",), T.ID_NUMBER), (("username",), T.ID_NUMBER), (("password",), T.ID_NUMBER),
    (("passcode",), T.ID_NUMBER), (("vin",), T.ID_NUMBER), (("serial",), T.ID_NUMBER),
)

_BY_LAST: dict[str, list[tuple[tuple[str, ...], T]]] = {}
for _cue in CUES:
    _BY_LAST.setdefault(_cue[0][-1], []).append(_cue)
for _lst in _BY_LAST.values():
    _lst.sort(key=lambda c: -len(c[0]))

CUE_WORDS = frozenset(_BY_LAST)

# A generic cue ("id", "number") right after a specific one ("member id") takes the specific type.
_SPECIFIC_REACH = 3


def cue_at(words: list[Word], i: int) -> tuple[T, int] | None:
    """The cue ending at word ``i``: its type and its first word index."""
    for phrase, typ in _BY_LAST.get(words[i].text, ()):
        k = len(phrase)
        if i + 1 >= k and all(words[i - k + 1 + j].text == phrase[j] for j in range(k)):
            return typ, i - k + 1
    return None


def nearest_cue(words: list[Word], lo: int, hi: int) -> tuple[T, int] | None:
    """The nearest cue in words ``[lo, hi)``, scanning backwards from ``hi``."""
    for i in range(hi - 1, lo - 1, -1):
        found = cue_at(words, i)
        if found is None:
            continue
        typ, first = found
        if typ in (T.ID_NUMBER, T.BANK_ACCOUNT):
            # "member id", "patient account number": the more specific cue before wins
            wanted = (T.MEDICAL_ID, T.BANK_ACCOUNT, T.CREDIT_CARD) if typ is T.ID_NUMBER else (T.MEDICAL_ID,)
            for j in range(first - 1, max(lo, first - _SPECIFIC_REACH) - 1, -1):
                more = cue_at(words, j)
                if more is not None and more[0] in wanted:
                    return more[0], more[1]
        return typ, first
    return None
