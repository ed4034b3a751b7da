"""The call's privacy boundary: pieces, keypad, mixed, cues, corrections, capture, egress scrub."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from redaction import CallRedactor, DtmfGatherer, EntityType
from redaction.boundary_cases import CaseGen
from redaction.boundary_check import run_guard_only
from redaction.guard import CallGuard, Withheld, number_valid
from redaction.leaks import digit_stream, leak_spans, longest_leak
from redaction.speakable import TOKEN_RE, speakable

T = EntityType
CARD = "4076123498765438"  # Luhn-valid


def _guard(**kw: object) -> CallGuard:
    return CallGuard(CallRedactor(use_ner=False), **kw)  # type: ignore[arg-type]


def _plain_digits(text: str) -> str:
    return "".join(d.digit for d in digit_stream(TOKEN_RE.sub(" ", text)))


def _value(g: CallGuard, token: str) -> str:
    return g.redactor.vault.detokenize(token, purpose="test", requester="pytest")[0]


def test_card_read_two_digits_at_a_time_is_one_token() -> None:
    g = _guard()
    outs = [g.heard(t).text for t in ("It's 40.", "76.", "um, 12", "thirty four", "98.", "7 6", "fifty four",
                                      "38.")]
    assert all(_plain_digits(o) == "" for o in outs)
    assert {m.group(0) for o in outs for m in TOKEN_RE.finditer(o)} == {"[NUMBER_1]"}
    assert _value(g, "[NUMBER_1]") == CARD
    assert g.redactor.describe("[NUMBER_1]").type is T.CREDIT_CARD  # type: ignore[union-attr]


def test_typed_pairs_join_one_token() -> None:
    g = _guard()
    keypad = DtmfGatherer(g)
    outs = []
    for k, pair in enumerate(CARD[i:i + 2] for i in range(0, 16, 2)):
        for j, key in enumerate(pair + "#"):
            r = keypad.push(key, 10.0 * k + 0.1 * j)
            if r is not None:
                outs.append(r.text)
    assert outs == ["[NUMBER_1]"] * 8
    assert _value(g, "[NUMBER_1]") == CARD


def test_voice_and_keypad_mixed_join_one_number() -> None:
    g = _guard()
    assert g.heard("my card number is 4076").text == "my card number is [CREDIT_CARD_1]"
    assert g.typed("1234").text == "[CREDIT_CARD_1]"
    assert g.heard("nine eight seven six").text == "[CREDIT_CARD_1]"
    assert g.typed("5438").text == "[CREDIT_CARD_1]"
    assert _value(g, "[CREDIT_CARD_1]") == CARD


@pytest.mark.parametrize(("text", "secret"), [
    ("my card is 41", "41"), ("it ends in 4 4 5 5", "4455"), ("the last four are 4455", "4455"),
    ("It's 41.", "41"), ("four one", "41"), ("double four five", "445"),
])
def test_short_pieces_never_pass(text: str, secret: str) -> None:
    r = _guard().heard(text)
    assert r.withheld is None and r.entities
    assert secret not in _plain_digits(r.text)


def test_an_unrelated_turn_between_pieces_keeps_the_number_open() -> None:
    g = _guard()
    g.heard("my social is 123")
    assert g.heard("sorry what are your hours").text == "sorry what are your hours"
    assert g.heard("45").text == "[SSN_1]"
    assert g.heard("6789").text == "[SSN_1]"
    assert _value(g, "[SSN_1]") == "123456789"


def test_harmless_numbers_keep_their_digits_even_while_a_number_is_open() -> None:
    g = _guard()
    g.heard("my card number is 4076")
    for text in ("I have 2 questions", "can I come at 3 pm", "it was $45", "I'm in room 12"):
        assert g.heard(text).text == text


def test_plain_digit_budget_is_per_call() -> None:
    g = CallGuard(CallRedactor(use_ner=False, plain_digit_budget=4))
    assert g.heard("room 12").text == "room 12"
    assert g.heard("room 34").text == "room 34"
    assert g.heard("room 56").text == "room [NUMBER_1]"  # the budget is spent: fail closed


def test_expected_number_takes_a_short_answer() -> None:
    g = _guard()
    g.expect(T.CVV)
    assert g.heard("one two three").text == "[CVV_1]"


def test_unreadable_number_is_withheld_not_passed() -> None:
    g = _guard()
    g.expect(T.CREDIT_CARD)
    r = g.heard("for to won")
    assert r.withheld is Withheld.UNSURE and r.text == ""


def test_errors_fail_closed() -> None:
    g = _guard()
    assert g.heard(None).withheld is Withheld.ERROR  # type: ignore[arg-type]
    assert g.heard("x" * 300_000).withheld is Withheld.TOO_LARGE


def test_secure_capture_stores_the_number_and_reports_validity_only() -> None:
    g = _guard()
    g.start_capture(T.CREDIT_CARD)
    assert g.capturing is T.CREDIT_CARD
    results = [g.capture_key(k) for k in CARD + "#"]
    assert results[:-1] == [None] * 16
    done = results[-1]
    assert done is not None and done.valid and done.length == 16 and done.token == "[CREDIT_CARD_1]"
    assert g.capturing is None and _value(g, "[CREDIT_CARD_1]") == CARD
    g.start_capture(T.CVV)
    g.capture_key("1")
    cancelled = g.capture_key("*")
    assert cancelled is not None and cancelled.cancelled and cancelled.token is None


def test_number_validity() -> None:
    assert number_valid(T.CREDIT_CARD, CARD) and not number_valid(T.CREDIT_CARD, CARD[:-1] + "0")
    assert number_valid(T.CVV, "123") and not number_valid(T.CVV, "12")
    assert number_valid(T.EXPIRY, "0829") and not number_valid(T.EXPIRY, "1329")


def test_scrub_finds_a_secret_however_it_is_written() -> None:
    g = _guard()
    g.heard("my card number is 4076 1234 9876 5438")
    text = 'user: "40" | user: "seven six" | assistant: ok | user: "1 2 3 4 9876"'
    scrubbed, n = g.scrub(text)
    assert n >= 1 and _plain_digits(scrubbed).find("40761234") == -1
    assert g.leaks("the card ending in 5 4 3 8") == 0  # the last four are allowed
    assert _guard(last_four_ok=False).leaks("ending in 5438") == 0  # nothing to find in another call
    strict = _guard(last_four_ok=False)
    strict.heard("my card number is 4076 1234 9876 5438")
    assert strict.leaks("ending in 5438") == 1


def test_leak_measure() -> None:
    assert longest_leak("4 0 7 6 one two", CARD, last_four_ok=True) == 6
    assert longest_leak("ends in five four three eight", CARD, last_four_ok=True) == 0
    assert longest_leak("ends in five four three eight", CARD, last_four_ok=False) == 4
    assert longest_leak("room 40 at 7 pm", CARD, last_four_ok=True) == 0
    assert leak_spans("double four", "4455", last_four_ok=False) == []  # two digits cannot be told apart


def test_speakable_respects_the_last_four_rule() -> None:
    g = _guard()
    g.heard("my card number is 4076 1234 9876 5438")
    assert speakable("[CREDIT_CARD_1]", g) == "the card ending in 5 4 3 8"
    strict = CallGuard(g.redactor, last_four_ok=False)
    assert speakable("[CREDIT_CARD_1]", strict) == "the card"


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_no_generated_call_leaks(seed: int) -> None:
    """Property over the boundary generator (the full run is ``dialphone eval boundary``)."""
    call = CaseGen(seed).call(0)
    out, verdict = run_guard_only(call, _guard())
    assert verdict.leak == 0, (call.turns, out)


def test_harmless_numbers_lost_stay_rare() -> None:
    """The cost of failing closed, on a fixed sample (a rate, not a per-call property: while a card
    is being given, "about 7353 dollars" may be its next piece and is tokenized on purpose)."""
    said = lost = 0
    for seed in range(300):
        _, verdict = run_guard_only(CaseGen(20261202 + seed).call(0), _guard())
        said, lost = said + verdict.harmless_said, lost + verdict.harmless_lost
    assert said > 100 and lost / said <= 0.02, (lost, said)
