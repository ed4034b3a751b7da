"""Malformed-message suite on /media/twilio, with a good call running concurrently.

Every case either keeps its call going (the bad messages are skipped and counted, and ``stop``
still gets the call's report) or closes only its own WebSocket with a code. Meanwhile a real call
completes with its transcript, the server stays up, and memory stays bounded.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from media_server import SECRET, MediaServer, wait_until
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from voice.media_streams.token import sign_stream_token
from voice.testing.remote_ws import replay_ws, start_message
from voice.testing.scenarios import load_scenario

pytestmark = pytest.mark.slow

SILENCE_20MS = base64.b64encode(b"\xff" * 160).decode()


def media(payload: str = SILENCE_20MS) -> str:
    return json.dumps({"event": "media", "streamSid": "MZ", "media": {"track": "inbound", "payload": payload}})


async def open_call(server: MediaServer, tag: str) -> ClientConnection:
    ws = await connect(server.ws, max_size=2**22)
    call_sid = f"CA-{tag}"
    token = sign_stream_token(secret=SECRET, call_sid=call_sid)
    await ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
    await ws.send(start_message(stream_sid=f"MZ-{tag}", call_sid=call_sid, custom={"token": token, "report": "turns"}))
    return ws


async def stop_for_report(ws: ClientConnection) -> dict[str, object]:
    await ws.send(json.dumps({"event": "stop", "streamSid": "MZ"}))
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        msg = json.loads(await asyncio.wait_for(ws.recv(), timeout=15))
        if msg.get("event") == "dialphone.report":
            return dict(msg)
    raise AssertionError("no report after stop")


async def closed_code(ws: ClientConnection) -> int | None:
    try:
        while True:
            await asyncio.wait_for(ws.recv(), timeout=15)
    except ConnectionClosed:
        pass
    return ws.close_code


def skipped_case(messages: list[str | bytes]) -> Callable[[MediaServer, str], Awaitable[None]]:
    """The call gets ``messages`` between good media, skips each one, and goes on to report."""

    async def case(server: MediaServer, tag: str) -> None:
        async with await open_call(server, tag) as ws:
            for m in messages:
                await ws.send(media())
                await ws.send(m)
            await ws.send(media())
            report = await stop_for_report(ws)
            stream = report["stream"]
            assert isinstance(stream, dict)
            assert stream["skipped"] == len(messages), stream

    return case


async def huge_frame(server: MediaServer, tag: str) -> None:
    async with await open_call(server, tag) as ws:
        await ws.send(media("A" * 200_000))
        assert await closed_code(ws) == 1009


async def abrupt_close_mid_call(server: MediaServer, tag: str) -> None:
    ws = await open_call(server, tag)
    for _ in range(25):
        await ws.send(media())
    ws.transport.abort()


async def abrupt_close_before_start(server: MediaServer, tag: str) -> None:
    ws = await connect(server.ws)
    await ws.send(json.dumps({"event": "connected"}))
    ws.transport.abort()


async def out_of_order_before_start(server: MediaServer, tag: str) -> None:
    """Media, DTMF, a mark and a binary frame before ``start`` are skipped; the call then starts."""
    ws = await connect(server.ws)
    async with ws:
        await ws.send(media())
        await ws.send(json.dumps({"event": "dtmf", "dtmf": {"digit": "1"}}))
        await ws.send(json.dumps({"event": "mark", "mark": {"name": "x"}}))
        await ws.send(b"\x00\x01binary")
        await ws.send("{not json")
        await ws.send(json.dumps({"event": "start", "start": {"streamSid": "MZ"}}))  # no callSid
        call_sid = f"CA-{tag}"
        token = sign_stream_token(secret=SECRET, call_sid=call_sid)
        await ws.send(start_message(stream_sid=f"MZ-{tag}", call_sid=call_sid, custom={"token": token, "report": "turns"}))
        report = await stop_for_report(ws)
        assert report["type"] == "dialphone.report"


async def flood_faster_than_real_time(server: MediaServer, tag: str) -> None:
    """30 s of audio sent as fast as possible: beyond the 10 s burst it is dropped, not queued."""
    async with await open_call(server, tag) as ws:
        for _ in range(1500):
            await ws.send(media())
        report = await stop_for_report(ws)
        stream = report["stream"]
        assert isinstance(stream, dict)
        assert int(stream["dropped_audio_bytes"]) >= 160 * 400, stream


CASES: dict[str, Callable[[MediaServer, str], Awaitable[None]]] = {
    "invalid-json": skipped_case(["{", "not json", '{"event": ', "\u0000\u0001", "[" * 5000]),
    "missing-fields": skipped_case(
        [
            '{"event": "media"}',
            '{"event": "media", "media": {}}',
            '{"event": "media", "media": {"payload": 5}}',
            '{"event": "media", "media": {"payload": ""}}',
            '{"event": "dtmf", "dtmf": {}}',
            '{"event": "dtmf", "dtmf": {"digit": "A"}}',
            '{"event": "mark"}',
            "{}",
            "[]",
            "null",
            '{"event": 7}',
            '{"event": "bogus"}',
        ]
    ),
    "bad-base64": skipped_case([media("@@@not base64!!"), media("YWJ"), media("é")]),
    "oversized-payload": skipped_case([media(base64.b64encode(b"\xff" * 5000).decode()), "x" * 30_000]),
    "out-of-order-in-call": skipped_case(
        [
            start_message(stream_sid="MZ2", call_sid="CA2", custom={}),
            json.dumps({"event": "connected"}),
        ]
    ),
    "binary-frames": skipped_case([b"\x00" * 10, b"\xff" * 160, b"{}"]),
    "out-of-order-before-start": out_of_order_before_start,
    "huge-frame": huge_frame,
    "abrupt-close-mid-call": abrupt_close_mid_call,
    "abrupt-close-before-start": abrupt_close_before_start,
    "flood": flood_faster_than_real_time,
}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def healthy(server: MediaServer) -> bool:
    with urllib.request.urlopen(f"{server.http}/healthz", timeout=5) as r:
        return bool(r.status == 200)


async def test_malformed_messages_never_hurt_the_server_or_other_calls(
    media_server: MediaServer, fixtures_dir: Path
) -> None:
    before = rss_mb()

    async def suite() -> dict[str, str]:
        failures: dict[str, str] = {}
        await asyncio.sleep(1.0)  # the good call is up first
        for name, case in CASES.items():
            try:
                await asyncio.wait_for(case(media_server, name), timeout=30)
            except Exception as exc:  # collect every case's outcome, then assert on all
                failures[name] = f"{type(exc).__name__}: {exc}"
            if not media_server.alive():
                failures[name] = "server thread died"
                break
        return failures

    good, failures = await asyncio.gather(
        replay_ws(media_server.ws, load_scenario(fixtures_dir / "billing_8k.yaml"), secret=SECRET),
        suite(),
    )
    assert failures == {}, f"{len(CASES) - len(failures)}/{len(CASES)} cases passed: {failures}"
    assert good.rows and good.rows[0].caller.strip(), "the concurrent good call lost its transcript"
    assert good.rows[0].latency_ms is not None
    assert "asr.transcribed" in good.events
    assert media_server.alive() and healthy(media_server)
    assert wait_until(lambda: media_server.active_calls() == 0, timeout_s=15), "a call outlived its stream"
    growth = rss_mb() - before
    assert growth < 150, f"resident memory grew by {growth:.0f} MB over the suite"
