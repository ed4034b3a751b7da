"""Text normalization for scoring (WER and digit strings). Documented choices:

WER (``normalize_words``): lower case; hyphens and slashes become spaces; every other character that is
not a letter, digit, apostrophe or space is dropped, then apostrophes too ("don't" == "dont");
number words become digits ("two" -> "2", "twenty five" -> "25", "oh" is left alone in running text),
so "2" and "two" score the same. The references are scored as given; nothing else is rewritten.

Digit strings (``spoken_digits``): the digits in the text in order. Digit characters count as they are
("4301" or "4, 3, 0, 1"); the words zero/oh/o and one..nine count as their digit, and so do the
homophones a listener would write for a spoken digit in a digit context: to/too (2), for/fore (4),
won (1), ate (8). Other words are ignored.
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_DIGIT_WORDS = {
    "zero": "0",
    "oh": "0",
    "o": "0",
    "one": "1",
    "won": "1",
    "two": "2",
    "to": "2",
    "too": "2",
    "three": "3",
    "four": "4",
    "for": "4",
    "fore": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "ate": "8",
    "nine": "9",
}


def _numbers_to_digits(words: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(words):
        w = words[i]
        if w in _TENS:
            value = _TENS[w]
            if i + 1 < len(words) and words[i + 1] in _UNITS and _UNITS[words[i + 1]] < 10:
                value += _UNITS[words[i + 1]]
                i += 1
            out.append(str(value))
        elif w in _UNITS:
            out.append(str(_UNITS[w]))
        else:
            out.append(w)
        i += 1
    return out


def normalize_words(text: str) -> list[str]:
    """Words of ``text`` after the WER normalization described in the module docstring."""
    text = re.sub(r"[-/]", " ", text.lower())
    text = re.sub(r"[^a-z0-9' ]+", " ", text).replace("'", "")
    return _numbers_to_digits(text.split())


def spoken_digits(text: str) -> str:
    """The digit string a caller spoke, read from a transcript (module docstring has the rules)."""
    out = []
    for tok in re.findall(r"[a-z]+|[0-9]", text.lower()):
        if tok.isdigit():
            out.append(tok)
        elif tok in _DIGIT_WORDS:
            out.append(_DIGIT_WORDS[tok])
    return "".join(out)


def looks_numeric(text: str, *, min_digits: int = 3, min_share: float = 0.75) -> bool:
    """True when ``text`` is mostly a spoken number: ``min_digits``+ digits, and digits make up at least
    ``min_share`` of digits plus other words ("4, 3, 0, 1", "Set 872"; not "I paid 250 dollars twice")."""
    digits = len(spoken_digits(text))
    if digits < min_digits:
        return False
    others = sum(1 for w in re.findall(r"[a-z]+", text.lower()) if w not in _DIGIT_WORDS)
    return digits / (digits + others) >= min_share
