"""Bad input gives a result or a documented error, never a crash."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from redaction import CallRedactor, InputTooLargeError, RedactionError, redact
from redaction.values import MAX_TEXT_CHARS

WORDS = st.sampled_from([
    "my", "card", "is", "four", "one", "oh", "double", "triple", "dash", "-", "4111", "123-45-6789", "social",
    "at", "dot", "com", "name", "this", "spelled", "a", "b", "street", "main", "twenty", "nineteen",
    "hundred", "thousand", "expires", "cvv", "born", "march", "fifth", "the", "of", "+1", "#", "uh",
    "ABC-123", "5th", "é", "\u200b", "\x00", "\ufffd",
])


def _check(text: str) -> None:
    state = CallRedactor()
    r = state.redact(text)
    assert isinstance(r.text, str)
    for e in r.entities:
        assert r.text[e.start:e.end] == e.token
        assert 0 <= e.source_start <= e.source_end <= len(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_unicode(text: str) -> None:
    _check(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(WORDS, max_size=60).map(" ".join))
def test_word_soup(text: str) -> None:
    _check(text)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=400))
def test_invalid_utf8_from_a_transport(data: bytes) -> None:
    _check(data.decode("utf-8", errors="replace"))


@settings(max_examples=50, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", categories=["Cc", "Cf", "Zs", "Nd", "Lu"]), max_size=200))
def test_control_and_format_characters(text: str) -> None:
    _check(text)


def test_lone_surrogates_are_replaced() -> None:
    r = redact("my card is \ud800 4111 1111 1111 1111")
    assert "4111" not in r.text


def test_empty_and_huge() -> None:
    assert redact("").text == ""
    big = " ".join(["my card is 4111 1111 1111 1111 and press 2"] * 1100)  # about 10,000 words
    assert len(big.split()) >= 10_000
    r = redact(big)
    assert "4111" not in r.text
    assert {e.token for e in r.entities} == {"[CREDIT_CARD_1]"}
    with pytest.raises(InputTooLargeError):
        redact("1" * (MAX_TEXT_CHARS + 1))
    with pytest.raises(RedactionError):
        redact(b"bytes are not text")  # type: ignore[arg-type]
