"""Real voices (FSDD digits) through real ASR (faster-whisper tiny.en, CPU int8), then redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from redaction.fsdd import leaks_digits, run_fsdd_cases
from redaction.whisper_asr import WhisperTranscriber
from voice.models.resolver import resolve_whisper


@pytest.fixture(scope="module")
def transcriber() -> WhisperTranscriber:
    return WhisperTranscriber(resolve_whisper().path)  # verified, as dialphone eval redaction does


def test_leak_check_ignores_tokens_only() -> None:
    assert not leaks_digits("[CREDIT_CARD_1].")
    assert leaks_digits("[CREDIT_CARD_1] 7")
    assert leaks_digits("five [SSN_2]")


@pytest.mark.slow
def test_fsdd_numbers_are_tokenized(shared_dir: Path, transcriber: WhisperTranscriber) -> None:
    r = run_fsdd_cases(transcriber, shared_dir, per_kind=1, seed=11, progress=False,
                       kinds=("card", "ssn"), modes=("two", "groups"))
    assert r.cases == 4
    assert r.share == 1.0


def test_fsdd_cases_draw_only_evaluation_takes(shared_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Takes 0-24 are for tuning; the evaluation draws only takes 25-49 (and says so)."""
    import numpy as np

    from redaction import fsdd

    seen: list[int] = []

    def clip(path: Path) -> np.ndarray:
        seen.append(int(path.stem.rsplit("_", 1)[1]))
        return np.zeros(80, np.float32)

    monkeypatch.setattr(fsdd, "_clip", clip)
    r = run_fsdd_cases(lambda pcm, rate: "", shared_dir, per_kind=2, progress=False)
    assert r.split == "eval-takes" and seen and set(seen) <= set(fsdd.EVAL_TAKES)
    seen.clear()
    r = run_fsdd_cases(lambda pcm, rate: "", shared_dir, per_kind=2, progress=False, takes=fsdd.TUNING_TAKES)
    assert r.split == "tuning-takes" and seen and set(seen) <= set(fsdd.TUNING_TAKES)
