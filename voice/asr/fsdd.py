"""Four-digit sequences built from real FSDD recordings (8 kHz), for digit accuracy.

Each sequence joins 4 recordings of one speaker (random digits, random takes) with a random gap of
100-300 ms of silence between digits, then resamples 8 kHz -> 16 kHz (soxr, the telephone band is kept:
nothing above 4 kHz is invented). Speakers are taken in turn so the set is balanced; a fixed seed makes
it the same on every machine.

Takes are split (:mod:`redaction.fsdd` defines the split): every tuning decision (decoding settings,
model choice, thresholds) is made on sequences of takes 0-24 (``split="tuning"``); the figures
reported in the model cards and by ``dialphone eval asr`` come from takes 25-49 (``split="eval"``,
the default), which no tuning heard.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from redaction.fsdd import EVAL_TAKES, TUNING_TAKES
from voice.asr.audio import SAMPLE_RATE, FloatArray

DEFAULT_SEED = 20260
TUNING_SEED = 1
GAP_MS = (100, 300)
SPLITS: dict[str, range] = {"tuning": TUNING_TAKES, "eval": EVAL_TAKES}
SPLIT_LABELS = {"tuning": "tuning-takes", "eval": "eval-takes"}


@dataclass(frozen=True, slots=True)
class DigitSequence:
    speaker: str
    accent: str
    digits: str
    audio: FloatArray = field(repr=False)
    takes: tuple[int, ...] = ()  # the FSDD take of each digit


def speakers(fsdd: Path) -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = json.loads((fsdd / "speakers.json").read_text("utf-8"))
    return data


def build_sequences(
    fsdd: Path, *, count: int = 200, seed: int = DEFAULT_SEED, length: int = 4, split: str = "eval"
) -> list[DigitSequence]:
    """``count`` sequences of ``length`` digits, balanced over the speakers of ``speakers.json``, from
    the takes of ``split`` ("tuning": 0-24, "eval": 25-49)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}")
    allowed = SPLITS[split]
    rng = random.Random(seed)
    meta = speakers(fsdd)
    names = sorted(meta)
    takes: dict[tuple[str, int], list[Path]] = {}
    for path in sorted(fsdd.glob("*.wav")):
        digit, speaker, take = path.stem.split("_")
        if int(take) not in allowed:
            continue
        takes.setdefault((speaker, int(digit)), []).append(path)
    out = []
    for i in range(count):
        speaker = names[i % len(names)]
        digits = [rng.randrange(10) for _ in range(length)]
        parts: list[np.ndarray] = []
        used: list[int] = []
        rate = 8000
        for j, d in enumerate(digits):
            path = rng.choice(takes[(speaker, d)])
            used.append(int(path.stem.rsplit("_", 1)[1]))
            audio, rate = sf.read(path, dtype="float32")
            if j:
                parts.append(np.zeros(int(rate * rng.uniform(*GAP_MS) / 1000), np.float32))
            parts.append(audio)
        pcm = soxr.resample(np.concatenate(parts), rate, SAMPLE_RATE).astype(np.float32)
        out.append(
            DigitSequence(
                speaker, meta[speaker].get("accent", "unknown"), "".join(map(str, digits)), pcm, tuple(used)
            )
        )
    return out
