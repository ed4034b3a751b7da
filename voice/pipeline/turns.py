"""End-of-turn detection and speech recognition in one processor, tuned for latency.

Audio frames in; out come ``UserStartedSpeakingFrame`` (with an interruption, for barge-in), one
final ``TranscriptionFrame`` per caller turn, then ``UserStoppedSpeakingFrame``. Interim text never
leaves this processor. Decoding starts speculatively at the first pause (``spec_ms`` of silence);
when the pause reaches ``stop_ms`` and no speech came back, that result is used, so ASR time overlaps
the endpointing wait. Recognition goes through the process's one ASR queue
(:class:`voice.asr.AsrBatcher`, shared by every call): a final decode queues by its deadline and may
be batched with other calls' decodes; a speculative decode starts only when it costs nobody anything
(nothing waits and a lane is idle), is dropped from the queue when the caller speaks again, and
becomes the turn's final decode (promoted in the queue) when the turn ends on the same audio. The
speculative result is this call's own: nothing is shared with another call.

A caller who speaks again while the bot talks, or while the reply to their last turn is still being
prepared (they only paused), interrupts it. Speech that resumes within ``resume_ms`` of the last
turn's end continues that turn: its transcript is marked ``continues`` and the redaction stage hands
the brain both parts as one request. :meth:`TurnProcessor.quiet_for` tells the concierge
whether the caller stayed quiet after their last words, counted in audio, not wall-clock time.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

import numpy as np
from pipecat.frames.frames import (
    BotStartedSpeakingFrame,
    BotStoppedSpeakingFrame,
    Frame,
    InputAudioRawFrame,
    TranscriptionFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor

from voice.audio import from_int16_bytes, resample
from voice.pipeline.vad import WebRtcVADAnalyzer

ASR_RATE = 16000
REPLY_PENDING_S = 2.0  # longer than any reply takes to start; a turn without a spoken reply expires


class AsrQueue(Protocol):
    """The process's ASR queue as a call sees it (:class:`voice.asr.AsrBatcher`)."""

    def submit(self, pcm16k: np.ndarray, *, speculative: bool = False, since: float | None = None) -> Future[Any]: ...

    def promote(self, future: Future[Any], *, since: float | None = None) -> None: ...

    def cancel(self, future: Future[Any]) -> bool: ...

    def accepts_speculation(self) -> bool: ...


class _State(Enum):
    QUIET = "quiet"
    SPEAKING = "speaking"


@dataclass
class TurnTiming:
    """Per-turn figures for the latency breakdown (milliseconds)."""

    speech_ms: float = 0.0
    endpoint_wait_ms: float = 0.0
    asr_ms: float = 0.0  # the decode itself (its batch's time)
    asr_wait_ms: float = 0.0  # end of turn to transcript: what the caller waited for ASR
    asr_queue_ms: float = 0.0  # of that, waiting in the shared queue for a lane
    asr_batch: int = 0  # utterances decoded together with this one
    speculative_hit: bool = False
    ended_at: float = 0.0
    continues: bool = False  # the caller only paused: this turn finishes the one before it


