"""Scoring helpers: binomial confidence intervals and counts per group (edit distances: ``jiwer``, see
:mod:`voice.asr.textnorm`)."""

from __future__ import annotations

import math
from dataclasses import dataclass


def wilson_interval(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion (sound for small n and for p near 0 or 1)."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(slots=True)
class Tally:
    """Correct/total counts for one group, with its accuracy and 95% interval."""

    correct: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.correct += int(ok)
        self.total += 1

    def as_dict(self) -> dict[str, object]:
        lo, hi = wilson_interval(self.correct, self.total)
        acc = self.correct / self.total if self.total else 0.0
        return {
            "n": self.total,
            "correct": self.correct,
            "accuracy": round(acc, 4),
            "ci95": [round(lo, 4), round(hi, 4)],
        }
