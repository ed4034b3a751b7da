"""Four-digit sequences built from real FSDD recordings (8 kHz), for digit accuracy.

Each sequence joins 4 recordings of one speaker (random digits, random takes) with a random gap of
100-300 ms of silence between digits, then resamples 8 kHz -> 16 kHz (soxr, the telephone band is kept:
nothing above 4 kHz is invented). Speakers are taken in turn so the set is balanced; a fixed seed makes
it the same on every machine.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from voice.asr.audio import SAMPLE_RATE, FloatArray

DEFAULT_SEED = 20260
GAP_MS = (100, 300)


@dataclass(frozen=True, slots=True)
class DigitSequence:
    speaker: str
    accent: str
    digits: str
    audio: FloatArray = field(repr=False)


def speakers(fsdd: Path) -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads((fsdd / "speakers.json").read_text("utf-8"))
    return data


def build_sequences(
    fsdd: Path, *, count: int = 200, seed: int = DEFAULT_SEED, length: int = 4
) -> list[DigitSequence]:
    """``count`` sequences of ``length`` digits, balanced over the speakers of ``speakers.json``."""
    rng = random.Random(seed)
    meta = speakers(fsdd)
    names = sorted(meta)
    takes: dict[tuple[str, int], list[Path]] = {}
    for path in sorted(fsdd.glob("*.wav")):
        digit, speaker, _ = path.stem.split("_")
        takes.setdefault((speaker, int(digit)), []).append(path)
    out = []
    for i in range(count):
        speaker = names[i % len(names)]
        digits = [rng.randrange(10) for _ in range(length)]
        parts: list[np.ndarray] = []
        rate = 8000
        for j, d in enumerate(digits):
            audio, rate = sf.read(rng.choice(takes[(speaker, d)]), dtype="float32")
            if j:
                parts.append(np.zeros(int(rate * rng.uniform(*GAP_MS) / 1000), np.float32))
            parts.append(audio)
        pcm = soxr.resample(np.concatenate(parts), rate, SAMPLE_RATE).astype(np.float32)
        out.append(
            DigitSequence(speaker, meta[speaker].get("accent", "unknown"), "".join(map(str, digits)), pcm)
        )
    return out
