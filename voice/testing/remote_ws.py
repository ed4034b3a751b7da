"""A remote caller over a Twilio-style WebSocket media stream (what a CPaaS provider would send).

It speaks the provider's side of the protocol: ``connected``, ``start`` with a signed single-use
token (over the call SID and the ``caller`` parameter) in the custom parameters, ``media`` (base64
µ-law, 20 ms), echoes each ``mark`` as a player would once the audio before it has played, and
``stop`` at the end. The token secret comes from the argument, else as the server finds it
(:func:`media_stream_secret`: ``DIALPHONE_SECURITY__MEDIA_STREAM_SECRET``, else the workspace YAML's
``security.media_stream_secret``). A refused stream raises :class:`ReplayError`. With
``auth_token`` it signs the upgrade with ``X-Twilio-Signature`` as Twilio does. Transfers do not travel
on the stream: the server makes them through Twilio's REST API; the call's report lists the ones the
API confirmed.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from concierge.config import load_workspace
from voice.media_streams.token import sign_stream_token
from voice.rtp.g711 import ulaw_decode, ulaw_encode
from voice.testing.caller import CallerLine
from voice.testing.exceptions import ReplayError
from voice.testing.remote import at_rate, drive_turns, fill_result
from voice.testing.results import CallResult, expects_reply
from voice.testing.scenarios import Scenario

RATE = 8000
SECRET_ENV = "DIALPHONE_SECURITY__MEDIA_STREAM_SECRET"
SECRET_ENVS = (SECRET_ENV, "DIALPHONE_MEDIA_STREAM_SECRET")  # the server's settings read both
#: Close codes of a stream the server would not take (voice.media_streams.websocket).
_REFUSALS = {1008: "refused the stream token (close 1008): sign it with the server's media-stream secret: "
                   "--config with the server's workspace, or " + SECRET_ENV,
             1013: "did not take the call now (close 1013: not ready, at capacity or overloaded); try again"}


def media_stream_secret(config: str | None = None) -> str:
    """The secret a stream token is signed with, as the server finds it: the environment
    (``DIALPHONE_SECURITY__MEDIA_STREAM_SECRET`` or ``DIALPHONE_MEDIA_STREAM_SECRET``), else the
    workspace YAML ``config`` (``security.media_stream_secret``); "" when neither has one."""
    for name in SECRET_ENVS:
        if os.environ.get(name):
            return os.environ[name]
    if config:
        return load_workspace(config).security.media_stream_secret or ""
    return ""


def media_url(server: str) -> str:
    """``http://h:p`` / ``ws://h:p`` / ``h:p`` (with or without a path) -> ``ws://h:p/media/twilio``."""
    url = server if "://" in server else f"ws://{server}"
    url = url.replace("https://", "wss://", 1).replace("http://", "ws://", 1)
    scheme, rest = url.split("://", 1)
    host, _, path = rest.partition("/")
    return f"{scheme}://{host}/{path or 'media/twilio'}"


def start_message(*, stream_sid: str, call_sid: str, custom: dict[str, str]) -> str:
    return json.dumps(
        {
            "event": "start",
            "sequenceNumber": "1",
            "streamSid": stream_sid,
            "start": {
                "accountSid": "AC" + "0" * 32,
                "streamSid": stream_sid,
                "callSid": call_sid,
                "tracks": ["inbound"],
                "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": RATE, "channels": 1},
                "customParameters": custom,
            },
        }
    )


@dataclass
class WsPeer:
    """What the provider side received: transfers, marks, clears, the final report, close code."""

    transfers: list[tuple[str, str]] = field(default_factory=list)
    marks: list[str] = field(default_factory=list)
    clears: int = 0
    report: dict[str, Any] | None = None
    close_code: int | None = None
    got_report: asyncio.Event = field(default_factory=asyncio.Event)


