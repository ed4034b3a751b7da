"""A decode that stops at a full stop with speech still to come is decoded again stretch by stretch
(voice.asr.dropped), on the fixtures where tiny.en does stop early, and never on complete ones."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from voice.asr import AsrConfig, AsrEngine
from voice.asr.dropped import recovered_better, suspect, units
from voice.asr.evaluate import load_pcm16k
from voice.asr.textnorm import spoken_digits

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "audio"
RATE = 16000


def first_turn(name: str) -> np.ndarray:
    doc = yaml.safe_load((FIXTURES / f"{name}.yaml").read_text(encoding="utf-8"))
    audio = load_pcm16k(FIXTURES / doc["audio"])
    turn = doc["turns"][0]
    return audio[int(max(0.0, turn["start_s"] - 0.2) * RATE):int((turn["end_s"] + 0.3) * RATE)]


@pytest.fixture(scope="module")
def engines() -> tuple[AsrEngine, AsrEngine]:
    return AsrEngine(), AsrEngine(config=AsrConfig(recover_dropped=False))


def test_units_count_each_digit_as_a_spoken_word() -> None:
    assert units("My card number is 5200.") == 8
    assert units("") == 0
    assert recovered_better("I'd like to pay my bill.", ["I'd like to pay my bill.", "My card number is 5200."])
    assert not recovered_better("5 2 0", ["5.", "2.", "0."])  # the same words, cut differently: keep the first


def test_a_complete_transcript_or_one_stretch_is_not_suspect() -> None:
    t = np.arange(RATE * 3) / RATE
    tone = (0.3 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    assert suspect("a", tone) is None  # one stretch
    gapped = tone.copy()
    gapped[RATE : RATE + RATE // 2] = 0.0  # two stretches with a 500 ms pause
    spans = suspect("a", gapped)
    assert spans is not None and len(spans) == 2
    assert suspect("one two three four five six seven eight nine ten", gapped) is None


@pytest.mark.slow
@pytest.mark.parametrize("name", ["card_number_8k", "ssn_8k"])
def test_a_turn_cut_at_its_first_full_stop_is_heard_whole(engines: tuple[AsrEngine, AsrEngine], name: str) -> None:
    engine, plain = engines
    x = first_turn(name)
    cut = plain.transcribe(x).text
    whole = engine.transcribe(x).text
    assert "number" not in cut.lower(), "tiny.en no longer stops early here: the test shows nothing"
    assert len(spoken_digits(whole)) >= 8, "the number after the first sentence is still missing"
    assert "number" in whole.lower()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["billing_8k", "clinical_16k", "split_number_16k", "human_request_no_ai_8k"])
def test_a_complete_turn_is_decoded_once_and_unchanged(engines: tuple[AsrEngine, AsrEngine], name: str) -> None:
    engine, plain = engines
    x = first_turn(name)
    assert engine.transcribe(x).text == plain.transcribe(x).text
