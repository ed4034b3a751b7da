"""Real voices (FSDD digits) through real ASR (faster-whisper tiny.en, CPU int8), then redaction."""

from __future__ import annotations

from pathlib import Path

import pytest

from redaction.fsdd import leaks_digits, run_fsdd_cases
from redaction.whisper_asr import WhisperTranscriber


@pytest.fixture(scope="module")
def transcriber() -> WhisperTranscriber:
    return WhisperTranscriber()


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
