"""A decode that stopped early: Whisper can end at a sentence's full stop with speech still to come.

tiny.en decodes the card_number fixture's first turn (6.1 s of voiced audio in five stretches: "I'd
like to pay my bill. My card number is five two zero zero, eight two eight two, ...") as "I'd like to
pay my bill." and nothing more; ssn_8k loses "My social security number is ..." the same way. The
words are simply missing, so the caller's request goes half-heard (and the concierge may transfer
before a number is finished). Word alignment does not show it: it stretches the last word to the end.

What does show it is the rate. Over every fixture turn (screened and blind) and the shared speech
recordings (87 utterances), a complete transcript of two or more voiced stretches holds at least
2.54 words or digits per second of voiced audio (jfk.flac, one stretch, 2.01), while those that
stopped early hold 0.98-1.27 (card_number, ssn_8k cut as the fixtures give them) and 1.96
(split_number_8k's first turn as the pipeline cut it: "I want to pay my bill with a card.", with
"The number is six zero one one, zero zero zero nine" lost). So a turn of two or more voiced
stretches (pauses of 200 ms or more between them) whose transcript holds under
:data:`MIN_UNITS_PER_S` is decoded again one stretch at a time, and that transcript is kept when it
holds :data:`GAIN` times as many words and digits. A turn above the rate costs nothing more; one
below it that was complete costs one more batched decode and keeps its first transcript.

    spans = suspect(text, x)              # None, or the voiced stretches to decode one by one
    if spans and recovered_better(text, texts_of_spans): ...
"""

from __future__ import annotations

import re

from voice.asr.audio import SAMPLE_RATE, FloatArray
from voice.asr.numbers import SegmentPolicy, voiced_segments

MIN_UNITS_PER_S = 2.3  # complete transcripts of 2+ stretches: >= 2.54; early stops: 0.98-1.96
GAIN = 1.5  # the stretch-by-stretch transcript must hold this many times the words and digits
PAD = 1600  # 100 ms of audio kept around each stretch
MAX_SPANS = 12
PAUSES = SegmentPolicy(min_gap_ms=200)
_UNIT = re.compile(r"[a-z']+|\d")


def units(text: str) -> int:
    """Words and digits ("5200" is four: a number read out is that many spoken words)."""
    return len(_UNIT.findall(text.lower()))


def suspect(text: str, x: FloatArray) -> list[tuple[int, int]] | None:
    """The voiced stretches of ``x`` (padded sample offsets) when its transcript ``text`` looks cut
    short; None when it does not."""
    spans = voiced_segments(x, PAUSES)
    if not 2 <= len(spans) <= MAX_SPANS:
        return None
    voiced_s = sum(b - a for a, b in spans) / SAMPLE_RATE
    if units(text) >= MIN_UNITS_PER_S * voiced_s:
        return None
    return [(max(0, a - PAD), min(len(x), b + PAD)) for a, b in spans]


def recovered_better(whole: str, pieces: list[str]) -> bool:
    """Keep the stretch-by-stretch transcript only when it heard clearly more."""
    return units(" ".join(pieces)) >= GAIN * max(1, units(whole))
