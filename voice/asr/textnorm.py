"""Text normalization for scoring (WER and digit strings). Documented choices:

WER (:func:`normalize_words`, :func:`word_errors`): Whisper's English text normalizer
(``whisper-normalizer``, the normalizer of the Whisper paper: case, punctuation, contractions,
British/American spellings, and spelled-out numbers to digits, so "one hundred and twenty" and "120"
score the same), then word edit operations counted by ``jiwer``. References are scored as given.

Digit strings (:func:`spoken_digits`): the digits in the text in order. Digit characters count as they
are ("4301" or "4, 3, 0, 1"); the words zero/oh/o and one..nine count as their digit, and so do the
homophones a listener would write for a spoken digit in a digit context: to/too (2), for/fore (4),
won (1), ate (8). Other words are ignored. The number words are :mod:`redaction.spoken`'s tables, the
project's one number-word table.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

import jiwer
from whisper_normalizer.english import EnglishTextNormalizer

from redaction.spoken import DIGIT_HOMOPHONES, UNITS

DIGIT_WORDS: dict[str, str] = {w: str(v) for w, v in (UNITS | DIGIT_HOMOPHONES).items()}


@cache
def _normalizer() -> EnglishTextNormalizer:
    return EnglishTextNormalizer()


def normalize_words(text: str) -> list[str]:
    """Words of ``text`` after Whisper's English normalizer."""
    return str(_normalizer()(text)).split()


def word_errors(ref: str, hyp: str) -> tuple[int, int]:
    """(substitutions + deletions + insertions, reference words) after :func:`normalize_words`."""
    r, h = " ".join(normalize_words(ref)), " ".join(normalize_words(hyp))
    if not r:
        return len(h.split()), 0
    if not h:
        return len(r.split()), len(r.split())
    out = jiwer.process_words(r, h)
    return out.substitutions + out.deletions + out.insertions, len(r.split())


def token_errors(ref: Sequence[str], hyp: Sequence[str]) -> int:
    """Edit distance between two token sequences (digits of a number), counted by ``jiwer``."""
    if not ref or not hyp:
        return max(len(ref), len(hyp))
    out = jiwer.process_words(" ".join(ref), " ".join(hyp))
    return int(out.substitutions + out.deletions + out.insertions)


def spoken_digits(text: str) -> str:
    """The digit string a caller spoke, read from a transcript (module docstring has the rules)."""
    out = []
    for tok in re.findall(r"[a-z]+|[0-9]", text.lower()):
        if tok.isdigit():
            out.append(tok)
        elif tok in DIGIT_WORDS:
            out.append(DIGIT_WORDS[tok])
    return "".join(out)


def looks_numeric(text: str, *, min_digits: int = 3, min_share: float = 0.75) -> bool:
    """True when ``text`` is mostly a spoken number: ``min_digits``+ digits, and digits make up at least
    ``min_share`` of digits plus other words ("4, 3, 0, 1", "Set 872"; not "I paid 250 dollars twice")."""
    digits = len(spoken_digits(text))
    if digits < min_digits:
        return False
    others = sum(1 for w in re.findall(r"[a-z]+", text.lower()) if w not in DIGIT_WORDS)
    return digits / (digits + others) >= min_share
