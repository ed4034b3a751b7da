"""/media/twilio on a real uvicorn server: a good call end to end, authentication, barge-in marks."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from media_server import SECRET, MediaServer
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from voice.media_streams.token import sign_stream_token
from voice.testing.remote import drive_turns
from voice.testing.remote_ws import MediaStreamCaller, replay_ws, start_message
from voice.testing.scenarios import load_scenario

pytestmark = pytest.mark.slow


async def test_calls_over_media_streams_transcribe_tokenized_and_transfer(
    media_server: MediaServer, fixtures_dir: Path
) -> None:
    billing, card, clears = await asyncio.gather(
        replay_ws(media_server.ws, load_scenario(fixtures_dir / "billing_8k.yaml"), secret=SECRET),
        replay_ws(media_server.ws, load_scenario(fixtures_dir / "card_number_8k.yaml"), secret=SECRET),
        barge_in_clears(media_server, fixtures_dir),
    )
    assert clears >= 1, "barging in did not send a clear"
    for result in (billing, card):
        assert result.rows, "the server reported no turn"
        assert result.rows[0].caller.strip(), "no tokenized transcript came back"
        assert "asr.transcribed" in result.events
        assert result.heard_pcm, "the caller heard nothing (greeting and reply)"
    latency = billing.rows[0].latency_ms
    assert latency is not None and latency < 5000, "no reply latency measured at the caller"
    assert billing.transfers == [("billing", "queue:billing")]
    text = " ".join(r.caller for r in card.rows)
    assert "[CREDIT_CARD" in text, "card number not tokenized in the report"
    assert "5105105105105100" not in "".join(ch for ch in text if ch.isdigit())


async def barge_in_clears(server: MediaServer, fixtures_dir: Path) -> int:
    """The caller talks over the bot's reply: the server tells the provider to ``clear`` its buffer."""
    call = MediaStreamCaller(server.ws, secret=SECRET)
    await call.open()
    try:
        await drive_turns(call.line, load_scenario(fixtures_dir / "barge_in_8k.yaml"))
    finally:
        await call.finish()
    return call.peer.clears


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "v1.9999999999.deadbeef",
        sign_stream_token(secret="another-secret", call_sid="CA-auth"),
        sign_stream_token(secret=SECRET, call_sid="CA-some-other-call"),
        sign_stream_token(secret=SECRET, call_sid="CA-auth", ttl_s=-10),
        "x" * 300,
    ],
    ids=["missing", "empty", "bad-mac", "wrong-secret", "other-call", "expired", "oversized"],
)
async def test_unauthenticated_stream_is_closed_with_policy_code(media_server: MediaServer, token: str | None) -> None:
    custom = {} if token is None else {"token": token}
    async with connect(media_server.ws) as ws:
        await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        await ws.send(start_message(stream_sid="MZ-auth", call_sid="CA-auth", custom=custom))
        with pytest.raises(ConnectionClosed):
            while True:
                await ws.recv()
        assert ws.close_code == 1008
    assert media_server.active_calls() == 0


async def test_no_start_within_the_message_limit_is_closed(media_server: MediaServer) -> None:
    async with connect(media_server.ws) as ws:
        for _ in range(60):
            await ws.send(json.dumps({"event": "connected"}))
        with pytest.raises(ConnectionClosed):
            while True:
                await ws.recv()
        assert ws.close_code == 1008


async def test_marks_follow_each_reply_and_dtmf_is_accepted(media_server: MediaServer) -> None:
    call_sid = "CA-marks"
    token = sign_stream_token(secret=SECRET, call_sid=call_sid)
    async with connect(media_server.ws) as ws:
        await ws.send(start_message(stream_sid="MZ-marks", call_sid=call_sid, custom={"token": token, "report": "turns"}))
        marks: list[str] = []
        media = 0
        deadline = time.monotonic() + 15
        while not marks and time.monotonic() < deadline:
            msg = json.loads(await ws.recv())
            if msg["event"] == "media":
                media += 1
                assert msg["streamSid"] == "MZ-marks"
            elif msg["event"] == "mark":
                marks.append(msg["mark"]["name"])
        assert media > 10, "the greeting did not arrive as media messages"
        assert marks == ["reply-1"]
        await ws.send(json.dumps({"event": "mark", "streamSid": "MZ-marks", "mark": {"name": "reply-1"}}))
        await ws.send(json.dumps({"event": "dtmf", "streamSid": "MZ-marks", "dtmf": {"track": "inbound_track", "digit": "5"}}))
        await ws.send(json.dumps({"event": "stop", "streamSid": "MZ-marks"}))
        report = None
        while report is None:
            msg = json.loads(await ws.recv())
            if msg["event"] == "dialphone.report":
                report = msg
        assert report["stream"]["marks_echoed"] == 1
        assert report["stream"]["dtmf"] == 1
        assert report["stream"]["skipped"] == 0
