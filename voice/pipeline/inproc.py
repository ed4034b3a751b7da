"""An in-process transport: a replay harness or a test plays caller audio in and records the reply.

The input side takes 16-bit PCM frames from :meth:`InprocTransport.feed`; the output side plays the
bot's audio at real-time pace (like a phone line would) and records each frame with its monotonic
arrival time, so latency is measured where a caller would hear it. Transfers are recorded too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.frames.frames import (
    InputAudioRawFrame,
    InputDTMFFrame,
    OutputAudioRawFrame,
    TranscriptionFrame,
    UserStartedSpeakingFrame,
    UserStoppedSpeakingFrame,
)
from pipecat.processors.frame_processor import FrameProcessor
from pipecat.transports.base_input import BaseInputTransport
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import BaseTransport, TransportParams


@dataclass
class HeardFrame:
    t: float
    pcm: bytes


@dataclass
class Recording:
    """What the caller's side received."""

    sample_rate: int
    frames: list[HeardFrame] = field(default_factory=list)
    transfers: list[tuple[str, str]] = field(default_factory=list)
    hangups: list[str] = field(default_factory=list)
    listener: Callable[[bytes, float], None] | None = None


class _Input(BaseInputTransport):
    def __init__(self, params: TransportParams, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self.ready = asyncio.Event()

    async def start(self, frame: Any) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)
        self.ready.set()


class _Output(BaseOutputTransport):
    def __init__(self, params: TransportParams, recording: Recording, *, paced: bool = True, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self._recording = recording
        self._paced = paced
        self._next_send = 0.0

    async def start(self, frame: Any) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        now = time.monotonic()
        self._recording.frames.append(HeardFrame(now, frame.audio))
        if self._recording.listener is not None:
            self._recording.listener(frame.audio, now)
        if not self._paced:
            return True
        interval = len(frame.audio) / 2 / frame.sample_rate
        delay = max(0.0, self._next_send - now)
        await asyncio.sleep(delay)
        self._next_send = (time.monotonic() if delay == 0 else self._next_send) + interval
        return True


class InprocTransport(BaseTransport):
    """Caller audio in through :meth:`feed`; bot audio out into :attr:`recording`."""

    def __init__(self, *, sample_rate: int = 16000, paced: bool = True, **kwargs: Any) -> None:
        """``paced=False`` takes the bot's audio as fast as it comes (text-level evaluations)."""
        super().__init__(**kwargs)
        self.sample_rate = sample_rate
        self.recording = Recording(sample_rate=sample_rate)
        params = TransportParams(
            audio_in_enabled=True,
            audio_in_sample_rate=sample_rate,
            audio_out_enabled=True,
            audio_out_sample_rate=sample_rate,
            audio_out_10ms_chunks=2,
            audio_out_end_silence_secs=0,
        )
        self._input = _Input(params, name="inproc-in")
        self._output = _Output(params, self.recording, paced=paced, name="inproc-out")

    def input(self) -> FrameProcessor:
        return self._input

    def output(self) -> FrameProcessor:
        return self._output

    async def feed(self, pcm: bytes) -> None:
        """Caller audio in; waits until the pipeline has started (a line connects before audio flows)."""
        if not self._input.ready.is_set():
            await asyncio.wait_for(self._input.ready.wait(), timeout=30)
        await self._input.push_audio_frame(
            InputAudioRawFrame(audio=pcm, sample_rate=self.sample_rate, num_channels=1)
        )

    async def press(self, digit: str) -> None:
        await self._input.push_frame(InputDTMFFrame(button=KeypadEntry(digit)))

    async def say(self, text: str, *, continues: bool = False) -> None:
        """A final transcript as the turn processor would emit it (text-level evaluations and tests
        that start at the privacy boundary): user turn start, transcript, user turn end."""
        if not self._input.ready.is_set():
            await asyncio.wait_for(self._input.ready.wait(), timeout=30)
        await self._input.push_frame(UserStartedSpeakingFrame())
        await self._input.push_frame(TranscriptionFrame(text=text, user_id="caller", timestamp="", finalized=True,
                                                        result={"continues": continues}))
        await self._input.push_frame(UserStoppedSpeakingFrame())
