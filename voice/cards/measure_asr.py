"""Speech recognition measurements, kept per item so any subset (the quick CI run) can be scored.

- WER on ``shared/audio/speech`` (11 files, two speakers and one public speech), scored against
  ``transcripts.tsv`` as given with :mod:`voice.asr.textnorm` (Whisper's normalizer, ``jiwer``) as
  ``dialphone eval asr`` scores it;
- 4-digit accuracy on FSDD sequences of the evaluation takes 25-49 (:func:`voice.asr.fsdd.build_sequences`,
  seeded; no tuning decision saw these takes): the first N sequences of a longer run are the same audio,
  so the quick subset is a prefix of the full set; scored without a hint and with ``hint="digits"``,
  per speaker and per accent (``speakers.json``);
- the measured alternatives (full run only, :func:`measure_alternatives`): other models and digit
  decoders on the same evaluation sequences, accuracy and latency side by side;
- a silence/noise probe: digital silence and seeded white and pink noise, mains hum and a tone melody
  (music on hold) at two levels, where any transcript is a hallucination (Whisper's known failure on non-speech).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voice.asr.engine import AsrEngine
from voice.asr.evaluate import load_speech
from voice.asr.fsdd import DEFAULT_SEED, SPLIT_LABELS, build_sequences
from voice.asr.textnorm import normalize_words, spoken_digits, word_errors
from voice.asr.tokens import DIGITS_HINT
from voice.cards.stats import Count, Scored, proportion, proportion_gap, wer_summary

SEQUENCES_FULL = 200
SEQUENCES_QUICK = 60
NOISE_LEVELS_DBFS = (-35.0, -20.0)
NOISE_SEEDS = (1, 2)
NOISE_KINDS = ("white noise", "pink noise", "mains hum", "tones (music on hold)")
NOISE_SECONDS = 2.0


@dataclass(frozen=True, slots=True)
class SpeechItem:
    file: str
    speaker: str
    errors: int
    words: int


@dataclass(frozen=True, slots=True)
class DigitItem:
    speaker: str
    accent: str
    ok: bool
    ok_hint: bool


@dataclass(frozen=True, slots=True)
class NoiseItem:
    level: str
    words: int


@dataclass(frozen=True, slots=True)
class AsrRaw:
    speech: list[SpeechItem]
    digits: list[DigitItem]
    noise: list[NoiseItem]


def _speaker(file: str) -> str:
    return file.split("_")[0] if "_" in file else Path(file).stem


def _noise(kind: str, seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n) / 16000
    if kind == "white noise":
        return rng.standard_normal(n)
    if kind == "pink noise":
        spectrum = np.fft.rfft(rng.standard_normal(n))
        spectrum[1:] /= np.sqrt(np.arange(1, len(spectrum)))
        spectrum[0] = 0
        return np.fft.irfft(spectrum, n)
    if kind == "mains hum":
        return sum(np.sin(2 * np.pi * 60 * k * t) / k for k in range(1, 6)) + 0.05 * rng.standard_normal(n)
    seg = n // 8
    notes = rng.choice([262, 294, 330, 349, 392, 440, 494], 8)
    return np.concatenate([np.sin(2 * np.pi * f * t[:seg]) * np.hanning(seg) for f in notes])


def noise_clips() -> list[tuple[str, np.ndarray]]:
    """Digital silence, then each kind of noise at each RMS level and seed (16 kHz, ``NOISE_SECONDS``)."""
    n = int(16000 * NOISE_SECONDS)
    clips: list[tuple[str, np.ndarray]] = [("digital silence", np.zeros(n, np.float32))]
    for kind in NOISE_KINDS:
        for level in NOISE_LEVELS_DBFS:
            for seed in NOISE_SEEDS:
                x = _noise(kind, seed, n)
                x = x / np.sqrt(np.mean(np.square(x))) * 10 ** (level / 20)
                clips.append((f"{kind} {level:.0f} dBFS", x.astype(np.float32)))
    return clips


Tick = Callable[[], None]


def work(sequences: int) -> int:
    """Progress steps of :func:`measure` (speech files, sequences, noise clips)."""
    return 11 + sequences + 1 + len(NOISE_KINDS) * len(NOISE_LEVELS_DBFS) * len(NOISE_SEEDS)


def measure(engine: AsrEngine, shared: Path, *, sequences: int, tick: Tick, seed: int = DEFAULT_SEED) -> AsrRaw:
    speech = []
    for name, ref, audio in load_speech(shared / "audio" / "speech"):
        tick()
        errors, words = word_errors(ref, engine.transcribe(audio).text)
        speech.append(SpeechItem(name, _speaker(name), errors, words))
    digits = []
    seqs = build_sequences(shared / "audio" / "fsdd", count=sequences, seed=seed, split="eval")
    for seq in seqs:
        tick()
        plain = spoken_digits(engine.transcribe(seq.audio).text) == seq.digits
        hinted = spoken_digits(engine.transcribe(seq.audio, hint=DIGITS_HINT).text) == seq.digits
        digits.append(DigitItem(seq.speaker, seq.accent, plain, hinted))
    noise = []
    for level, clip in noise_clips():
        tick()
        noise.append(NoiseItem(level, len(normalize_words(engine.transcribe(clip).text))))
    return AsrRaw(speech, digits, noise)


def _count(items: Sequence[DigitItem], hint: bool) -> Count:
    return Count(sum(i.ok_hint if hint else i.ok for i in items), len(items))


def _groups(items: Sequence[DigitItem], key: str, hint: bool) -> dict[str, Count]:
    names = sorted({getattr(i, key) for i in items})
    return {g: _count([i for i in items if getattr(i, key) == g], hint) for g in names}


def summarize(raw: AsrRaw, *, sequences: int, seed: int = DEFAULT_SEED) -> dict[str, Any]:
    """Figures over the whole speech set and the first ``sequences`` digit sequences."""
    digits = raw.digits[:sequences]
    scored = [Scored(i.errors, i.words) for i in raw.speech]
    by_speaker = {s: wer_summary([Scored(i.errors, i.words) for i in raw.speech if i.speaker == s])
                  for s in sorted({i.speaker for i in raw.speech})}
    out: dict[str, Any] = {
        "speech": {"all": wer_summary(scored), "by_speaker": by_speaker},
        "fsdd": {"sequences": len(digits), "seed": seed, "split": SPLIT_LABELS["eval"]},
        "noise": {
            "clips": len(raw.noise),
            "hallucinated": proportion(sum(i.words > 0 for i in raw.noise), len(raw.noise)),
            "by_level": {lv: proportion(sum(i.words > 0 for i in raw.noise if i.level == lv),
                                        sum(i.level == lv for i in raw.noise))
                         for lv in dict.fromkeys(i.level for i in raw.noise)},
        },
    }
    for hint, key in ((False, "no_hint"), (True, "digits_hint")):
        total = _count(digits, hint)
        accents = _groups(digits, "accent", hint)
        out["fsdd"][key] = {
            "all": proportion(total.k, total.n),
            "by_accent": {g: proportion(c.k, c.n) for g, c in accents.items()},
            "by_speaker": {g: proportion(c.k, c.n) for g, c in _groups(digits, "speaker", hint).items()},
            "accent_gap": proportion_gap(accents),
        }
    return out
