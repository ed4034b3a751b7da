"""A bounded playout (jitter) buffer for one G.711 stream.

The network side calls ``put(packet)`` whenever audio RTP arrives; the playout clock calls
``get()`` once per frame (every 20 ms) and always gets a frame of 16-bit PCM at 8 kHz::

    jb = JitterBuffer(codec="PCMU", prefetch=3, capacity=50)
    jb.put(packet)                         # False: dropped (late, duplicate, not audio)
    frame = jb.get()                       # PlayoutFrame(pcm, kind, sequence)
    jb.ready()                             # True: the next frame is here (play it on arrival)

* Reordering: packets are ordered by (wrapping) sequence number within ``capacity`` frames.
* Start: silence until ``prefetch`` frames are buffered (the initial delay).
* Loss: a missing frame is concealed by repeating the last frame, attenuated a little more
  each time, for up to ``max_conceal`` frames; then comfort noise.
* Late packets (their slot already played or concealed) are dropped.
* Bounded: at most ``capacity`` packets held; when the depth grows past ``max_depth`` (a burst
  after a stall) the oldest frames are skipped so latency stays bounded.
* A sequence jump of ``capacity`` or more (a new source) resynchronises the buffer.
Telephone-events share the sequence space: ``put(packet, audio=False)`` holds their slot as
silence (FrameKind.EVENT) so the audio around a key press is not taken as lost.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voice.rtp.g711 import decode
from voice.rtp.packet import RtpPacket

__all__ = ["FrameKind", "JitterBuffer", "JitterStats", "PlayoutFrame"]


class FrameKind(enum.Enum):
    AUDIO = "audio"
    CONCEALED = "concealed"
    COMFORT_NOISE = "comfort_noise"
    PREFETCH = "prefetch"
    EVENT = "event"  # the slot carried a telephone-event (same sequence space): silence


@dataclass(frozen=True)
class PlayoutFrame:
    pcm: npt.NDArray[np.int16]
    kind: FrameKind
    sequence: int | None = None


@dataclass
class JitterStats:
    received: int = 0
    played: int = 0
    late: int = 0
    duplicate: int = 0
    concealed: int = 0
    skipped: int = 0
    resyncs: int = 0


class JitterBuffer:
    def __init__(
        self,
        *,
        codec: str = "PCMU",
        payload_types: frozenset[int] | None = None,
        frame_samples: int = 160,
        prefetch: int = 3,
        capacity: int = 50,
        max_depth: int | None = None,
        max_conceal: int = 5,
        attenuation: float = 0.7,
        noise_level: float = 24.0,
        seed: int | None = None,
    ) -> None:
        self.codec = codec
        self.payload_types = payload_types
        self.frame_samples = frame_samples
        self.prefetch = max(1, prefetch)
        self.capacity = capacity
        self.max_depth = max_depth if max_depth is not None else 2 * self.prefetch + 4
        self.max_conceal = max_conceal
        self.attenuation = attenuation
        self.noise_level = noise_level
        self.stats = JitterStats()
        self._rng = np.random.default_rng(seed)
        self._packets: dict[int, RtpPacket | None] = {}  # None: a telephone-event slot
        self._next: int | None = None  # extended sequence number to play next
        self._ref: int | None = None  # extended number of a recent packet, for unwrapping
        self._started = False
        self._ssrc: int | None = None
        self._last: npt.NDArray[np.int16] | None = None
        self._lost_run = 0

    def __len__(self) -> int:
        return len(self._packets)

    def _extend(self, seq: int) -> int:
        if self._ref is None:
            return seq
        delta = ((seq - (self._ref & 0xFFFF) + 0x8000) & 0xFFFF) - 0x8000
        return self._ref + delta

    def put(self, packet: RtpPacket, *, audio: bool = True) -> bool:
        """Queue a packet; ``audio=False`` holds its slot (a telephone-event) as silence."""
        if self.payload_types is not None and audio and packet.payload_type not in self.payload_types:
            return False
        if self._ssrc is not None and packet.ssrc != self._ssrc:
            self._resync()
        self._ssrc = packet.ssrc
        ext = self._extend(packet.sequence_number)
        if self._next is not None and ext - self._next >= self.capacity:
            self._resync()
            ext = packet.sequence_number
        if self._started and self._next is not None and ext < self._next:
            self.stats.late += 1
            return False
        if ext in self._packets:
            self.stats.duplicate += 1
            return False
        self.stats.received += 1
        self._packets[ext] = packet if audio else None
        self._ref = ext if self._ref is None else max(self._ref, ext)
        if not self._started:
            self._next = min(self._packets)
        while len(self._packets) > self.capacity:
            oldest = min(self._packets)
            del self._packets[oldest]
            self.stats.skipped += 1
            self._next = max(self._next if self._next is not None else oldest, oldest + 1)
        return True

    def _resync(self) -> None:
        self.stats.resyncs += 1
        self._packets.clear()
        self._next = self._ref = None
        self._started = False

    def ready(self) -> bool:
        """True when :meth:`get` would play a received frame now (no concealment, no prefetch wait)."""
        if not self._started:
            return len(self._packets) >= self.prefetch
        return self._next is not None and self._next in self._packets

    def get(self) -> PlayoutFrame:
        if not self._started:
            if len(self._packets) < self.prefetch:
                return PlayoutFrame(np.zeros(self.frame_samples, dtype=np.int16), FrameKind.PREFETCH)
            self._started = True
            self._next = min(self._packets)
        assert self._next is not None
        while len(self._packets) > self.max_depth:  # a burst after a stall: catch up
            if self._next in self._packets:
                del self._packets[self._next]
                self.stats.skipped += 1
            self._next += 1
        seq = self._next
        if seq in self._packets:
            packet = self._packets.pop(seq)
            self._next += 1
            if packet is None:
                return PlayoutFrame(
                    np.zeros(self.frame_samples, dtype=np.int16), FrameKind.EVENT, seq & 0xFFFF
                )
            pcm = decode(self.codec, packet.payload)
            self._last = pcm
            self._lost_run = 0
            self.stats.played += 1
            return PlayoutFrame(pcm, FrameKind.AUDIO, seq & 0xFFFF)
        if self._packets:  # a later packet is here: this one is lost (or will be late)
            self._next += 1
        return self._conceal()

    def _conceal(self) -> PlayoutFrame:
        self._lost_run += 1
        self.stats.concealed += 1
        if self._last is not None and self._lost_run <= self.max_conceal:
            gain = self.attenuation**self._lost_run
            pcm = (self._last.astype(np.float32) * gain).astype(np.int16)
            return PlayoutFrame(pcm, FrameKind.CONCEALED)
        noise = self._rng.uniform(-self.noise_level, self.noise_level, self.frame_samples)
        return PlayoutFrame(noise.astype(np.int16), FrameKind.COMFORT_NOISE)
