"""A simulated caller on a line: streams 20 ms frames continuously, listens, measures latency.

The line always carries audio (speech when a turn is queued, silence otherwise), as a phone line
does, so the server's endpointing sees real silence after each turn. Voice-to-voice latency is
measured here, at the caller's side: from the last voiced frame sent to the first non-silent frame
of the reply received.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import numpy as np
import webrtcvad

FRAME_MS = 20
SILENCE_PEAK = 600  # int16 peak below which a received frame counts as silence


@dataclass
class TurnResult:
    index: int
    last_voiced_at: float = 0.0
    reply_onset_at: float = 0.0
    barge_in: bool = False

    @property
    def latency_ms(self) -> float | None:
        if not self.last_voiced_at or not self.reply_onset_at:
            return None
        return (self.reply_onset_at - self.last_voiced_at) * 1000


@dataclass
class Heard:
    times: list[float] = field(default_factory=list)
    loud: list[bool] = field(default_factory=list)
    pcm: list[bytes] = field(default_factory=list)

    def add(self, t: float, pcm: bytes) -> None:
        samples = np.frombuffer(pcm, dtype="<i2")
        self.times.append(t)
        self.loud.append(bool(len(samples)) and int(np.abs(samples.astype(np.int32)).max()) > SILENCE_PEAK)
        self.pcm.append(pcm)

    def onset_after(self, t: float) -> float | None:
        for when, loud in zip(self.times, self.loud, strict=True):
            if when > t and loud:
                return when
        return None

    def last_loud(self) -> float:
        for when, loud in zip(reversed(self.times), reversed(self.loud), strict=True):
            if loud:
                return when
        return 0.0


class CallerLine:
    """Sends audio through ``send(pcm)``; received audio is reported to :meth:`heard`."""

    def __init__(self, *, sample_rate: int, send: Callable[[bytes], Awaitable[None]], fast: bool = False) -> None:
        self.rate = sample_rate
        self._send = send
        self._fast = fast
        self._frame_bytes = sample_rate * FRAME_MS // 1000 * 2
        self._queue: deque[tuple[bytes, bool]] = deque()
        self._vad = webrtcvad.Vad(3)
        self.received = Heard()
        self.last_voiced_at = 0.0
        self.sending_speech = False
        self._task: asyncio.Task[None] | None = None
        self._running = False

    def heard(self, pcm: bytes, t: float | None = None) -> None:
        self.received.add(time.monotonic() if t is None else t, pcm)

    def start(self) -> None:
        self._running = True
        self._task = asyncio.create_task(self._run(), name="caller-line")

    async def stop(self) -> None:
        self._running = False
        if self._task is not None:
            await asyncio.wait_for(self._task, timeout=5)

    def say(self, pcm16: bytes) -> None:
        """Queue speech (int16 bytes at the line rate); it goes out frame by frame."""
        for i in range(0, len(pcm16), self._frame_bytes):
            chunk = pcm16[i : i + self._frame_bytes]
            if len(chunk) < self._frame_bytes:
                chunk += b"\x00" * (self._frame_bytes - len(chunk))
            self._queue.append((chunk, True))

    async def drained(self) -> None:
        while self._queue:  # noqa: ASYNC110 - the line task drains it at frame pace
            await asyncio.sleep(FRAME_MS / 1000)

    async def _run(self) -> None:
        silence = b"\x00" * self._frame_bytes
        next_at = time.monotonic()
        while self._running:
            speech = bool(self._queue)
            chunk = self._queue.popleft()[0] if speech else silence
            self.sending_speech = speech
            await self._send(chunk)
            if speech and self._vad.is_speech(chunk, self.rate):
                self.last_voiced_at = time.monotonic()
            next_at += FRAME_MS / 1000
            if self._fast and speech:
                next_at = time.monotonic()
                await asyncio.sleep(0)
                continue
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))

    async def wait_reply_done(self, *, since: float, quiet_s: float = 1.2, timeout_s: float = 10.0) -> float | None:
        """Wait until a reply started after ``since`` and then went quiet; return its onset."""
        deadline = time.monotonic() + timeout_s
        onset: float | None = None
        while time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            if onset is None:
                onset = self.received.onset_after(since)
                continue
            if time.monotonic() - max(self.received.last_loud(), onset) >= quiet_s:
                return onset
        return onset

    async def wait_onset(self, *, since: float, timeout_s: float = 10.0) -> float | None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            onset = self.received.onset_after(since)
            if onset is not None:
                return onset
            await asyncio.sleep(0.01)
        return None
