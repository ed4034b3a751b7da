from __future__ import annotations

import pytest

from redaction import CallRedactor, DtmfGatherer, EntityType, RedactionError


def test_typed_card_is_tokenized_like_spoken_digits() -> None:
    state = CallRedactor()
    g = DtmfGatherer(state)
    g.expect = EntityType.CREDIT_CARD
    results = [g.push(k, 0.1 * i) for i, k in enumerate("4111111111111111#")]
    assert results[:-1] == [None] * 16
    final = results[-1]
    assert final is not None and final.text == "[CREDIT_CARD_1]"
    assert state.vault.detokenize("[CREDIT_CARD_1]", purpose="t", requester="t")[0] == "4111111111111111"


def test_typed_pieces_join_one_token_and_timeout_ends_a_sequence() -> None:
    """Keys typed during the AI conversation are never plain: even one key is a token, and pieces
    typed with pauses between them join the number still being given."""
    state = CallRedactor()
    g = DtmfGatherer(state, timeout_s=2.0)
    assert g.push("4", 0.0) is None
    r = g.poll(5.0)
    assert r is not None and r.text == "[NUMBER_1]"
    for i, k in enumerate("111111"):
        g.push(k, 10 + i * 0.2)
    r = g.push("9", 20.0)  # after a long pause: the previous sequence ends first
    assert r is not None and r.text == "[NUMBER_1]"
    assert g.pending == 1
    assert state.vault.detokenize("[NUMBER_1]", purpose="t", requester="t")[0] == "4111111"


def test_spoken_cue_applies_to_typed_digits_and_star_cancels() -> None:
    state = CallRedactor()
    state.redact("i'll type my social")
    g = DtmfGatherer(state)
    for i, k in enumerate("123456789"):
        assert g.push(k, i * 0.1) is None
    r = g.push("#", 1.0)
    assert r is not None and r.text == "[SSN_1]"
    g.push("5", 0.0)
    assert g.push("*", 0.1) is None and g.pending == 0
    with pytest.raises(RedactionError):
        g.push("x", 0.2)
