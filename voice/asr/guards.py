"""Guards against Whisper's two classic failures: repetition loops and text invented on silence."""

from __future__ import annotations

import math

MAX_PERIOD = 16


def token_budget(duration_s: float, *, per_second: float, base: int) -> int:
    """Most tokens a real utterance of ``duration_s`` can need (fast speech is ~5 tokens/s)."""
    return base + math.ceil(per_second * duration_s)


def find_loop(ids: list[int], *, min_repeats: int = 3) -> tuple[int, int] | None:
    """Earliest (start, period) where a unit of ``period`` tokens repeats ``min_repeats``+ times in a row
    and runs to the end of ``ids`` (a loop that did not stop)."""
    n = len(ids)
    best: tuple[int, int] | None = None
    for period in range(1, min(MAX_PERIOD, n // min_repeats) + 1):
        # walk back from the end while ids[i] == ids[i + period]
        i = n - period - 1
        while i >= 0 and ids[i] == ids[i + period]:
            i -= 1
        start = i + 1
        if (n - start) // period >= min_repeats and (best is None or start < best[0]):
            best = (start, period)
    return best


def first_repeat(ids: list[int], *, n: int = 4, min_count: int = 3) -> int | None:
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
    """Cut a decoding loop, keeping the text before the loop's second copy.

    When decoding hit the token budget (``truncated``: it never produced end-of-text), the output is
    cut where a 4-token sequence seen 3+ times first comes back (or at the start of a trailing unit
    repeated 3+ times). Without truncation only a trailing run of ``long_run``+ tokens of one repeated
    unit is cut, so short legitimate repeats ("0, 0, 0, 0" in a PIN) are kept.
    """
    if truncated:
        cut = first_repeat(ids)
        if cut is not None:
            return ids[:cut], True
    loop = find_loop(ids)
    if loop is None:
        return ids, False
    start, period = loop
    if not truncated and len(ids) - start < long_run:
        return ids, False
    return ids[: start + period], True


def is_no_speech(
    no_speech_prob: float, avg_logprob: float, *, threshold: float, logprob_threshold: float
) -> bool:
    """Whisper's rule: likely no speech, and the text is not confidently decoded anyway."""
    return no_speech_prob > threshold and avg_logprob < logprob_threshold
