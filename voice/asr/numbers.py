"""What telephony knows about a spoken number, used as evidence when choosing among the decoder's
hypotheses for a numeric turn (the ``digits`` hints, or a turn that ``auto_digits`` found numeric).

- Digit count from the audio: callers pause between digits or digit groups, so the voiced segments of
  the turn (:func:`voiced_segments`, an energy detector on 10 ms frames) give a lower bound on how many
  digits were said in most turns. Whisper's usual error on digit strings is a dropped digit ("5, 5, 9"
  for "5 5 5 9"); a hypothesis of the beam that holds as many digits as there are segments is then
  preferred (:func:`choose`).
- A check digit: among hypotheses of a card-length number (13-19 digits), a Luhn-valid one is preferred
  to the decoder's first choice (a wrong digit makes the checksum fail nine times in ten).
- A known length (``digits:N``): a hypothesis with exactly N digits is preferred.
- Digit by digit: when even the chosen hypothesis holds fewer digits than the turn has voiced segments,
  each segment is decoded on its own and a digit heard in a segment that the whole-turn decode skipped
  is put back (:func:`fill_dropped`); digits both decodes heard are kept as the whole-turn decode has
  them (alone, a segment lacks the context that makes Whisper accurate).

Segment settings were chosen on FSDD tuning takes (0-24): relative -35 dB, gaps of 90 ms, segments of
at least 150 ms counted 196 of 200 four-digit sequences exactly and never counted too many (a count too
high would add a digit; one too low only leaves the decode as it is).

Evidence only reorders what the decoder proposed; it never invents a digit.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from redaction.checksums import luhn_valid
from voice.asr.audio import FloatArray, frame_dbfs

FRAME = 160  # 10 ms at 16 kHz
MAX_SEGMENTS = 24  # more voiced segments than this is not a digit string read with pauses


@dataclass(frozen=True, slots=True, kw_only=True)
class SegmentPolicy:
    """Voiced segments: frames within ``relative_db`` of the loudest frame (and above ``floor_dbfs``),
    joined across gaps shorter than ``min_gap_ms``, kept when at least ``min_voiced_ms`` long."""

    relative_db: float = -35.0
    floor_dbfs: float = -55.0
    min_gap_ms: int = 90
    min_voiced_ms: int = 150


def voiced_segments(x: FloatArray, policy: SegmentPolicy | None = None) -> list[tuple[int, int]]:
    """(start, end) sample offsets of the voiced segments of ``x`` (mono 16 kHz)."""
    p = policy or SegmentPolicy()
    if len(x) < FRAME:
        return []
    db = frame_dbfs(x, FRAME)
    on = db >= max(float(db.max()) + p.relative_db, p.floor_dbfs)
    edges = np.flatnonzero(np.diff(np.concatenate(([0], on.astype(np.int8), [0]))))
    runs = [[int(a), int(b)] for a, b in zip(edges[::2], edges[1::2], strict=True)]
    merged: list[list[int]] = []
    for run in runs:
        if merged and (run[0] - merged[-1][1]) * 10 < p.min_gap_ms:
            merged[-1][1] = run[1]
        else:
            merged.append(run)
    return [(a * FRAME, b * FRAME) for a, b in merged if (b - a) * 10 >= p.min_voiced_ms]


def choose(digit_strings: Sequence[str], *, expected: int | None = None, segments: int | None = None) -> int:
    """Index of the hypothesis to keep; ``digit_strings`` are in the decoder's order (best first).

    A known length (``expected``) wins; else, when the first hypothesis holds fewer digits than there
    are voiced ``segments``, the first that holds exactly that many; then, among card-length strings, the
    first Luhn-valid one if the first choice is not; else the decoder's first choice.
    """
    if not digit_strings:
        return 0
    if expected is not None:
        return next((i for i, d in enumerate(digit_strings) if len(d) == expected), 0)
    best = 0
    if segments is not None and len(digit_strings[0]) < segments:
        best = next((i for i, d in enumerate(digit_strings) if len(d) == segments), 0)
    first = digit_strings[best]
    if 13 <= len(first) <= 19 and not luhn_valid(first):
        same = [i for i, d in enumerate(digit_strings) if len(d) == len(first) and luhn_valid(d)]
        if same:
            return same[0]
    return best


def fill_dropped(whole: str, per_segment: str) -> str:
    """``whole`` with the digits that only ``per_segment`` has inserted where they align.

    Where the two strings disagree on a digit, ``whole`` is kept; only insertions are taken over.
    """
    out: list[str] = []
    matcher = difflib.SequenceMatcher(a=whole, b=per_segment, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "insert":
            out.append(per_segment[b0:b1])
        elif op == "replace" and (b1 - b0) > (a1 - a0):
            out.append(whole[a0:a1] + per_segment[b0 + (a1 - a0) : b1])
        else:
            out.append(whole[a0:a1])
    return "".join(out)
