"""Whisper token ids, prompts and the digit-only vocabulary used with the ``digits`` hint."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path

import tokenizers

MAX_PROMPT_TOKENS = 223
DIGITS_HINT = "digits"
_DIGITS_N = re.compile(r"^digits:([1-9][0-9]?)$")


def expected_digits(hint: str | None) -> int | None:
    """N for a ``digits:N`` hint (a number of known length: PIN, last four, ZIP), else None."""
    m = _DIGITS_N.match(hint or "")
    return int(m.group(1)) if m else None


def is_digits_hint(hint: str | None) -> bool:
    """True for ``digits`` and ``digits:N``: decode with the digit-only vocabulary."""
    return hint == DIGITS_HINT or expected_digits(hint) is not None


_DIGIT_TOKEN = re.compile(r" ?[0-9]|[,.\-]| -")


class WhisperTokens:
    """The special tokens and text codec of an English-only or multilingual Whisper model."""

    def __init__(self, model_dir: Path) -> None:
        self._tok = tokenizers.Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.sot = self._id("<|startoftranscript|>")
        self.eot = self._id("<|endoftext|>")
        self.prev = self._id("<|startofprev|>")
        self.no_timestamps = self._id("<|notimestamps|>")
        en = self._tok.token_to_id("<|en|>")
        transcribe = self._tok.token_to_id("<|transcribe|>")
        # English-only models start with <|startoftranscript|> alone; multilingual ones name the task.
        multilingual = self._tok.get_vocab_size() >= 51865
        self.sot_sequence = [self.sot]
        if multilingual and en is not None and transcribe is not None:
            self.sot_sequence += [int(en), int(transcribe)]

    def _id(self, token: str) -> int:
        idx = self._tok.token_to_id(token)
        if idx is None:
            raise ValueError(f"tokenizer has no {token}")
        return int(idx)

    def prompt(self, hint: str | None) -> list[int]:
        """Decoder prompt: optional previous text (the hint), then the start-of-transcript sequence."""
        ids: list[int] = []
        if hint and not is_digits_hint(hint):
            text = " " + hint.strip()
            ids = [self.prev, *self._tok.encode(text, add_special_tokens=False).ids[-MAX_PROMPT_TOKENS:]]
        return [*ids, *self.sot_sequence, self.no_timestamps]

    def encode(self, text: str) -> list[int]:
        return [int(i) for i in self._tok.encode(text, add_special_tokens=False).ids]

    def decode(self, ids: list[int]) -> str:
        return str(self._tok.decode([i for i in ids if i < self.eot])).strip()

    def starts_word(self, token_id: int) -> bool:
        return str(self._tok.id_to_token(token_id) or "").startswith("Ġ")

    @cached_property
    def non_digit_ids(self) -> list[int]:
        """Every text token that is not a single digit or digit punctuation (suppressed for digits)."""
        keep = {i for i in range(self.eot) if _DIGIT_TOKEN.fullmatch(self._tok.decode([i]))}
        return [i for i in range(self.eot) if i not in keep]
