"""A remote caller over WebRTC (aiortc), as the browser page calls: ``POST /api/offer``, Opus, a data channel.

The caller's 20 ms frames go out through a local audio track (aiortc encodes Opus); the bot's audio
comes back decoded and resampled to the line rate, and :class:`~voice.testing.caller.CallerLine` measures
latency as it arrives. The server streams tokenized turns over the data channel and, after our
``dialphone.hangup``, a final ``dialphone.report``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import time
from typing import Any

import av
import httpx
import numpy as np
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from voice.testing.caller import CallerLine
from voice.testing.remote import at_rate, drive_turns, fill_result
from voice.testing.results import CallResult, expects_reply
from voice.testing.scenarios import Scenario

RATE = 16000
QUEUE_FRAMES = 50  # 1 s of caller audio; older frames are dropped if the sender stalls


def offer_url(server: str) -> str:
    base = server if "://" in server else f"http://{server}"
    return base.rstrip("/") + "/api/offer"


def token_url(server: str) -> str:
    return offer_url(server).removesuffix("/offer") + "/call-token"


class LineTrack(MediaStreamTrack):
    """Outgoing audio: 20 ms PCM frames pushed by the caller line, pulled by aiortc's encoder."""

    kind = "audio"

    def __init__(self, rate: int) -> None:
        super().__init__()
        self.rate = rate
        self._queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=QUEUE_FRAMES)
        self._pts = 0

    async def push(self, pcm16: bytes) -> None:
        if self._queue.full():
            self._queue.get_nowait()
        self._queue.put_nowait(pcm16)

    async def recv(self) -> av.AudioFrame:
        pcm = await self._queue.get()
        samples = np.frombuffer(pcm, dtype="<i2")
        frame = av.AudioFrame.from_ndarray(samples[None, :], format="s16", layout="mono")
        frame.sample_rate = self.rate
        frame.pts = self._pts
        frame.time_base = fractions.Fraction(1, self.rate)
        self._pts += len(samples)
        return frame


class WebRtcCaller:
    def __init__(self, server: str, *, rate: int = RATE) -> None:
        self.url = offer_url(server)
        self.token_url = token_url(server)
        self.rate = rate
        self.track = LineTrack(rate)
        self.line = CallerLine(sample_rate=rate, send=self.track.push)
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.channel = self.pc.createDataChannel("dialphone")
        self.transfers: list[tuple[str, str]] = []
        self.report: dict[str, Any] | None = None
        self.got_report = asyncio.Event()
        self.started_at = 0.0
        self.answer_sdp = ""
        self._tasks: list[asyncio.Task[None]] = []
        self.connected = asyncio.Event()
        self.channel.on("message", self._on_message)
        self.pc.on("track", self._on_track)
        self.pc.on("connectionstatechange", self._on_state)

    def _on_state(self) -> None:
        if self.pc.connectionState == "connected":
            self.connected.set()

    def _on_message(self, raw: str | bytes) -> None:
        try:
            msg = json.loads(raw)
        except ValueError:
            return
        if not isinstance(msg, dict):
            return
        if msg.get("type") == "dialphone.transfer":
            self.transfers.append((str(msg.get("department")), str(msg.get("target"))))
        elif msg.get("type") == "dialphone.report":
            self.report = msg
            self.got_report.set()

    def _on_track(self, track: MediaStreamTrack) -> None:
        if track.kind == "audio":
            self._tasks.append(asyncio.create_task(self._listen(track), name="webrtc-caller-rx"))

    async def _listen(self, track: MediaStreamTrack) -> None:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=self.rate)
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                now = time.monotonic()
                if not isinstance(frame, av.AudioFrame):
                    continue
                for out in resampler.resample(frame):
                    self.line.heard(out.to_ndarray().astype("<i2").tobytes(), now)

    async def open(self) -> None:
        self.pc.addTrack(self.track)
        offer = await self.pc.createOffer()
        await self.pc.setLocalDescription(offer)  # aiortc gathers every host candidate here
        before = time.monotonic()
        async with httpx.AsyncClient(timeout=30) as http:
            grant = await http.post(self.token_url)  # as the browser page does: a call token first
            grant.raise_for_status()
            token = grant.json()["token"]
            res = await http.post(self.url, json={"sdp": self.pc.localDescription.sdp, "type": "offer", "token": token})
        res.raise_for_status()
        self.started_at = (before + time.monotonic()) / 2
        answer = res.json()
        self.answer_sdp = str(answer["sdp"])
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type=answer["type"]))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.connected.wait(), timeout=15)
        if self.pc.connectionState != "connected":
            raise ConnectionError("WebRTC connection not established")
        self.line.start()

    async def finish(self, *, report_timeout_s: float = 5.0) -> None:
        await self.line.stop()
        if self.channel.readyState == "open":
            self.channel.send(json.dumps({"type": "dialphone.hangup"}))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.got_report.wait(), timeout=report_timeout_s)
        for t in self._tasks:
            t.cancel()
        await self.pc.close()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await t


async def replay_webrtc(server: str, scenario: Scenario) -> CallResult:
    """One scenario as one WebRTC call to ``server`` (``http://host:port``)."""
    scenario = at_rate(scenario, RATE)
    call = WebRtcCaller(server)
    result = CallResult(scenario=scenario.name, rate=RATE, expects_reply=expects_reply(scenario.spec))
    await call.open()
    try:
        result.caller_turns = await drive_turns(call.line, scenario)
    finally:
        await call.finish()
    result.transfers = list(call.transfers)
    fill_result(result, call.report, call.line, started_at=call.started_at)
    return result
