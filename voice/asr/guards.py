"""Guards against Whisper's two classic failures: repetition loops and text invented on silence."""

from __future__ import annotations

import math

MAX_PERIOD = 16


def token_budget(duration_s: float, *, per_second: float, base: int) -> int:
    """Most tokens a real utterance of ``duration_s`` can need (fast speech is ~5 tokens/s)."""
    return base + math.ceil(per_second * duration_s)


def find_loop(ids: list[int], *, min_repeats: float = 2.0) -> tuple[int, int] | None:
    """Earliest (start, period) from which ``ids`` repeats with ``period`` tokens to its end, covering
    more than ``min_repeats`` periods (a loop still running when decoding stopped)."""
    n = len(ids)
    best: tuple[int, int] | None = None
    for period in range(1, min(MAX_PERIOD, n // 2) + 1):
        i = n - period - 1  # walk back from the end while ids[i] == ids[i + period]
        while i >= 0 and ids[i] == ids[i + period]:
            i -= 1
        start = i + 1
        if (n - start) > min_repeats * period and (best is None or start < best[0]):
            best = (start, period)
    return best


def first_repeat(ids: list[int], *, n: int = 4, min_count: int = 2) -> int | None:
    """Index where an ``n``-token sequence that occurs ``min_count``+ times first occurs again."""
    counts: dict[tuple[int, ...], int] = {}
    for i in range(len(ids) - n + 1):
        gram = tuple(ids[i : i + n])
        counts[gram] = counts.get(gram, 0) + 1
    seen: set[tuple[int, ...]] = set()
    for i in range(len(ids) - n + 1):
        gram = tuple(ids[i : i + n])
        if gram in seen and counts[gram] >= min_count:
            return i
        seen.add(gram)
    return None


def cut_repetition(ids: list[int], *, truncated: bool, long_run: int = 30) -> tuple[list[int], bool]:
    """Cut a decoding loop, keeping one copy of the looping text.

    When decoding hit the token budget (``truncated``: it never produced end-of-text), the output is
    cut where a 4-token sequence first comes back. Otherwise the output is cut when it ends in a unit
    of 4+ tokens repeated more than twice ("X. X. X..."), or in a run of ``long_run``+ tokens of any
    repeated unit. Short or twice-said repeats ("0, 0, 0, 0"; a number said twice) are kept.
    """
    if truncated:
        cut = first_repeat(ids)
        if cut is not None:
            return ids[:cut], True
    loop = find_loop(ids)
    if loop is None:
        return ids, False
    start, period = loop
    if truncated or period >= 4 or len(ids) - start >= long_run:
        return ids[: start + period], True
    return ids, False


def is_no_speech(
    no_speech_prob: float, avg_logprob: float, *, threshold: float, logprob_threshold: float
) -> bool:
    """Whisper's rule: likely no speech, and the text is not confidently decoded anyway."""
    return no_speech_prob > threshold and avg_logprob < logprob_threshold
