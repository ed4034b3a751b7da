"""A pipecat transport over one call's RTP (G.711 at 8 kHz, 20 ms packets): the SIP calls' media.

    media = RtpSession.open(host=..., clock=clock)                # voice.telephony.media
    transport = RtpTransport(media=media, tag="c1")
    session = new_call(engines=..., transport=transport, kind=Transport.SIP, sample_rate=8000, ...)

In: every 20 ms the media clock plays one frame out of the jitter buffer; it becomes an
``InputAudioRawFrame`` (8 kHz mono). RFC 4733 key presses become ``InputDTMFFrame`` (kept in
:attr:`RtpTransport.digits` for the call's own record; never logged).
Out: bot audio is queued on the session and sent at real-time pace (the writer waits while more
than ``max_queued_frames`` are queued, so the queue stays short and barge-in is quick). On an
``InterruptionFrame`` the queued audio is dropped at once. ``OutputDTMFFrame`` is sent as RFC 4733.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    InterruptionFrame,
    OutputAudioRawFrame,
    OutputDTMFFrame,
    OutputDTMFUrgentFrame,
)
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.transports.base_input import BaseInputTransport
from pipecat.transports.base_output import BaseOutputTransport
from pipecat.transports.base_transport import BaseTransport, TransportParams

from voice.telephony.media import RtpSession

RATE = 8000
_KEYS = {k.value: k for k in KeypadEntry}


class _RtpInput(BaseInputTransport):
    def __init__(self, params: TransportParams, media: RtpSession, owner: RtpTransport, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self._media = media
        self._owner = owner
        self._inbox: asyncio.Queue[Frame] = asyncio.Queue(maxsize=500)  # 10 s of audio at most
        self._pump: asyncio.Task[None] | None = None
        self.ready = False
        media.on_dtmf = self._on_dtmf  # a key pressed before the pipeline runs waits in the inbox

    async def start(self, frame: Any) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)
        self.ready = True
        self._media.on_audio = self._on_audio
        self._pump = self.create_task(self._run(), "rtp-in")

    async def stop(self, frame: Any) -> None:
        await self._halt()
        await super().stop(frame)

    async def cancel(self, frame: Any) -> None:
        await self._halt()
        await super().cancel(frame)

    async def _halt(self) -> None:
        self._media.on_audio = None
        self._media.on_dtmf = None
        if self._pump is not None:
            await self.cancel_task(self._pump)
            self._pump = None

    def _on_audio(self, pcm: bytes) -> None:
        with contextlib.suppress(asyncio.QueueFull):  # a stalled pipeline loses audio, not memory
            self._inbox.put_nowait(InputAudioRawFrame(audio=pcm, sample_rate=RATE, num_channels=1))

    def _on_dtmf(self, digit: str) -> None:
        key = _KEYS.get(digit)
        if key is None:
            return
        self._owner.digits.append(digit)
        with contextlib.suppress(asyncio.QueueFull):
            self._inbox.put_nowait(InputDTMFFrame(button=key))

    async def _run(self) -> None:
        while True:
            frame = await self._inbox.get()
            if isinstance(frame, InputAudioRawFrame):
                await self.push_audio_frame(frame)
            else:
                await self.push_frame(frame)


class _RtpOutput(BaseOutputTransport):
    def __init__(self, params: TransportParams, media: RtpSession, *, max_queued_frames: int, **kwargs: Any) -> None:
        super().__init__(params, **kwargs)
        self._media = media
        self._max_queued = max_queued_frames
        self.interruptions = 0

    async def start(self, frame: Any) -> None:
        await super().start(frame)
        await self.set_transport_ready(frame)

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        if isinstance(frame, InterruptionFrame):
            self.interruptions += 1
            self._media.clear_audio()  # before pipecat's own queues: the line goes quiet now
        await super().process_frame(frame, direction)

    async def write_audio_frame(self, frame: OutputAudioRawFrame) -> bool:
        self._media.queue_audio(frame.audio)
        await self._media.wait_below(self._max_queued)
        return True

    def _supports_native_dtmf(self) -> bool:
        return True

    async def _write_dtmf_native(self, frame: OutputDTMFFrame | OutputDTMFUrgentFrame) -> None:
        for button in frame.buttons or []:
            self._media.send_dtmf(str(button.value))


class RtpTransport(BaseTransport):
    """Bridges one :class:`~voice.telephony.media.RtpSession` and a pipeline (8 kHz)."""

    def __init__(self, *, media: RtpSession, tag: str = "rtp", max_queued_frames: int = 3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.media = media
        self.digits: list[str] = []
        params = TransportParams(
            audio_in_enabled=True,
            audio_in_sample_rate=RATE,
            audio_out_enabled=True,
            audio_out_sample_rate=RATE,
            audio_out_10ms_chunks=2,
            audio_out_end_silence_secs=0,
        )
        self._input = _RtpInput(params, media, self, name=f"rtp-in-{tag}")
        self._output = _RtpOutput(params, media, max_queued_frames=max_queued_frames, name=f"rtp-out-{tag}")

    def input(self) -> FrameProcessor:
        return self._input

    def output(self) -> FrameProcessor:
        return self._output

    @property
    def interruptions(self) -> int:
        return self._output.interruptions
