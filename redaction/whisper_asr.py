"""A faster-whisper transcriber for the FSDD evaluation (the server injects its own tuned ASR).

Loads a CTranslate2 Whisper folder on CPU (int8); audio is resampled to 16 kHz. The folder must have
been verified against its SHA-256 digests by whoever passes it (``dialphone eval redaction`` passes
the bundled tiny.en as :func:`voice.models.resolve_whisper` verified it): this package loads nothing
it has not been handed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

DIGIT_PROMPT = "Card, social security and member ID numbers are read as digits, like 4111 1111 1111 1111 or 123-45-6789."


class WhisperTranscriber:
    """Callable ``(pcm float32, sample_rate) -> text`` around one faster-whisper model."""

    def __init__(self, model_dir: Path, *, prompt: str | None = DIGIT_PROMPT, cpu_threads: int = 2) -> None:
        from faster_whisper import WhisperModel

        self._model: Any = WhisperModel(str(model_dir), device="cpu", compute_type="int8", cpu_threads=cpu_threads)
        self._prompt = prompt

    def __repr__(self) -> str:
        return "WhisperTranscriber(tiny.en int8)"

    def __call__(self, pcm: npt.NDArray[np.float32], sample_rate: int) -> str:
        audio = np.asarray(pcm, dtype=np.float32)
        if sample_rate != 16000:
            import soxr

            audio = np.asarray(soxr.resample(audio, sample_rate, 16000), dtype=np.float32)
        segments, _ = self._model.transcribe(
            audio, language="en", beam_size=1, without_timestamps=True, condition_on_previous_text=False,
            initial_prompt=self._prompt, vad_filter=False,
        )
        return "".join(s.text for s in segments).strip()
