"""Numbers spoken across utterances become one entity, one token, one vault entry."""

from __future__ import annotations

import pytest

from redaction import CallRedactor, EntityType
from redaction.speakable import TOKEN_RE

T = EntityType


def _value(state: CallRedactor, token: str) -> str:
    value, _ = state.vault.detokenize(token, purpose="test", requester="pytest")
    return value


def test_id_in_four_parts_keeps_its_first_token() -> None:
    state = CallRedactor()
    outs = [state.redact(u) for u in ("my id is 1734", "1256", "7299", "1778")]
    assert outs[0].text == "my id is [ID_NUMBER_1]"
    assert [o.text for o in outs[1:]] == ["[ID_NUMBER_1]"] * 3
    assert [o.entities[0].continued for o in outs] == [False, True, True, True]
    assert len(state.vault) == 1
    assert _value(state, "[ID_NUMBER_1]") == "1734125672991778"
    assert state.counts() == {"ID_NUMBER": 1}


@pytest.mark.parametrize(("parts", "typ", "value"), [
    (["my card number is", "four one one one one one one one", "one one one one", "one one one one"],
     T.CREDIT_CARD, "4111111111111111"),
    (["my social is 123", "45", "6789"], T.SSN, "123456789"),
    (["my phone number is five five five", "eight six seven", "five three oh nine"], T.PHONE, "5558675309"),
    (["my member id is", "123 456", "and 789"], T.MEDICAL_ID, "123456789"),
])
def test_split_numbers_join(parts: list[str], typ: T, value: str) -> None:
    state = CallRedactor()
    tokens = set()
    for u in parts:
        r = state.redact(u)
        assert not any(ch.isdigit() for ch in TOKEN_RE.sub("", r.text))
        tokens.update(e.token for e in r.entities)
    assert tokens == {f"[{typ.value}_1]"}
    assert _value(state, f"[{typ.value}_1]") == value


def test_complete_card_does_not_swallow_the_next_number() -> None:
    state = CallRedactor()
    state.redact("my card is 4111 1111 1111 1111")
    r = state.redact("the cvv is 123")
    assert r.text == "the cvv is [CVV_1]"


def test_words_between_parts_close_the_entity() -> None:
    state = CallRedactor()
    state.redact("my id is 1734")
    r = state.redact("and i need 8 tickets")
    assert r.text == "and i need 8 tickets"


def test_asr_noise_inside_a_number_is_bridged() -> None:
    state = CallRedactor()
    state.redact("my card number is")
    r = state.redact("4 aunt, 7, 4, 8, 2, 5, 9, 7, 9, 1, 9, 0, 7, 4, 8, 2.")
    assert r.text == "[CREDIT_CARD_1]."


def test_expected_entity_from_the_agent_prompt() -> None:
    state = CallRedactor()
    state.expect(T.SSN)
    r = state.redact("So today, 7.")
    assert r.text == "So today, [SSN_1]."


@pytest.mark.parametrize("turns", [
    ["my card number is", "42888.", "2 001", "A, 2, 6, 3.", "3, 0, 4, 1."],
    ["my social security number is", "562.", "Bye, too.", "7-bit-01."],
    ["my member id is", "2, 8, 0.", "8-fold 1", "4th, 8th, 5th."],
])
def test_asr_garbled_parts_never_leak_digits(turns: list[str]) -> None:
    """Real tiny.en outputs for FSDD digits spoken in groups (see redaction/fsdd.py)."""
    state = CallRedactor()
    outs = [state.redact(t).text for t in turns]
    assert not any(ch.isdigit() for o in outs for ch in TOKEN_RE.sub("", o))
    assert len(state.vault) == 1


def test_one_digit_word_in_a_sentence_does_not_join_an_open_number() -> None:
    state = CallRedactor()
    state.redact("my id is 1734")
    assert state.redact("one moment please").text == "one moment please"


def test_a_bare_number_turn_is_tokenized_and_continued() -> None:
    state = CallRedactor()
    outs = [state.redact(t).text for t in ("1, 3, 9.", "0, 9, 9, 6, 0, 3, 0.")]
    assert outs == ["[ID_NUMBER_1].", "[ID_NUMBER_1]."]
    assert _value(state, "[ID_NUMBER_1]") == "1390996030"
    assert CallRedactor().redact("12.").text == "[NUMBER_1]."  # a bare answer: nothing says it is harmless
