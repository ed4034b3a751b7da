"""Canonical JSON rules and the row hash definition."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.canonical import (
    GENESIS_HASH,
    canonical_json,
    canonical_text,
    check_json,
    compute_row_hash,
    loads_strict,
    row_canonical_text,
)
from audit.exceptions import CanonicalError


def test_sorted_keys_no_whitespace_utf8() -> None:
    assert canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()


def test_string_escapes_follow_rfc8785() -> None:
    assert canonical_text('\u0001\b\t\n\f\r"\\/€') == '"\\u0001\\b\\t\\n\\f\\r\\"\\\\/€"'


def test_keys_sort_by_utf16_code_units() -> None:
    # U+FF61 sorts after U+1F600 in UTF-16 (surrogate 0xD83D < 0xFF61) but before it by code point.
    value = {"\uff61": 1, "\U0001f600": 2}
    assert canonical_text(value) == '{"\U0001f600":2,"\uff61":1}'


@pytest.mark.parametrize("bad", [1.5, float("nan"), 2**53, -(2**53), {1: "x"}, "\ud800", object()])
def test_non_canonical_values_are_rejected(bad: object) -> None:
    with pytest.raises(CanonicalError):
        check_json({"k": bad})


@pytest.mark.parametrize("text", ['{"a":1.0}', '{"a":NaN}', '{"a":Infinity}', "{bad"])
def test_strict_loader_rejects_floats_and_garbage(text: str) -> None:
    with pytest.raises(CanonicalError):
        loads_strict(text)


def test_row_hash_is_sha256_of_prev_bytes_and_canonical_body() -> None:
    body = {"seq": 1, "payload": {"x": "y"}}
    expected = hashlib.sha256(bytes(32) + b'{"payload":{"x":"y"},"seq":1}').hexdigest()
    assert compute_row_hash(GENESIS_HASH, body) == expected
    with pytest.raises(CanonicalError):
        compute_row_hash("ab", body)


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53) + 1, 2**53 - 1) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=40, deadline=None)
@given(
    payload=st.dictionaries(st.text(), _json, max_size=5),
    actor=st.text(min_size=1),
    call_id=st.none() | st.text(),
    seq=st.integers(1, 2**40),
)
def test_writer_fast_path_equals_generic_canonical_form(
    payload: dict[str, object], actor: str, call_id: str | None, seq: int
) -> None:
    try:
        check_json(payload)
        check_json(actor)
        check_json(call_id)
    except CanonicalError:
        return
    body = {
        "schema_version": 1,
        "seq": seq,
        "ts": "2026-01-01T00:00:00.000000Z",
        "workspace_id": "ws",
        "call_id": call_id,
        "type": "brain.turn",
        "actor": actor,
        "payload": payload,
        "prev_hash": GENESIS_HASH,
    }
    fast = row_canonical_text(
        schema_version=1,
        seq=seq,
        ts=body["ts"],  # type: ignore[arg-type]
        workspace_id="ws",
        call_id=call_id,
        type="brain.turn",
        actor=actor,
        payload_text=canonical_text(payload),
        prev_hash=GENESIS_HASH,
    )
    assert fast == canonical_text(body)
    assert loads_strict(fast) == body
