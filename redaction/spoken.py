"""Spoken-number normalization for ASR-style text, with spans back to the original characters.

ASR output spells numbers many ways: ``4111 1111``, ``4-1-1-1``, ``four one one one``,
``double seven``, ``triple oh``, ``twenty twenty five``, ``nineteen eighty five``,
``five five five dash one two``. :func:`number_runs` finds every maximal run of such tokens and
gives its digit string, its digit groups and the chunks (digits with the original character
span that spoke them), so recognizers work on digits and redaction works on the original text.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

UNITS: dict[str, int] = {
    "zero": 0, "oh": 0, "o": 0, "one": 1, "two": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
}
TEENS: dict[str, int] = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS: dict[str, int] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
ORDINALS: dict[str, int] = {
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
    "eighth": 8, "ninth": 9, "tenth": 10, "eleventh": 11, "twelfth": 12, "thirteenth": 13,
    "fourteenth": 14, "fifteenth": 15, "sixteenth": 16, "seventeenth": 17, "eighteenth": 18,
    "nineteenth": 19, "twentieth": 20, "thirtieth": 30,
}
SCALES: dict[str, int] = {"hundred": 100, "thousand": 1000}
REPEATS: dict[str, int] = {"double": 2, "triple": 3}
# Words a listener writes for a spoken digit when digits are expected (ASR digit-string scoring and
# the digit decoder's vocabulary); redaction itself does not read them.
DIGIT_HOMOPHONES: dict[str, int] = {"won": 1, "to": 2, "too": 2, "for": 4, "fore": 4, "ate": 8}
SEPARATORS = frozenset({"dash", "hyphen", "-", "slash", "/"})
FILLERS = frozenset({"uh", "um", "er", "ah", "erm", "hmm", "mm"})
AMBIGUOUS_ZERO = frozenset({"oh", "o"})

_TOKEN_RE = re.compile(r"[^\s,;]+")
_STRIP = ".,;:!?\"'()[]{}<>*…“”‘’"
_DIGIT_TOKEN_RE = re.compile(r"^\+?\d+(?:[-./]\d+)*$")
_SPLIT_DIGITS_RE = re.compile(r"[-./]")
_ALNUM_RE = re.compile(r"^(?=[a-z0-9-]*[a-z])(?=(?:[a-z-]*\d){2})[a-z0-9]+(?:-[a-z0-9]+)*$")
_NOT_ID_RE = re.compile(r"^\d+(?:st|nd|rd|th|am|pm|s|k|m|g|gb|mb|x|ish|ft|lb|lbs|kg|mg|ml|hz|khz)$")


@dataclass(frozen=True, slots=True)
class Word:
    """One token of the utterance: ``text`` lower-cased, ``raw`` as written, span in the original."""

    text: str
    raw: str
    start: int
    end: int


def tokenize(text: str) -> list[Word]:
    """Split ``text`` into words with character spans; punctuation at the edges is dropped."""
    words: list[Word] = []
    for m in _TOKEN_RE.finditer(text):
        raw = m.group()
        lead = len(raw) - len(raw.lstrip(_STRIP))
        core = raw.strip(_STRIP)
        if not core:
            if raw.strip() in ("-", "/"):
                words.append(Word(raw.strip(), raw.strip(), m.start(), m.end()))
            continue
        start = m.start() + lead
        if "-" in core and not _DIGIT_TOKEN_RE.match(core):
            parts = core.split("-")
            if all(p.lower() in UNITS or p.lower() in TENS or p.lower() in TEENS or p.lower() in ORDINALS
                   for p in parts if p):
                pos = start
                for p in parts:
                    if p:
                        words.append(Word(p.lower(), p, pos, pos + len(p)))
                    pos += len(p) + 1
                continue
        words.append(Word(core.lower(), core, start, start + len(core)))
    return words


class _Kind(enum.Enum):
    DIGITS = enum.auto()
    ALNUM = enum.auto()
    UNIT = enum.auto()
    TEEN = enum.auto()
    TENS = enum.auto()
    SCALE = enum.auto()
    REPEAT = enum.auto()
    SEP = enum.auto()
    FILLER = enum.auto()
    OTHER = enum.auto()


def _kind(w: str) -> _Kind:
    if _DIGIT_TOKEN_RE.match(w):
        return _Kind.DIGITS
    if _ALNUM_RE.match(w) and not _NOT_ID_RE.match(w):
        return _Kind.ALNUM
    if w in UNITS:
        return _Kind.UNIT
    if w in TEENS:
        return _Kind.TEEN
    if w in TENS:
        return _Kind.TENS
    if w in SCALES:
        return _Kind.SCALE
    if w in REPEATS:
        return _Kind.REPEAT
    if w in SEPARATORS:
        return _Kind.SEP
    if w in FILLERS:
        return _Kind.FILLER
    return _Kind.OTHER


_NUMERIC = frozenset({_Kind.DIGITS, _Kind.ALNUM, _Kind.UNIT, _Kind.TEEN, _Kind.TENS, _Kind.SCALE})


@dataclass(frozen=True, slots=True)
class Chunk:
    """Digits spoken by words ``[first, last]`` (indexes into the word list) at ``[start, end)``."""

    digits: str
    first: int
    last: int
    start: int
    end: int
    group_start: bool


@dataclass(frozen=True, slots=True)
class NumberRun:
    """A maximal run of number tokens: words ``[first, last]``, characters ``[start, end)``."""

    first: int
    last: int
    start: int
    end: int
    chunks: tuple[Chunk, ...]
    plus: bool
    has_words: bool

    @property
    def digits(self) -> str:
        """The run as written without separators; letters stay for alphanumeric IDs."""
        return "".join(c.digits for c in self.chunks)

    @property
    def n_digits(self) -> int:
        return sum(ch.isdigit() for ch in self.digits)

    @property
    def groups(self) -> tuple[str, ...]:
        out: list[str] = []
        for c in self.chunks:
            if c.group_start or not out:
                out.append(c.digits)
            else:
                out[-1] += c.digits
        return tuple(out)


def _kinds(words: list[Word]) -> list[_Kind]:
    kinds = [_kind(w.text) for w in words]
    # "oh"/"o" is a zero only next to other number tokens; "a hundred" is a number.
    for _ in range(2):
        for i, w in enumerate(words):
            if w.text in AMBIGUOUS_ZERO and kinds[i] is _Kind.UNIT:
                near = [kinds[j] for j in (i - 1, i + 1) if 0 <= j < len(words) and words[j].text not in AMBIGUOUS_ZERO]
                near_oh = [j for j in (i - 1, i + 1) if 0 <= j < len(words) and words[j].text in AMBIGUOUS_ZERO]
                ok = any(k in _NUMERIC or k is _Kind.REPEAT for k in near)
                ok = ok or any(
                    any(0 <= m < len(words) and kinds[m] in _NUMERIC and words[m].text not in AMBIGUOUS_ZERO
                        for m in (j - 1, j + 1))
                    for j in near_oh
                )
                if not ok:
                    kinds[i] = _Kind.OTHER
    for i, k in enumerate(kinds):
        if k is _Kind.REPEAT and not (i + 1 < len(words) and kinds[i + 1] in (_Kind.UNIT, _Kind.DIGITS)):
            kinds[i] = _Kind.OTHER
        if k is _Kind.SCALE and not (i > 0 and kinds[i - 1] in _NUMERIC):
            kinds[i] = _Kind.OTHER
    return kinds


class _Mode(enum.Enum):
    UNIT = enum.auto()
    TENS = enum.auto()
    AFTER_SCALE = enum.auto()
    AFTER_SCALE_TENS = enum.auto()


@dataclass(slots=True)
class _Open:
    value: int
    mode: _Mode
    first: int
    last: int


def _gap_breaks(text: str, a: Word, b: Word) -> bool:
    gap = text[a.end:b.start]
    if gap == "-" and a.text.isalpha() and b.text.isalpha():
        return False
    return any(ch in gap for ch in ",-/.;:")


def number_runs(text: str, words: list[Word]) -> list[NumberRun]:
    """Every maximal run of number tokens in ``words`` (from :func:`tokenize` of ``text``)."""
    kinds = _kinds(words)
    runs: list[NumberRun] = []
    i = 0
    n = len(words)
    while i < n:
        if kinds[i] not in _NUMERIC and kinds[i] is not _Kind.REPEAT:
            i += 1
            continue
        j = i
        last_num = i
        while j + 1 < n:
            k = kinds[j + 1]
            if k in _NUMERIC or k is _Kind.REPEAT:
                j += 1
                last_num = j
            elif k in (_Kind.SEP, _Kind.FILLER) and j + 2 < n and (kinds[j + 2] in _NUMERIC or kinds[j + 2] is _Kind.REPEAT):
                j += 1
            else:
                break
        run = _build_run(text, words, kinds, i, last_num)
        if run is not None:
            runs.append(run)
        i = last_num + 1
    return runs


def _build_run(text: str, words: list[Word], kinds: list[_Kind], first: int, last: int) -> NumberRun | None:
    chunks: list[Chunk] = []
    cur: _Open | None = None
    repeat = 1
    group_break = True
    has_words = False

    def emit(digits: str, a: int, b: int) -> None:
        nonlocal group_break
        chunks.append(Chunk(digits, a, b, words[a].start, words[b].end, group_break))
        group_break = False

    def close() -> None:
        nonlocal cur
        if cur is not None:
            emit(str(cur.value), cur.first, cur.last)
            cur = None

    for idx in range(first, last + 1):
        w = words[idx].text
        k = kinds[idx]
        if idx > first and _gap_breaks(text, words[idx - 1], words[idx]):
            close()
            group_break = True
        if k is _Kind.DIGITS and cur is not None and cur.mode is _Mode.AFTER_SCALE and w.isdigit() \
                and int(w) < 1000 and cur.value % 1000 == 0:
            cur.value += int(w)  # "1 thousand 250"
            cur.last = idx
            close()
            continue
        if k is _Kind.DIGITS or k is _Kind.ALNUM:
            close()
            parts = [p for p in _SPLIT_DIGITS_RE.split(w.lstrip("+")) if p]
            group_break = True
            for p in parts:
                group_break = True
                emit(p * repeat if len(p) == 1 else p, idx, idx)
            repeat = 1
            group_break = True
            continue
        has_words = True
        if k in (_Kind.SEP, _Kind.FILLER):
            close()
            group_break = group_break or k is _Kind.SEP
            continue
        if k is _Kind.REPEAT:
            close()
            repeat = REPEATS[w]
            continue
        if k is _Kind.UNIT:
            u = UNITS[w]
            if repeat > 1:
                close()
                emit(str(u) * repeat, idx - 1, idx)
                repeat = 1
            elif u == 0:
                close()
                emit("0", idx, idx)
            elif cur is not None and cur.mode in (_Mode.TENS, _Mode.AFTER_SCALE_TENS):
                cur.value += u
                cur.last = idx
                close()
            elif cur is not None and cur.mode is _Mode.AFTER_SCALE:
                cur.value += u
                cur.last = idx
                close()
            else:
                close()
                cur = _Open(u, _Mode.UNIT, idx, idx)
        elif k is _Kind.TEEN:
            t = TEENS[w]
            if cur is not None and cur.mode is _Mode.AFTER_SCALE:
                cur.value += t
                cur.last = idx
                close()
            else:
                close()
                cur = _Open(t, _Mode.UNIT, idx, idx)
        elif k is _Kind.TENS:
            t = TENS[w]
            if cur is not None and cur.mode is _Mode.AFTER_SCALE:
                cur.value += t
                cur.last = idx
                cur.mode = _Mode.AFTER_SCALE_TENS
            else:
                close()
                cur = _Open(t, _Mode.TENS, idx, idx)
        elif k is _Kind.SCALE:
            s = SCALES[w]
            if cur is not None and 1 <= cur.value < s and cur.mode is not _Mode.AFTER_SCALE_TENS:
                cur.value *= s
                cur.mode = _Mode.AFTER_SCALE
                cur.last = idx
            elif chunks and chunks[-1].last == idx - 1 and chunks[-1].digits.isdigit() and 1 <= int(chunks[-1].digits) < s:
                prev = chunks.pop()
                cur = _Open(int(prev.digits) * s, _Mode.AFTER_SCALE, prev.first, idx)
                group_break = prev.group_start
            else:
                close()
                cur = _Open(s, _Mode.AFTER_SCALE, idx, idx)
    close()
    if not chunks:
        return None
    plus = words[first].text.startswith("+")
    return NumberRun(first, last, chunks[0].start, chunks[-1].end, tuple(chunks), plus, has_words)


def normalize(text: str) -> str:
    """``text`` with every spoken number written as digits (for display and debugging in tests)."""
    words = tokenize(text)
    out: list[str] = []
    pos = 0
    for run in number_runs(text, words):
        out.append(text[pos:run.start])
        out.append(" ".join(run.groups))
        pos = run.end
    out.append(text[pos:])
    return "".join(out)
