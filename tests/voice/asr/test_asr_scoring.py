"""Scoring pieces: normalization, word errors, intervals, the loop guard, the FSDD split, digit evidence."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from redaction import spoken
from redaction.fsdd import EVAL_TAKES, TUNING_TAKES
from voice.asr.evaluate import main
from voice.asr.fsdd import build_sequences
from voice.asr.guards import cut_repetition, find_loop, token_budget
from voice.asr.metrics import wilson_interval
from voice.asr.numbers import choose, fill_dropped, voiced_segments
from voice.asr.textnorm import (
    DIGIT_WORDS,
    looks_numeric,
    normalize_words,
    spoken_digits,
    token_errors,
    word_errors,
)
from voice.asr.tokens import expected_digits, is_digits_hint


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        (" 4, 3, 0, 1.", "4301"),
        ("four three oh one", "4301"),
        ("Zero, eight. Nine nine", "0899"),
        ("5-1-0-9", "5109"),
        ("for two won ate", "4218"),
        ("second one four two", "142"),
        ("", ""),
    ],
)
def test_spoken_digits(text: str, digits: str) -> None:
    assert spoken_digits(text) == digits


@pytest.mark.parametrize(
    ("text", "norm"),
    [
        ("At that high level, the air is pure.", "at that high level the air is pure"),
        ("Drop the two when you add the figures.", "drop the 2 when you add the figures"),
        ("twenty-five dogs", "25 dogs"),
        ("Don't stop!", "do not stop"),
    ],
)
def test_normalize_words(text: str, norm: str) -> None:
    assert " ".join(normalize_words(text)) == norm


def test_word_errors_score_numbers_spelled_or_written_the_same() -> None:
    assert word_errors("one hundred and twenty dollars", "$120") == (0, 1)
    assert word_errors("drop the two when you add the figures", "Drop the 2 when you add the figures.") == (0, 8)
    assert word_errors("a b c", "a x c d") == (2, 3)
    assert word_errors("", "words") == (1, 0)
    assert token_errors(list("4301"), list("431")) == 1 and token_errors([], list("12")) == 2


def test_one_number_word_table() -> None:
    """The digit words of the ASR scoring are redaction.spoken's table (plus its homophones)."""
    assert {w for w, d in DIGIT_WORDS.items() if w in spoken.UNITS} == set(spoken.UNITS)
    assert all(DIGIT_WORDS[w] == str(v) for w, v in spoken.UNITS.items())
    assert set(DIGIT_WORDS) == set(spoken.UNITS) | set(spoken.DIGIT_HOMOPHONES)


def test_wilson() -> None:
    lo, hi = wilson_interval(194, 200)
    assert 0.93 < lo < 0.97 < hi < 0.99
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_loop_guard_keeps_short_real_repeats() -> None:
    comma, zero, seven = 11, 657, 767
    pin = [zero, comma] * 4  # "0, 0, 0, 0" ended normally: kept
    assert cut_repetition(pin, truncated=False) == (pin, False)
    looped = [1, comma, 2, comma, seven, comma] + [seven, comma] * 20  # hit the budget
    cut, was_cut = cut_repetition(looped, truncated=True)
    assert was_cut and cut == [1, comma, 2, comma, seven]  # "1, 2, 7"
    assert find_loop([5, 6, 7, 8]) is None
    assert token_budget(2.0, per_second=8, base=8) == 24


def test_fsdd_split_by_take(shared_dir: Path) -> None:
    """Tuning draws only takes 0-24, evaluation (the default) only takes 25-49."""
    fsdd = shared_dir / "audio" / "fsdd"
    tuning = build_sequences(fsdd, count=40, seed=5, split="tuning")
    evaluation = build_sequences(fsdd, count=40, seed=5)
    assert {t for s in tuning for t in s.takes} <= set(TUNING_TAKES)
    assert {t for s in evaluation for t in s.takes} <= set(EVAL_TAKES)
    assert not set(TUNING_TAKES) & set(EVAL_TAKES)
    with pytest.raises(ValueError, match="split"):
        build_sequences(fsdd, count=1, split="all")