class MediaStreamCaller:
    """One provider-side media stream. Use :meth:`open`, then :attr:`line`, then :meth:`finish`."""

    def __init__(self, server: str, *, secret: str | None = None, caller: str | None = None, report: bool = True,
                 auth_token: str | None = None, call_sid: str | None = None) -> None:
        self.url = media_url(server)
        self.secret = secret or media_stream_secret()
        self.auth_token = auth_token
        self.stream_sid = "MZ" + uuid.uuid4().hex
        self.call_sid = call_sid or "CA" + uuid.uuid4().hex
        self.caller = caller
        self.report = report
        self.peer = WsPeer()
        self.line = CallerLine(sample_rate=RATE, send=self.send_pcm)
        self._ws: ClientConnection | None = None
        self._rx: asyncio.Task[None] | None = None
        self._chunk = 0
        self.started_at = 0.0

    async def open(self) -> None:
        if not self.secret:
            raise ReplayError(f"no media-stream secret: pass --config with the server's workspace or set {SECRET_ENV}")
        # No permessage-deflate: base64 µ-law barely compresses, and zlib costs CPU per 20 ms frame.
        headers = {}
        if self.auth_token:
            headers["X-Twilio-Signature"] = RequestValidator(self.auth_token).compute_signature(self.url, {})
        self._ws = await connect(self.url, max_size=2**20, open_timeout=10, compression=None,
                                 additional_headers=headers)
        custom = {"token": sign_stream_token(secret=self.secret, call_sid=self.call_sid, caller=self.caller or "")}
        if self.report:
            custom["report"] = "turns"
        if self.caller:
            custom["caller"] = self.caller
        await self._ws.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
        self.started_at = time.monotonic()
        await self._ws.send(start_message(stream_sid=self.stream_sid, call_sid=self.call_sid, custom=custom))
        self._rx = asyncio.create_task(self._receive(), name="ws-caller-rx")
        self.line.start()

    async def send_pcm(self, pcm16: bytes) -> None:
        if self._ws is None:
            return
        self._chunk += 1
        payload = base64.b64encode(ulaw_encode(np.frombuffer(pcm16, dtype="<i2"))).decode()
        msg = {"event": "media", "streamSid": self.stream_sid,
               "media": {"track": "inbound", "chunk": str(self._chunk), "payload": payload}}
        with contextlib.suppress(Exception):  # a closed stream ends the call; the line keeps its clock
            await self._ws.send(json.dumps(msg))

    async def _receive(self) -> None:
        assert self._ws is not None
        try:
            async for raw in self._ws:
                msg = json.loads(raw)
                event = msg.get("event")
                if event == "media":
                    pcm = ulaw_decode(base64.b64decode(msg["media"]["payload"])).astype("<i2").tobytes()
                    self.line.heard(pcm, time.monotonic())
                elif event == "mark":
                    name = str(msg["mark"]["name"])
                    self.peer.marks.append(name)
                    await self._ws.send(json.dumps({"event": "mark", "streamSid": self.stream_sid, "mark": {"name": name}}))
                elif event == "clear":
                    self.peer.clears += 1
                elif event == "dialphone.transfer":
                    self.peer.transfers.append((str(msg["department"]), str(msg["target"])))
                elif event == "dialphone.report":
                    self.peer.report = msg
                    self.peer.got_report.set()
        except Exception:
            pass
        finally:
            self.peer.close_code = self._ws.close_code

    async def finish(self, *, report_timeout_s: float = 15.0) -> None:
        """Stop the line, send ``stop``, wait for the report and the server's close."""
        await self.line.stop()
        if self._ws is None:
            return
        with contextlib.suppress(Exception):
            await self._ws.send(json.dumps({"event": "stop", "streamSid": self.stream_sid, "stop": {"callSid": self.call_sid}}))
        if self.report and self.peer.close_code is None:  # a closed stream sends no report
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.peer.got_report.wait(), timeout=report_timeout_s)
        if self._rx is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._rx), timeout=report_timeout_s)
        await self._ws.close()
        if self._rx is not None:
            await self._rx


async def replay_ws(server: str, scenario: Scenario, *, secret: str | None = None, auth_token: str | None = None,
                    caller: str | None = None) -> CallResult:
    """One scenario as one media-stream call; the per-turn rows come from the server's report.
    A stream the server refuses or cannot be reached raises :class:`ReplayError`."""
    scenario = at_rate(scenario, RATE)
    call = MediaStreamCaller(server, secret=secret, auth_token=auth_token, caller=caller)
    result = CallResult(scenario=scenario.name, rate=RATE, expects_reply=expects_reply(scenario.spec))
    try:
        await call.open()
    except ConnectionClosed as exc:
        code = exc.rcvd.code if exc.rcvd is not None else None
        await call.finish(report_timeout_s=1.0)
        raise ReplayError(f"{call.url}: the server {_REFUSALS.get(code or 0, f'closed the stream ({code})')}") from None
    except InvalidStatus as exc:
        raise ReplayError(f"{call.url}: the server refused the upgrade (HTTP {exc.response.status_code}); "
                          "is it a dialphone server, and does X-Twilio-Signature match?") from None
    except (OSError, TimeoutError) as exc:
        raise ReplayError(f"{call.url}: cannot connect ({type(exc).__name__}); is dialphone serve running there?") from None
    try:
        # the server's first audio (the greeting), or its close when it refuses the stream
        while not call.line.received.times and call.peer.close_code is None:
            if time.monotonic() - call.started_at > 10.0:
                break
            await asyncio.sleep(0.02)
        if call.peer.close_code is None:
            result.caller_turns = await drive_turns(call.line, scenario)
    finally:
        await call.finish()
    report = call.peer.report
    if report is None and call.peer.close_code in _REFUSALS:
        raise ReplayError(f"{call.url}: the server {_REFUSALS[call.peer.close_code]}")
    result.transfers = [(str(d), str(t)) for d, t in (report or {}).get("transfers", [])]
    fill_result(result, report, call.line, started_at=call.started_at)
    return result
