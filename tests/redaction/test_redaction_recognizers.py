"""Table-driven recognizer tests: (utterance, [(type, text that must be the entity)])."""

from __future__ import annotations

import pytest

from redaction import CallRedactor, EntityType, redact
from redaction.checksums import aba_valid, luhn_valid, nanp_valid, ssn_valid
from redaction.speakable import TOKEN_RE

T = EntityType

POSITIVE: list[tuple[str, list[tuple[T, str]]]] = [
    ("my card is four one one one one one one one one one one one one one one one",
     [(T.CREDIT_CARD, "four one one one one one one one one one one one one one one one")]),
    ("it's 4111 1111 1111 1111", [(T.CREDIT_CARD, "4111 1111 1111 1111")]),
    ("visa 4111-1111-1111-1111 expiration 12 25 and the cvv is 123",
     [(T.CREDIT_CARD, "4111-1111-1111-1111"), (T.EXPIRY, "12 25"), (T.CVV, "123")]),
    ("the security code on the back is seven three one", [(T.CVV, "seven three one")]),
    ("it expires march twenty twenty seven", [(T.EXPIRY, "march twenty twenty seven")]),
    ("my social is 123-45-6789", [(T.SSN, "123-45-6789")]),
    ("219-09-9999", [(T.SSN, "219-09-9999")]),
    ("504813221 that's my social", [(T.SSN, "504813221")]),
    ("you can reach me at 555 867 5309", [(T.PHONE, "555 867 5309")]),
    ("call me at four one five five five five oh one double oh", [(T.PHONE, "four one five five five five oh one double oh")]),
    ("it's +44 20 7946 0958", [(T.PHONE, "+44 20 7946 0958")]),
    ("my email is john dot smith at example dot com", [(T.EMAIL, "john dot smith at example dot com")]),
    ("jsmith at gmail", [(T.EMAIL, "jsmith at gmail")]),
    ("write to maria.lopez@example.org", [(T.EMAIL, "maria.lopez@example.org")]),
    ("i was born on march fifth nineteen eighty five", [(T.DOB, "march fifth nineteen eighty five")]),
    ("date of birth oh one oh two nineteen eighty five", [(T.DOB, "oh one oh two nineteen eighty five")]),
    ("dob the twenty second of october nineteen eighty nine", [(T.DOB, "the twenty second of october nineteen eighty nine")]),
    ("routing number 021000021 and account number 12345678",
     [(T.ROUTING_NUMBER, "021000021"), (T.BANK_ACCOUNT, "12345678")]),
    ("my member id is XYZ123456789", [(T.MEDICAL_ID, "XYZ123456789")]),
    ("the claim number is w one two three four five six seven", [(T.MEDICAL_ID, "w one two three four five six seven")]),
    ("my mrn is 00123456", [(T.MEDICAL_ID, "00123456")]),
    ("my name is john smith and i have a question", [(T.PERSON, "john smith")]),
    ("hi this is maria garcia lopez", [(T.PERSON, "maria garcia lopez")]),
    ("my last name is nguyen spelled n g u y e n", [(T.PERSON, "nguyen"), (T.PERSON, "n g u y e n")]),
    ("I spoke with Sarah Connor yesterday.", [(T.PERSON, "Sarah Connor")]),
    ("i live at one twenty three main street apartment 4", [(T.ADDRESS, "one twenty three main street apartment 4")]),
    ("ship it to 4500 north lake drive please", [(T.ADDRESS, "4500 north lake drive")]),
    ("my zip code is 02139", [(T.ADDRESS, "02139")]),
    ("my confirmation number is 8 8 3 1 2 7", [(T.ID_NUMBER, "8 8 3 1 2 7")]),
    ("it's 99120034", [(T.ID_NUMBER, "99120034")]),
]

NEGATIVE = [
    "press 2 for billing", "i need a table for 8 people", "i'm in room 12", "call me back at 3 pm",
    "we moved here in 2019", "it costs 50 dollars", "my appointment is on march fifth",
    "this is ridiculous", "this is the third time i called", "my card was declined", "oh okay thanks",
    "i need 4 tickets", "the doctor said it was fine", "one moment please", "my name is on the account",
    "I'm calling about my bill.", "", "i need 2 large pizzas", "it's 20% off", "it costs $45",
    "call me back at 3 pm", "I have 2 questions about room 12", "Hi, this is fraud.", "this is billing",
    "I'd like to come in on Sunday", "one moment please",
]
# Numbers nothing marks as harmless fail closed: tokenized, not passed.
FAIL_CLOSED = ["the kids are 8 and 10", "it's 41", "four one", "12.", "it ends in 4 4 5 5", "my card is 41"]


@pytest.mark.parametrize(("text", "expected"), POSITIVE)
def test_recognizes(text: str, expected: list[tuple[T, str]]) -> None:
    result = CallRedactor().redact(text)
    got = [(e.type, text[e.source_start:e.source_end]) for e in result.entities]
    assert got == expected


@pytest.mark.parametrize("text", NEGATIVE)
def test_keeps_harmless_text(text: str) -> None:
    result = redact(text)
    assert result.text == text
    assert result.entities == ()


@pytest.mark.parametrize("text", FAIL_CLOSED)
def test_unexplained_numbers_fail_closed(text: str) -> None:
    result = redact(text)
    assert not any(ch.isdigit() for ch in TOKEN_RE.sub("", result.text))
    assert result.entities


def test_redacted_text_spans_point_at_tokens() -> None:
    r = redact("my name is john smith and my social is 123-45-6789")
    assert r.text == "my name is [PERSON_1] and my social is [SSN_1]"
    for e in r.entities:
        assert r.text[e.start:e.end] == e.token
    assert r.counts() == {"PERSON": 1, "SSN": 1}


def test_same_value_same_token_within_call() -> None:
    state = CallRedactor()
    a = state.redact("my card is 4111 1111 1111 1111")
    b = state.redact("again that's card 4111111111111111")
    c = state.redact("and my other card is 5555 5555 5555 4444")
    assert a.entities[0].token == b.entities[0].token == "[CREDIT_CARD_1]"
    assert c.entities[0].token == "[CREDIT_CARD_2]"


@pytest.mark.parametrize(("fn", "good", "bad"), [
    (luhn_valid, "4111111111111111", "4111111111111112"),
    (aba_valid, "021000021", "021000022"),
    (ssn_valid, "123456789", "666123456"),
    (nanp_valid, "4155550100", "1155550100"),
])
def test_checksums(fn: object, good: str, bad: str) -> None:
    assert callable(fn)
    assert fn(good) is True
    assert fn(bad) is False


def test_entity_records_never_hold_raw_values() -> None:
    r = redact("my card is 4111 1111 1111 1111 and my name is john smith")
    for shown in (repr(r), str(r), repr(r.entities)):
        assert "4111" not in shown
        assert "john" not in shown