def test_fsdd_sequences_are_deterministic_and_balanced(shared_dir: Path) -> None:
    a = build_sequences(shared_dir / "audio" / "fsdd", count=8, seed=11)
    b = build_sequences(shared_dir / "audio" / "fsdd", count=8, seed=11)
    assert [s.digits for s in a] == [s.digits for s in b]
    assert sorted(s.speaker for s in a) == sorted(["george", "jackson", "lucas", "theo"] * 2)
    assert all(len(s.digits) == 4 and len(s.audio) > 16000 for s in a)
    assert {s.accent for s in a} == {"USA/neutral", "GRC/Greek", "DEU/German"}


def test_eval_cli_writes_json(shared_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "asr.json"
    assert main(["eval", "asr", "--shared", str(shared_dir), "--sequences", "4", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert 0 <= report["wer_speech"] < 0.12 and 0 <= report["digit_accuracy_fsdd"] <= 1
    assert report["split"] == "eval-takes" and report["fsdd"]["split"] == "eval-takes"
    assert set(report["digit_accuracy_by_accent"]) == {"USA/neutral", "GRC/Greek", "DEU/German"}
    assert report["fsdd"]["no_hint"]["per_accent"]["USA/neutral"]["n"] == 2
    assert not any("checked" in k or "floor" in k for k in report) and "reference_notes" not in report["speech"]
    assert "eval-takes" in capsys.readouterr().out


def test_voiced_segments_count_digits_read_with_pauses() -> None:
    rng = np.random.default_rng(3)
    tone = (0.3 * np.sin(np.arange(4000) * 0.2)).astype(np.float32)  # 250 ms "digit"
    gap = np.zeros(2400, np.float32)  # 150 ms pause
    x = np.concatenate([gap, tone, gap, tone, gap, tone, gap]) + rng.normal(0, 1e-4, 3 * 4000 + 4 * 2400)
    assert len(voiced_segments(x.astype(np.float32))) == 3
    short = np.concatenate([tone, np.zeros(800, np.float32), tone])  # 50 ms: one segment
    assert len(voiced_segments(short)) == 1
    assert voiced_segments(np.zeros(100, np.float32)) == []


def test_digit_evidence() -> None:
    # a dropped digit: the first hypothesis with as many digits as voiced segments wins
    assert choose(["559", "5559"], segments=4) == 1
    assert choose(["5559", "55559"], segments=4) == 0  # never more than the decoder's first when it has enough
    assert choose(["12", "1234"], expected=4) == 1
    # a card-length number: a Luhn-valid hypothesis of the same length wins over an invalid first one
    assert choose(["4111111111111112", "4111111111111111"]) == 1
    assert choose(["4111111111111111", "4111111111111112"]) == 0
    # digit by digit: only digits the whole-turn decode skipped are taken from the segments
    assert fill_dropped("286", "2787") == "2786"
    assert fill_dropped("984", "5984") == "5984"
    assert fill_dropped("4868", "4811") == "4868"


@pytest.mark.parametrize(
    ("text", "numeric"),
    [
        ("4, 3, 0, 1.", True),
        ("Set 872.", True),
        ("Okay, two, five, four.", True),
        ("I paid 250 dollars twice.", False),
        ("The child almost hurt the small dog.", False),
        ("1, 2", False),
    ],
)
def test_looks_numeric(text: str, numeric: bool) -> None:
    assert looks_numeric(text) is numeric


def test_hint_grammar() -> None:
    assert is_digits_hint("digits") and is_digits_hint("digits:4") and expected_digits("digits:16") == 16
    assert (
        not is_digits_hint("digits:0") and not is_digits_hint("Acme Dental") and expected_digits(None) is None
    )
