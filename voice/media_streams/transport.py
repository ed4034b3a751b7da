"""A Twilio Media Streams call on pipecat's FastAPI WebSocket transport, hardened.

Pipecat's :class:`TwilioFrameSerializer` indexes the message unguarded and logs the payload of a
bad message; :class:`HardenedTwilioSerializer` parses with :mod:`voice.media_streams.protocol`
instead: a malformed message is logged by its fixed reason (never its content) and skipped, and the
call goes on. Inbound audio is held to real time plus a burst (:class:`AudioBudget`), so a peer
that floods media cannot grow the pipeline's queues. Outbound: ``media`` (µ-law 8 kHz), ``clear`` on
barge-in (pipecat's InterruptionFrame) and a ``mark`` after each bot reply. Transfers are not a
stream message (Twilio understands none): they go through the REST API
(:mod:`voice.media_streams.twilio_rest`).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import WebSocket
from pipecat.audio.dtmf.types import KeypadEntry
from pipecat.audio.utils import ulaw_to_pcm
from pipecat.frames.frames import (
    Frame,
    InputAudioRawFrame,
    InputDTMFFrame,
    OutputTransportMessageFrame,
    TTSStoppedFrame,
)
from pipecat.processors.frame_processor import FrameDirection
from pipecat.serializers.twilio import TwilioFrameSerializer
from pipecat.transports.websocket.fastapi import (
    FastAPIWebsocketOutputTransport,
    FastAPIWebsocketParams,
    FastAPIWebsocketTransport,
)

from voice.media_streams.exceptions import MalformedMessage
from voice.media_streams.protocol import (
    PROVIDER_RATE,
    Connected,
    Dtmf,
    Mark,
    Media,
    Start,
    Stop,
    mark_message,
    parse_message,
)

log = logging.getLogger("dialphone.transports.twilio")

LOG_FIRST_MALFORMED = 5  # then one line per LOG_EVERY_MALFORMED, so a flood cannot flood the log
LOG_EVERY_MALFORMED = 100
INBOUND_BATCH_MS = 40  # caller audio joined into frames this long (see HardenedTwilioSerializer)
OUTBOUND_CHUNK_MS = 40  # bot audio sent in media messages this long (Twilio takes any length)


class AudioBudget:
    """Token bucket over inbound audio bytes: real time (``rate`` bytes/s) plus ``burst_s`` seconds.

    The clock starts at the first take: audio that queued while the pipeline started is a backlog
    the burst absorbs, not a flood. 10 s of µ-law is 80 kB; beyond it, audio is dropped."""

    def __init__(self, *, rate: int = PROVIDER_RATE, burst_s: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._cap = rate * burst_s
        self._tokens = self._cap
        self._clock = clock
        self._last: float | None = None

    def take(self, n: int) -> bool:
        now = self._clock()
        if self._last is None:
            self._last = now
        self._tokens = min(self._cap, self._tokens + (now - self._last) * self._rate)
        self._last = now
        if n > self._tokens:
            return False
        self._tokens -= n
        return True


@dataclass
class StreamStats:
    """Counters of one stream; no content."""

    messages: int = 0
    malformed: int = 0
    dropped_audio_bytes: int = 0
    marks_echoed: int = 0
    dtmf: int = 0
    stopped: bool = False
    last_message_at: float = 0.0


class HardenedTwilioSerializer(TwilioFrameSerializer):
    """Twilio Media Streams serializer that skips bad input instead of failing the call."""

    def __init__(
        self,
        *,
        stream_sid: str,
        call_sid: str,
        sample_rate: int,
        tag: str,
        on_stop: Callable[[], None],
        batch_ms: int = 40,
    ) -> None:
        super().__init__(
            stream_sid,
            call_sid,
            params=TwilioFrameSerializer.InputParams(auto_hang_up=False, sample_rate=sample_rate),
        )
        self.stats = StreamStats(last_message_at=time.monotonic())
        # Inbound 20 ms messages are joined into ``batch_ms`` frames: every pipecat frame costs
        # queue hops and observer calls, and the turn processor re-slices into VAD frames anyway.
        self._batch_bytes = sample_rate * 2 * batch_ms // 1000
        self._pending = bytearray()
        self.budget = AudioBudget()
        self._tag = tag
        self._on_stop = on_stop
        self._pcm_rate = sample_rate

    def skipped(self, reason: str) -> None:
        """Count and log one unusable message by reason only (rate-limited)."""
        self.stats.malformed += 1
        n = self.stats.malformed
        if n <= LOG_FIRST_MALFORMED or n % LOG_EVERY_MALFORMED == 0:
            log.warning("media stream %s: skipped a message (%s); %d skipped so far", self._tag, reason, n)

    async def deserialize(self, data: str | bytes) -> Frame | None:
        self.stats.messages += 1
        self.stats.last_message_at = time.monotonic()
        try:
            event = parse_message(data)
            return await self._frame_for(event)
        except MalformedMessage as exc:
            self.skipped(exc.reason)
        except Exception as exc:  # never let one message end the receive loop
            self.skipped(f"internal error {type(exc).__name__}")
        return None

    async def _frame_for(self, event: Any) -> Frame | None:
        if self.stats.stopped:
            raise MalformedMessage("event after stop")
        if isinstance(event, Media):
            if not self.budget.take(len(event.payload)):
                self.stats.dropped_audio_bytes += len(event.payload)
                raise MalformedMessage("audio faster than real time, dropped")
            pcm = await ulaw_to_pcm(event.payload, PROVIDER_RATE, self._pcm_rate, self._input_resampler)
            self._pending += pcm
            if len(self._pending) < self._batch_bytes:
                return None
            audio, self._pending = bytes(self._pending), bytearray()
            return InputAudioRawFrame(audio=audio, num_channels=1, sample_rate=self._pcm_rate)
        if isinstance(event, Dtmf):
            self.stats.dtmf += 1
            return InputDTMFFrame(KeypadEntry(event.digit))
        if isinstance(event, Mark):
            self.stats.marks_echoed += 1
            return None
        if isinstance(event, Stop):
            self.stats.stopped = True
            self._on_stop()
            return None
        if isinstance(event, (Start, Connected)):
            raise MalformedMessage("event out of order")
        return None


class _MarkingOutput(FastAPIWebsocketOutputTransport):
    """Pipecat's WebSocket output plus a ``mark`` after each bot reply, in order with its audio."""

    def __init__(self, *args: Any, stream_sid: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stream_sid = stream_sid
        self._replies = 0

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if isinstance(frame, TTSStoppedFrame) and direction == FrameDirection.DOWNSTREAM:
            self._replies += 1
            mark = json.loads(mark_message(self._stream_sid, f"reply-{self._replies}"))
            await super().process_frame(OutputTransportMessageFrame(message=mark), direction)


class TwilioMediaTransport(FastAPIWebsocketTransport):
    """One media-stream call's transport. The WebSocket is accepted and its ``start`` already read."""

    def __init__(self, websocket: WebSocket, *, start: Start, sample_rate: int, tag: str, on_stop: Callable[[], None]) -> None:
        self.stream_sid = start.stream_sid
        self.serializer = HardenedTwilioSerializer(
            stream_sid=start.stream_sid, call_sid=start.call_sid, sample_rate=sample_rate, tag=tag, on_stop=on_stop,
            batch_ms=INBOUND_BATCH_MS,
        )
        params = FastAPIWebsocketParams(
            audio_in_enabled=True,
            audio_in_sample_rate=sample_rate,
            audio_out_enabled=True,
            audio_out_sample_rate=sample_rate,
            audio_out_10ms_chunks=OUTBOUND_CHUNK_MS // 10,
            audio_out_end_silence_secs=0,
            serializer=self.serializer,
            allowed_origins=[],
            session_timeout=None,
        )
        super().__init__(websocket, params, input_name=f"ws-in-{tag}", output_name=f"ws-out-{tag}")
        self._output = _MarkingOutput(self, self._client, params, stream_sid=start.stream_sid, name=f"ws-out-{tag}")
        self.transfers: list[tuple[str, str]] = []  # confirmed by the REST API (set by the route)

    @property
    def closing(self) -> bool:
        """True once pipecat has started closing the WebSocket (the call's end frame did it)."""
        return bool(self._client.is_closing)

    async def send_event(self, message: dict[str, Any]) -> None:
        """Send one of our own JSON events (the report a replay asked for) on the stream."""
        await self._client.send(json.dumps(message))
