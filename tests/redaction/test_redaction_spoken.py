from __future__ import annotations

import pytest

from redaction.spoken import normalize, number_runs, tokenize

CASES = [
    ("four one one one", "4111"),
    ("double seven", "77"),
    ("triple oh", "000"),
    ("oh oh seven", "007"),
    ("four oh five", "405"),
    ("twenty twenty five", "2025"),
    ("nineteen eighty five", "1985"),
    ("nineteen oh five", "1905"),
    ("two thousand five", "2005"),
    ("one twenty three", "123"),
    ("one hundred twenty three", "123"),
    ("twelve hundred", "1200"),
    ("twenty-five", "25"),
    ("five five five dash one two three four", "555 1234"),
    ("4111-1111-1111-1111", "4111 1111 1111 1111"),
    ("4, 1, 1, 1", "4 1 1 1"),
    ("123 45 6789", "123 45 6789"),
]


@pytest.mark.parametrize(("spoken", "digits"), CASES)
def test_normalize_numbers(spoken: str, digits: str) -> None:
    assert normalize(spoken) == digits


@pytest.mark.parametrize("text", ["oh okay thanks", "oh no", "so a b c", "i'm calling about it"])
def test_oh_and_words_stay_words(text: str) -> None:
    assert normalize(text) == text


def test_runs_map_back_to_original_characters() -> None:
    text = "my card is four one one one, one one one one please"
    words = tokenize(text)
    (run,) = number_runs(text, words)
    assert run.digits == "41111111"
    assert text[run.start:run.end] == "four one one one, one one one one"
    assert run.groups == ("4111", "1111")


def test_alphanumeric_id_is_a_run() -> None:
    text = "member id ABC-123456"
    (run,) = number_runs(text, tokenize(text))
    assert run.digits == "abc123456"
    assert run.n_digits == 6
