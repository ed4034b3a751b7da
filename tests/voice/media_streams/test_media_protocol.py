"""The media-stream protocol core without a server: parser table, fuzzing, token, serializer logging."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice.media_streams.exceptions import MalformedMessage, StreamAuthError
from voice.media_streams.protocol import (
    Connected,
    Dtmf,
    Mark,
    Media,
    Start,
    Stop,
    clear_message,
    mark_message,
    media_message,
    parse_message,
)
from voice.media_streams.token import TokenLedger, sign_stream_token, verify_stream_token
from voice.media_streams.transport import AudioBudget, HardenedTwilioSerializer

START: dict[str, Any] = {
    "event": "start",
    "start": {
        "streamSid": "MZ1",
        "callSid": "CA1",
        "accountSid": "AC1",
        "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        "customParameters": {"token": "t", "caller": "+15555550100"},
    },
}

GOOD: list[tuple[dict[str, Any], object]] = [
    ({"event": "connected", "protocol": "Call", "version": "1.0.0"}, Connected()),
    (START, Start(stream_sid="MZ1", call_sid="CA1", account_sid="AC1", custom={"token": "t", "caller": "+15555550100"})),
    ({"event": "media", "media": {"track": "inbound", "payload": base64.b64encode(b"\xff\x7f").decode()}}, Media(b"\xff\x7f")),
    ({"event": "dtmf", "dtmf": {"track": "inbound_track", "digit": "#"}}, Dtmf("#")),
    ({"event": "mark", "mark": {"name": "reply-1"}}, Mark("reply-1")),
    ({"event": "stop", "stop": {"callSid": "CA1"}}, Stop()),
]

BAD = [
    (b"\x00binary", "binary frame"),
    ("x" * 20_000, "message too large"),
    ("{", "invalid JSON"),
    ("[" * 5000, "invalid JSON"),
    ("[]", "not a JSON object"),
    ('{"streamSid": "MZ"}', "missing event"),
    ('{"event": "hello"}', "unknown event"),
    ('{"event": "start"}', "missing start object"),
    ('{"event": "start", "start": {"callSid": "CA"}}', "missing or bad streamSid"),
    ('{"event": "start", "start": {"streamSid": "MZ", "callSid": "C\\nA"}}', "missing or bad callSid"),
    (json.dumps({**START, "start": {**START["start"], "mediaFormat": {"encoding": "audio/l16"}}}), "unsupported media format"),
    (json.dumps({**START, "start": {**START["start"], "customParameters": {"a": 1}}}), "bad customParameters"),
    ('{"event": "media", "media": {"payload": "@@"}}', "bad base64 in media.payload"),
    ('{"event": "media", "media": {"track": "outbound", "payload": "AA=="}}', "not the inbound track"),
    (json.dumps({"event": "media", "media": {"payload": "A" * 6000}}), "media payload too large"),
    ('{"event": "dtmf", "dtmf": {"digit": "12"}}', "bad dtmf.digit"),
    ('{"event": "mark", "mark": {"name": 3}}', "bad mark.name"),
]


@pytest.mark.parametrize(("message", "expected"), GOOD, ids=[m["event"] for m, _ in GOOD])
def test_parses_each_provider_event(message: dict[str, object], expected: object) -> None:
    assert parse_message(json.dumps(message)) == expected


@pytest.mark.parametrize(("data", "reason"), BAD, ids=[r for _, r in BAD])
def test_rejects_with_a_fixed_reason(data: str | bytes, reason: str) -> None:
    with pytest.raises(MalformedMessage) as err:
        parse_message(data)
    assert err.value.reason == reason


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=400), st.binary(max_size=100), st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.sampled_from(
        ["event", "media", "payload", "start", "streamSid", "callSid", "dtmf", "digit", "mark", "name"]), kids, max_size=5),
    max_leaves=12,
).map(json.dumps)))
def test_any_input_parses_or_raises_the_documented_error(data: str | bytes) -> None:
    try:
        parse_message(data)
    except MalformedMessage:
        pass


def test_outbound_messages_round_trip_through_json() -> None:
    assert json.loads(media_message("MZ", b"\x01\x02"))["media"]["payload"] == "AQI="
    assert json.loads(mark_message("MZ", "reply-2")) == {"event": "mark", "streamSid": "MZ", "mark": {"name": "reply-2"}}
    assert json.loads(clear_message("MZ")) == {"event": "clear", "streamSid": "MZ"}


def test_stream_token_binds_call_caller_secret_and_expiry() -> None:
    token = sign_stream_token(secret="s", call_sid="CA1", caller="+15555550100", ttl_s=60, now=1000.0)
    verify_stream_token(token, secret="s", call_sid="CA1", caller="+15555550100", now=1059.0)
    cases = (("x", "CA1", "+15555550100", 1000.0), ("s", "CA2", "+15555550100", 1000.0),
             ("s", "CA1", "+15555550100", 1061.0), ("s", "CA1", "+15555550199", 1000.0), ("s", "CA1", "", 1000.0))
    for secret, call_sid, caller, now in cases:
        with pytest.raises(StreamAuthError):
            verify_stream_token(token, secret=secret, call_sid=call_sid, caller=caller, now=now)
    assert "5555550100" not in token  # the number is signed, not carried
    with pytest.raises(StreamAuthError, match="no media stream secret"):
        verify_stream_token(token, secret=None, call_sid="CA1", now=1000.0)
    tampered = token[:-1] + ("0" if token[-1] != "0" else "1")
    with pytest.raises(StreamAuthError, match="signature"):
        verify_stream_token(tampered, secret="s", call_sid="CA1", caller="+15555550100", now=1000.0)


def test_stream_token_is_good_for_one_stream() -> None:
    ledger = TokenLedger()
    token = sign_stream_token(secret="s", call_sid="CA1", ttl_s=60, now=1000.0)
    verify_stream_token(token, secret="s", call_sid="CA1", now=1000.0, ledger=ledger)
    with pytest.raises(StreamAuthError, match="already used"):
        verify_stream_token(token, secret="s", call_sid="CA1", now=1001.0, ledger=ledger)
    other = sign_stream_token(secret="s", call_sid="CA1", ttl_s=60, now=1000.0)  # a fresh one is fine
    verify_stream_token(other, secret="s", call_sid="CA1", now=1001.0, ledger=ledger)
    small = TokenLedger(max_entries=2)  # bounded: the soonest-expiring nonces go first
    for i in range(5):
        assert small.spend(f"n{i}", 2000 + i, 1000.0)
    assert len(small._used) <= 2


def test_audio_budget_allows_real_time_and_a_burst_then_drops() -> None:
    now = [0.0]
    budget = AudioBudget(rate=8000, burst_s=1.0, clock=lambda: now[0])
    assert all(budget.take(160) for _ in range(50))  # the 1 s burst
    assert not budget.take(160)
    now[0] += 0.02
    assert budget.take(160)  # 20 ms later, 20 ms more


async def test_serializer_logs_the_reason_never_the_payload(caplog: pytest.LogCaptureFixture) -> None:
    stopped: list[bool] = []
    ser = HardenedTwilioSerializer(
        stream_sid="MZ", call_sid="CA", sample_rate=8000, tag="t1", on_stop=lambda: stopped.append(True)
    )
    secret = "4111 1111 1111 1111 my-private-words"
    with caplog.at_level(logging.DEBUG):
        assert await ser.deserialize('{"event": "media", "media": {"payload": "' + secret + '"}}') is None
        assert await ser.deserialize("{" + secret) is None
        assert await ser.deserialize(json.dumps({"event": "dtmf", "dtmf": {"digit": "5"}})) is not None
        assert await ser.deserialize(json.dumps({"event": "stop"})) is None
        assert await ser.deserialize(json.dumps({"event": "dtmf", "dtmf": {"digit": "5"}})) is None
    assert stopped == [True]
    assert ser.stats.malformed == 3 and ser.stats.dtmf == 1
    assert "bad base64" in caplog.text and "event after stop" in caplog.text
    assert "4111" not in caplog.text and "private" not in caplog.text
