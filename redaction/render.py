"""How callers say numbers, as an ASR would write them: digits, groups, words, "oh", "double".

Used by the evaluation corpus (:mod:`redaction.corpus`); deterministic for a given ``random.Random``.
"""

from __future__ import annotations

import enum
import random

WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
TEEN_WORDS = ("ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
              "eighteen", "nineteen")
TENS_WORDS = {2: "twenty", 3: "thirty", 4: "forty", 5: "fifty", 6: "sixty", 7: "seventy", 8: "eighty",
              9: "ninety"}


class Style(enum.Enum):
    GROUPED = "grouped"          # 4111 1111 1111 1111
    DASHED = "dashed"            # 4111-1111-1111-1111
    PLAIN = "plain"              # 4111111111111111
    WORDS = "words"              # four one one one ...
    WORDS_GROUPED = "words_grouped"  # four one one one, one one ...
    WORDS_DOUBLE = "words_double"    # with "oh", "double", "triple"
    COMMAS = "commas"            # 4, 1, 1, 1 (tiny whisper style)
    PAIRS = "pairs"              # forty one eleven ... (two-digit numbers)


def two_digit_words(n: int) -> str:
    if n < 10:
        return "oh " + ("oh" if n == 0 else WORDS[n])
    if n < 20:
        return TEEN_WORDS[n - 10]
    tens, unit = divmod(n, 10)
    return TENS_WORDS[tens] + ("" if unit == 0 else " " + WORDS[unit])


def year_words(y: int) -> str:
    """1985 -> "nineteen eighty five", 2005 -> "two thousand five", 2025 -> "twenty twenty five"."""
    hi, lo = divmod(y, 100)
    if hi == 20 and lo < 10:
        return "two thousand" + ("" if lo == 0 else " " + WORDS[lo])
    return two_digit_words(hi) + " " + ("hundred" if lo == 0 else two_digit_words(lo))


def _digit_words(digits: str, rng: random.Random, fancy: bool) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(digits):
        d = digits[i]
        run = 1
        while i + run < len(digits) and digits[i + run] == d:
            run += 1
        if fancy and run >= 3 and rng.random() < 0.6:
            out.append("triple " + ("oh" if d == "0" else WORDS[int(d)]))
            i += 3
            continue
        if fancy and run >= 2 and rng.random() < 0.6:
            out.append("double " + ("oh" if d == "0" else WORDS[int(d)]))
            i += 2
            continue
        out.append(("oh" if rng.random() < 0.6 else "zero") if d == "0" else WORDS[int(d)])
        i += 1
    return out


def say(digits: str, groups: tuple[int, ...], style: Style, rng: random.Random) -> str:
    """``digits`` spoken in ``style``; ``groups`` are the natural group lengths (4-4-4-4, 3-2-4)."""
    parts: list[str] = []
    pos = 0
    for g in groups:
        parts.append(digits[pos:pos + g])
        pos += g
    if pos < len(digits):
        parts.append(digits[pos:])
    parts = [p for p in parts if p]
    if style is Style.GROUPED:
        return " ".join(parts)
    if style is Style.DASHED:
        return "-".join(parts)
    if style is Style.PLAIN:
        return digits
    if style is Style.COMMAS:
        return ", ".join(digits)
    if style is Style.WORDS:
        return " ".join(_digit_words(digits, rng, False))
    if style is Style.WORDS_GROUPED:
        return ", ".join(" ".join(_digit_words(p, rng, False)) for p in parts)
    if style is Style.WORDS_DOUBLE:
        return " ".join(" ".join(_digit_words(p, rng, True)) for p in parts)
    # PAIRS: two-digit numbers, odd digit out spoken alone
    out: list[str] = []
    for p in parts:
        k = 0
        if len(p) % 2 == 1:
            out.append("oh" if p[0] == "0" else WORDS[int(p[0])])
            k = 1
        while k < len(p):
            out.append(two_digit_words(int(p[k:k + 2])))
            k += 2
    return " ".join(out)
