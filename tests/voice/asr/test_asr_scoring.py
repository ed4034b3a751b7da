"""Scoring pieces: normalization, edit distance, intervals, the loop guard, the FSDD set."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voice.asr.evaluate import CHECKED_REFERENCES, load_speech, main
from voice.asr.fsdd import build_sequences
from voice.asr.guards import cut_repetition, find_loop, token_budget
from voice.asr.metrics import edit_distance, wilson_interval
from voice.asr.textnorm import looks_numeric, normalize_words, spoken_digits
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
        ("Don't stop!", "dont stop"),
    ],
)
def test_normalize_words(text: str, norm: str) -> None:
    assert " ".join(normalize_words(text)) == norm


def test_edit_distance_and_wilson() -> None:
    assert edit_distance("a b c".split(), "a x c d".split()) == 2
    assert edit_distance([], "a b".split()) == 2
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
    assert 0 <= report["wer_speech"] < 0.5 and 0 <= report["digit_accuracy_fsdd"] <= 1
    assert report["fsdd"]["no_hint"]["per_accent"]["USA/neutral"]["n"] == 2
    speech = report["speech"]
    assert set(speech["reference_notes"]) == set(CHECKED_REFERENCES)
    assert speech["errors_checked"] < speech["errors"]  # the engine's errors are mostly the references'
    assert "WER floor" in capsys.readouterr().out


def test_checked_references_and_the_floor_of_the_given_ones(shared_dir: Path) -> None:
    """The references corrected in the evaluation differ from the given ones only where the upstream
    phoneme annotation says so, and a correct transcript scores over 12% against the given ones."""
    given = {name: ref for name, ref, _ in load_speech(shared_dir / "audio" / "speech")}
    assert set(CHECKED_REFERENCES) <= set(given)
    errors = words = 0
    for name, ref in given.items():
        checked = normalize_words(CHECKED_REFERENCES[name][0]) if name in CHECKED_REFERENCES else normalize_words(ref)
        errors += edit_distance(normalize_words(ref), checked)
        words += len(normalize_words(ref))
        if name in CHECKED_REFERENCES:
            assert checked != normalize_words(ref)
    assert (errors, words) == (14, 93) and errors / words > 0.12


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
