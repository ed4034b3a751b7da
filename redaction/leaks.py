"""Find a caller's secret digits in text, however they are written: the egress check and its measure.

A leak is text that holds more of a secret's digits, in order, than the last-four rule allows,
whatever separates them: "4111 1111", "4 1 1 1 - 1 1 1 1", "four one one one one", "double one"
and JSON punctuation between two messages all count. Tokens (``[CREDIT_CARD_1]``) are not digits.

:func:`digit_stream` turns text into its digits with the character span each came from;
:func:`leak_spans` finds the stretches that give a secret away; :func:`longest_leak` measures.
"""

from __future__ import annotations

from dataclasses import dataclass

from redaction.speakable import TOKEN_RE
from redaction.spoken import number_runs, tokenize

LAST_FOUR = 4


@dataclass(frozen=True, slots=True)
class Digit:
    """One digit of the text and the characters ``[start, end)`` that said it."""

    digit: str
    start: int
    end: int


def _mask_tokens(text: str) -> str:
    return TOKEN_RE.sub(lambda m: " " * len(m.group(0)), text)


def digit_stream(text: str) -> list[Digit]:
    """Every digit said in ``text``, in order: digit characters and number words ("oh", "double")."""
    masked = _mask_tokens(text)
    words = tokenize(masked)
    out: list[Digit] = []
    in_run: set[int] = set()
    for run in number_runs(masked, words):
        in_run.update(range(run.first, run.last + 1))
        for c in run.chunks:
            out.extend(Digit(ch, c.start, c.end) for ch in c.digits if ch.isdigit())
    for i, w in enumerate(words):
        if i not in in_run:
            out.extend(Digit(ch, w.start + k, w.start + k + 1) for k, ch in enumerate(w.raw) if ch.isdigit())
    out.sort(key=lambda d: d.start)
    # digits glued in one word keep their order; a stable sort by start keeps chunk order too
    return out


def _match_lengths(stream: str, secret: str) -> list[tuple[int, int, int]]:
    """For each stream position, the longest stretch that is a substring of ``secret``:
    ``(stream_start, length, secret_start)`` with the largest length found."""
    out: list[tuple[int, int, int]] = []
    n, m = len(stream), len(secret)
    for i in range(n):
        best, where = 0, -1
        for j in range(m):
            k = 0
            while i + k < n and j + k < m and stream[i + k] == secret[j + k]:
                k += 1
            if k > best:
                best, where = k, j
        if best:
            out.append((i, best, where))
    return out


def disallowed(stretch: str, secret: str, *, last_four_ok: bool) -> bool:
    """Whether this stretch of the secret's digits may not appear: more than the last-four rule allows."""
    if len(secret) < 3:
        return False  # one or two digits cannot be told from any other number
    if len(stretch) >= len(secret):
        return True
    if len(stretch) > LAST_FOUR:
        return True
    if len(stretch) == LAST_FOUR:
        return not (last_four_ok and stretch == secret[-LAST_FOUR:])
    return False


def leak_spans(text: str, secret: str, *, last_four_ok: bool) -> list[tuple[int, int]]:
    """Character spans of ``text`` whose digits give ``secret`` away (merged, in order)."""
    stream = digit_stream(text)
    s = "".join(d.digit for d in stream)
    spans: list[tuple[int, int]] = []
    for i, length, _ in _match_lengths(s, secret):
        stretch = s[i:i + length]
        if disallowed(stretch, secret, last_four_ok=last_four_ok):
            spans.append((stream[i].start, stream[i + length - 1].end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def longest_leak(text: str, secret: str, *, last_four_ok: bool) -> int:
    """The longest disallowed stretch of ``secret`` in ``text`` (0: none)."""
    s = "".join(d.digit for d in digit_stream(text))
    best = 0
    for i, length, _ in _match_lengths(s, secret):
        if disallowed(s[i:i + length], secret, last_four_ok=last_four_ok):
            best = max(best, length)
    return best
