"""Log-mel features over a trimmed window, and the window policy.

Whisper is trained on 30 s windows (3000 mel frames, 1500 encoder positions). Encoding all of them
for a 2 s utterance wastes most of the CPU time, so the engine encodes only a short window:

    [lead silence][utterance][tail silence]  rounded up to an even frame count, at least min_window_s

The decoder, though, loops ("the dog. the dog. the dog...") when the encoder output ends right after
the speech: the model has only ever seen 1500 positions. The engine therefore completes the short
encoder output up to 1500 positions with the encoder output of 30 s of silence, computed once at
load (``silence_fill``). Measured on tiny.en int8, 2 cores, FSDD 4-digit sequences: with a 5-10 s
window and no fill, greedy decoding looped on 4-7 of 60; with the fill, none did at beam 3 (greedy
still looped on 3 of 100), and accuracy matched or beat the full 30 s window (92-95% vs 89-93%) at a
fraction of the encoder time (see bench/bench_asr.py). A second of leading silence also helps the
first word of an utterance that starts abruptly (digits: 92% at 0.3 s, 93-97% at 1.0 s).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from faster_whisper.feature_extractor import FeatureExtractor

from voice.asr.audio import SAMPLE_RATE, FloatArray

HOP = 160
FULL_FRAMES = 3000


@dataclass(frozen=True, slots=True, kw_only=True)
class WindowPolicy:
    """How much silence surrounds the utterance and how short the encoder window may be."""

    lead_s: float = 1.0
    tail_s: float = 1.0
    min_window_s: float = 5.0
    full_window: bool = False

    @property
    def max_speech_samples(self) -> int:
        """Longest utterance one window holds (longer audio is split into pieces)."""
        return FULL_FRAMES * HOP - int((self.lead_s + self.tail_s) * SAMPLE_RATE)

    def frames_for(self, n_samples: int) -> int:
        """Encoder window, in mel frames (even, at most 3000), for an utterance of ``n_samples``."""
        if self.full_window:
            return FULL_FRAMES
        total = int(self.lead_s * SAMPLE_RATE) + n_samples + int(self.tail_s * SAMPLE_RATE)
        frames = max(math.ceil(total / HOP), int(self.min_window_s * SAMPLE_RATE / HOP))
        frames += frames % 2
        return min(frames, FULL_FRAMES)

    def lead_samples(self) -> int:
        return int(self.lead_s * SAMPLE_RATE)


class MelFrontEnd:
    """80-bin log-mel spectrogram of zero-padded audio, as Whisper computes it."""

    def __init__(self, n_mels: int = 80) -> None:
        self._fe = FeatureExtractor(feature_size=n_mels)

    def window(self, x: FloatArray, frames: int, lead: int) -> np.ndarray:
        """[n_mels, frames] log-mel of ``lead`` zeros, then ``x``, then zeros up to ``frames``."""
        buf = np.zeros(frames * HOP, dtype=np.float32)
        n = min(len(x), len(buf) - lead)
        buf[lead : lead + n] = x[:n]
        mel: np.ndarray = self._fe(buf, padding=0)
        return np.ascontiguousarray(mel[:, :frames], dtype=np.float32)