class TurnProcessor(FrameProcessor):
    """VAD endpointing plus (speculative) ASR; emits one final transcript per caller turn."""

    def __init__(
        self,
        *,
        vad: WebRtcVADAnalyzer,
        asr: AsrQueue,
        sample_rate: int,
        start_ms: int = 60,
        stop_ms: int = 200,
        spec_ms: int = 100,
        resume_ms: int = 800,
        preroll_ms: int = 300,
        max_turn_s: float = 15.0,
        on_turn: Callable[[TurnTiming], None] | None = None,
        can_interrupt: Callable[[], bool] | None = None,
        user_id: str = "caller",
        resume_ms_now: Callable[[], int] | None = None,
        **kwargs: Any,
    ) -> None:
        """``resume_ms_now``, when given, says how long a pause may be right now for speech after it to
        continue the turn (longer while the caller is still giving a number)."""
        super().__init__(**kwargs)
        self._vad = vad
        self._vad.set_sample_rate(sample_rate)
        self._asr = asr
        self._rate = sample_rate
        self._frame_bytes = int(sample_rate * vad.frame_ms / 1000) * 2
        self._start_frames = max(1, start_ms // vad.frame_ms)
        self._stop_frames = max(1, stop_ms // vad.frame_ms)
        self._spec_frames = max(1, min(spec_ms, stop_ms) // vad.frame_ms)
        self._max_frames = int(max_turn_s * 1000 / vad.frame_ms)
        self._resume_frames = resume_ms // vad.frame_ms
        self._resume_ms_now = resume_ms_now
        self._preroll: deque[bytes] = deque(maxlen=max(1, preroll_ms // vad.frame_ms))
        self._on_turn = on_turn
        self._can_interrupt = can_interrupt or (lambda: True)
        self._user_id = user_id
        self._buf = b""
        self._state = _State.QUIET
        self._voiced = 0
        self._silent = 0
        self._turn: list[bytes] = []
        self._turn_frames_at_spec = 0
        self._spec: Future[Any] | None = None
        self._bot_speaking = False
        self._reply_pending_at = 0.0  # a turn went out and its reply has not started playing yet
        self._last_voiced_frame = 0
        self._had_turn = False
        self._continues = False
        self._quiet_waiters: list[tuple[int, asyncio.Future[bool]]] = []
        self._speech_started_at = 0.0
        self._frames_seen = 0
        self._turn_start_frame = 0
        self.asr_invocations = 0
        self.muted = False  # secure keypad capture: the caller's audio goes nowhere, ASR included

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, InputAudioRawFrame):
            if self.muted:
                self._buf = b""
                return
            await self._on_audio(frame.audio)
            return
        if isinstance(frame, BotStartedSpeakingFrame):
            self._bot_speaking = True
            self._reply_pending_at = 0.0
        elif isinstance(frame, BotStoppedSpeakingFrame):
            self._bot_speaking = False
        await self.push_frame(frame, direction)

    async def _on_audio(self, data: bytes) -> None:
        self._buf += data
        while len(self._buf) >= self._frame_bytes:
            chunk, self._buf = self._buf[: self._frame_bytes], self._buf[self._frame_bytes :]
            await self._on_vad_frame(chunk, self._vad.is_speech(chunk))

    def _reply_pending(self) -> bool:
        return bool(self._reply_pending_at) and time.monotonic() - self._reply_pending_at < REPLY_PENDING_S

    async def quiet_for(self, seconds: float) -> bool:
        """True once ``seconds`` of audio after the caller's last words held no new speech; False as
        soon as they speak again. If audio stops arriving, a quiet line after that long counts as quiet."""
        if self._state is _State.SPEAKING:
            return False
        target = self._last_voiced_frame + math.ceil(seconds * 1000 / self._vad.frame_ms)
        if self._frames_seen >= target:
            return True
        waiter: tuple[int, asyncio.Future[bool]] = (target, asyncio.get_running_loop().create_future())
        self._quiet_waiters.append(waiter)
        try:
            return await asyncio.wait_for(asyncio.shield(waiter[1]), timeout=seconds + 0.5)
        except TimeoutError:
            return self._state is _State.QUIET
        finally:
            self._quiet_waiters.remove(waiter)

    def _wake_quiet_waiters(self) -> None:
        for target, fut in self._quiet_waiters:
            if fut.done():
                continue
            if self._state is _State.SPEAKING:
                fut.set_result(False)
            elif self._frames_seen >= target:
                fut.set_result(True)

    async def _on_vad_frame(self, chunk: bytes, speech: bool) -> None:
        self._frames_seen += 1
        if self._quiet_waiters:
            self._wake_quiet_waiters()
        if self._state is _State.QUIET:
            self._preroll.append(chunk)
            self._voiced = self._voiced + 1 if speech else 0
            if self._voiced >= self._start_frames:
                self._state = _State.SPEAKING
                self._turn = list(self._preroll)
                self._turn_start_frame = self._frames_seen - len(self._turn)
                self._preroll.clear()
                self._silent = 0
                self._speech_started_at = time.monotonic()
                self._wake_quiet_waiters()
                gap = self._frames_seen - self._voiced - self._last_voiced_frame
                resume = self._resume_frames if self._resume_ms_now is None \
                    else self._resume_ms_now() // self._vad.frame_ms
                self._continues = self._had_turn and gap <= resume and self._can_interrupt()
                if (self._bot_speaking or self._reply_pending()) and self._can_interrupt():
                    self._reply_pending_at = 0.0
                    await self.broadcast_interruption()
                await self.push_frame(UserStartedSpeakingFrame())
            return
        self._turn.append(chunk)
        if speech:
            self._silent = 0
            if self._spec is not None:  # speech resumed: the guess no longer covers the turn
                self._asr.cancel(self._spec)
                self._spec = None
            return
        self._silent += 1
        # A speculative decode only when it costs nobody anything: with a final decode waiting or
        # every lane busy it would only delay some caller's final decode.
        if self._silent == self._spec_frames and self._spec is None and self._asr.accepts_speculation():
            self._turn_frames_at_spec = len(self._turn)
            self.asr_invocations += 1
            self._spec = self._asr.submit(self._turn_audio(), speculative=True)
        if self._silent >= self._stop_frames or len(self._turn) >= self._max_frames:
            await self._end_turn()

    def _turn_audio(self) -> np.ndarray:
        # Drop the trailing silence after the last voiced frame: it only costs encoder time.
        keep = len(self._turn) - max(0, self._silent - 3)
        pcm = from_int16_bytes(b"".join(self._turn[:keep]))
        return resample(pcm, self._rate, ASR_RATE)


    async def _end_turn(self) -> None:
        ended = time.monotonic()
        span = {
            "audio_start_ms": self._turn_start_frame * self._vad.frame_ms,
            "audio_end_ms": (self._frames_seen - self._silent) * self._vad.frame_ms,
            "continues": self._continues,
        }
        timing = TurnTiming(
            speech_ms=len(self._turn) * self._vad.frame_ms,
            endpoint_wait_ms=self._silent * self._vad.frame_ms,
            ended_at=ended,
            continues=self._continues,
        )
        spec = self._spec
        if spec is not None and self._turn_frames_at_spec >= len(self._turn) - self._silent:
            timing.speculative_hit = True
            fut = spec
            self._asr.promote(spec, since=ended)  # the caller waits for it now
        else:
            if spec is not None:
                self._asr.cancel(spec)
            self.asr_invocations += 1
            fut = self._asr.submit(self._turn_audio(), since=ended)
        self._state = _State.QUIET
        self._last_voiced_frame = self._frames_seen - self._silent
        self._turn, self._spec, self._voiced, self._silent = [], None, 0, 0
        result = await asyncio.wrap_future(fut)
        text = (result if isinstance(result, str) else str(getattr(result, "text", ""))).strip()
        self._had_turn = bool(text)  # only a turn that reached the brain can be continued
        _queue_figures(timing, fut, ended)
        timing.asr_wait_ms = (time.monotonic() - ended) * 1000
        if text:
            self._reply_pending_at = time.monotonic()
            await self.push_frame(
                TranscriptionFrame(
                    text=text, user_id=self._user_id, timestamp=_iso_now(), finalized=True, result=span
                )
            )
        await self.push_frame(UserStoppedSpeakingFrame())
        if self._on_turn is not None:
            self._on_turn(timing)


def _queue_figures(timing: TurnTiming, fut: Future[Any], ended: float) -> None:
    """Decode time, queue wait after the end of the turn, and batch size, from the queue's request."""
    req = getattr(fut, "request", None)
    started, finished = getattr(req, "started", 0.0), getattr(req, "finished", 0.0)
    if started and finished:
        timing.asr_ms = (finished - started) * 1000
        timing.asr_queue_ms = max(0.0, started - ended) * 1000
        timing.asr_batch = int(getattr(req, "batch", 0))


def _iso_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
