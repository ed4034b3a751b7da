from __future__ import annotations

from redaction import CallRedactor, speakable


def test_tokens_become_masked_phrases() -> None:
    state = CallRedactor()
    state.redact("my card is 4111 1111 1111 1234 and the cvv is 987")
    state.redact("my social is 123-45-6789")
    out = speakable("I charged [CREDIT_CARD_1]; [CVV_1] checked; [SSN_1] on file.", state)
    assert out == ("I charged the card ending in 1 2 3 4; the security code checked; "
                   "the social security number ending in 6 7 8 9 on file.")
    for secret in ("4111", "987", "12345"):
        assert secret not in out.replace(" ", "")


def test_works_from_the_vault_and_for_unknown_tokens() -> None:
    state = CallRedactor()
    state.redact("my name is john smith")
    assert speakable("Thanks [PERSON_1]", state.vault) == "Thanks the name you gave"
    assert speakable("[PHONE_7] and [BOGUS_1]", state) == "the phone number and that detail"


def test_short_values_get_no_digits() -> None:
    state = CallRedactor()
    state.redact("my id is 1734")
    assert speakable("[ID_NUMBER_1]", state) == "the number"
