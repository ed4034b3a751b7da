"""Word-level recognizers for ASR text: spoken dates, spoken e-mail addresses, street addresses.

Each finder returns :class:`WordSpan` values (inclusive word indexes); the detector decides the
entity type from the context cue (a date is a DOB only after "born", "date of birth" ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from redaction.spoken import ORDINALS, TENS, NumberRun, Word

MONTHS = frozenset({
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december", "jan", "feb", "apr", "jun", "jul", "aug", "sep", "sept",
    "oct", "nov", "dec",
})
_AMBIGUOUS_MONTHS = frozenset({"may", "march", "jan", "dec"})
TLDS = frozenset({
    "com", "net", "org", "edu", "gov", "io", "co", "us", "uk", "ca", "info", "biz", "me", "ai",
    "app", "dev", "mil", "de", "fr", "au", "in",
})
PROVIDERS = frozenset({
    "gmail", "yahoo", "hotmail", "outlook", "aol", "icloud", "protonmail", "proton", "live", "msn",
    "comcast", "verizon", "att", "mail",
})
EMAIL_JOINERS = frozenset({"dot", "period", "underscore", "dash", "hyphen", "point"})
STREET_SUFFIXES = frozenset({
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive", "dr",
    "court", "ct", "way", "place", "pl", "terrace", "circle", "cir", "parkway", "pkwy", "highway",
    "hwy", "trail", "square", "loop", "crescent", "plaza", "pike", "alley", "expressway", "broadway",
})
DIRECTIONS = frozenset({
    "north", "south", "east", "west", "northeast", "northwest", "southeast", "southwest",
    "n", "s", "e", "w", "ne", "nw", "se", "sw",
})
UNIT_WORDS = frozenset({"apartment", "apt", "unit", "suite", "ste", "#", "number", "no"})
_NOT_STREET_NAME = frozenset({
    "the", "a", "an", "and", "or", "is", "at", "on", "in", "my", "your", "of", "to", "by", "for",
    "i", "we", "it", "this", "that", "was", "be", "one", "way", "um", "uh", "people", "minutes",
    # units used as adjectives: "a 45 minute drive", "a 2 hour walk", "a 5 mile run"
    "minute", "hour", "hours", "second", "seconds", "mile", "miles", "day", "days", "week", "weeks", "year",
    "years", "kilometer", "km", "foot", "feet", "block", "blocks",
})


@dataclass(frozen=True, slots=True)
class WordSpan:
    """Words ``[first, last]`` (inclusive); ``has_day`` for dates (month+year alone is an expiry)."""

    first: int
    last: int
    has_day: bool = True


def _run_starting(runs: list[NumberRun], i: int) -> NumberRun | None:
    for r in runs:
        if r.first == i:
            return r
    return None


def _day_at(words: list[Word], runs: list[NumberRun], j: int) -> tuple[int, NumberRun | None] | None:
    """A day at word ``j``: (last word index, the run if it also holds the year)."""
    if j >= len(words):
        return None
    w = words[j].text
    if w in ORDINALS:
        return j, None
    if w in TENS and j + 1 < len(words) and words[j + 1].text in ORDINALS:
        return j + 1, None
    if w[:-2].isdigit() and w[-2:] in ("st", "nd", "rd", "th") and 1 <= int(w[:-2]) <= 31:
        return j, None
    run = _run_starting(runs, j)
    if run is not None and run.chunks and run.chunks[0].digits.isdigit():
        first = run.chunks[0].digits
        if len(first) <= 2 and 1 <= int(first) <= 31:
            rest = run.digits[len(first):]
            if not rest:
                return run.last, None
            if len(rest) in (2, 4):
                return run.last, run
    return None


def _year_at(runs: list[NumberRun], j: int) -> int | None:
    run = _run_starting(runs, j)
    if run is not None and run.n_digits in (2, 4) and run.digits.isdigit():
        return run.last
    return None


def find_dates(words: list[Word], runs: list[NumberRun]) -> list[WordSpan]:
    """Spoken dates: "march fifth nineteen eighty five", "the 5th of march 1985", "march 2027"."""
    out: list[WordSpan] = []
    n = len(words)
    for i, w in enumerate(words):
        if w.text not in MONTHS:
            continue
        # "the fifth of march [1985]"
        if i >= 2 and words[i - 1].text == "of":
            start = None
            for back in (i - 3, i - 2):
                if back >= 0 and _day_at(words, runs, back) is not None:
                    start = back
                    break
            if start is not None:
                last = i
                year_end = _year_at(runs, i + 1)
                if year_end is not None:
                    last = year_end
                if start > 0 and words[start - 1].text == "the":
                    start -= 1
                out.append(WordSpan(start, last, True))
                continue
        j = i + 1
        if j < n and words[j].text == "the":
            j += 1
        day = _day_at(words, runs, j)
        if day is not None:
            last, with_year = day
            if with_year is None:
                k = last + 1
                if k < n and words[k].text == "of":
                    k += 1
                year_end = _year_at(runs, k)
                if year_end is not None:
                    last = year_end
            out.append(WordSpan(i, last, True))
            continue
        year_end = _year_at(runs, i + 1)
        if year_end is not None and not (w.text in _AMBIGUOUS_MONTHS and words[i + 1].text.isdigit() is False
                                          and _run_starting(runs, i + 1) is None):
            out.append(WordSpan(i, year_end, False))
    return out


def _local_word(w: str) -> bool:
    return any(ch.isalnum() for ch in w) and w not in ("is", "email", "e-mail", "address", "me", "my", "at")


def find_spoken_emails(words: list[Word]) -> list[WordSpan]:
    """ "john dot smith at example dot com", "jsmith eighty five at gmail" ... """
    out: list[WordSpan] = []
    n = len(words)
    for i, w in enumerate(words):
        if w.text != "at" or i == 0 or i + 1 >= n:
            continue
        # domain: label (dot label)* with a known TLD at the end, or a known provider
        k = i + 1
        if not words[k].text.isalnum():
            continue
        last = k
        labels = [words[k].text]
        while last + 2 < n and words[last + 1].text in ("dot", "period", "point") and words[last + 2].text.isalnum():
            last += 2
            labels.append(words[last].text)
        if not ((len(labels) >= 2 and labels[-1] in TLDS) or labels[0] in PROVIDERS):
            continue
        # local part: word ((dot|underscore|dash) word)*, numbers glued to the last word
        j = i - 1
        if not _local_word(words[j].text):
            continue
        first = j
        while True:
            # glue "smith 85", "smith eighty five": alphanumeric words right before
            if first - 1 >= 0 and words[first - 1].text in EMAIL_JOINERS and first - 2 >= 0 and _local_word(words[first - 2].text):
                first -= 2
                continue
            if (first - 1 >= 0 and (words[first].text.isdigit() or words[first].text in TENS or words[first].text in ORDINALS
                                    or words[first].text in _NUMBER_WORDS)
                    and _local_word(words[first - 1].text)):
                first -= 1
                continue
            break
        if first - 1 >= 0 and len(words[first - 1].text) == 1 and words[first - 1].text.isalpha() \
                and words[first - 1].text not in ("a", "i"):
            first -= 1  # an initial: "m garcia at ..."
        out.append(WordSpan(first, last))
    return out


_NUMBER_WORDS = frozenset({
    "zero", "oh", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
    "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
})


def _street_name_word(w: str) -> bool:
    if w in _NOT_STREET_NAME:
        return False
    if w.isalpha():
        return True
    return w[:-2].isdigit() and w[-2:] in ("st", "nd", "rd", "th")


def find_addresses(words: list[Word], runs: list[NumberRun]) -> list[WordSpan]:
    """Street addresses: house number, one to three name words, a suffix, then a unit if any."""
    out: list[WordSpan] = []
    ends = {r.last: r for r in runs}
    n = len(words)
    for s, w in enumerate(words):
        if w.text not in STREET_SUFFIXES:
            continue
        found: NumberRun | None = None
        for gap in (1, 2, 3, 4):
            e = s - gap - 1
            if e < 0:
                break
            if not all(_street_name_word(words[m].text) or words[m].text in DIRECTIONS for m in range(e + 1, s)):
                break
            run = ends.get(e)
            if run is not None and 1 <= run.n_digits <= 6:
                found = run
                break
        if found is None:
            continue
        last = s
        if last + 1 < n and words[last + 1].text in DIRECTIONS:
            last += 1
        if last + 2 < n and words[last + 1].text in UNIT_WORDS:
            unit_run = _run_starting(runs, last + 2)
            if unit_run is not None:
                last = unit_run.last
                if last + 1 < n and len(words[last + 1].text) == 1 and words[last + 1].text.isalpha():
                    last += 1
            elif len(words[last + 2].text) <= 3 and words[last + 2].text.isalnum():
                last += 2
        first = found.first
        # spoken house numbers may carry a leading chunk of a longer run ("my zip is ... 12 main")
        out.append(WordSpan(first, last))
    return out
