"""Confidence intervals for the model cards: Wilson for proportions, Newcombe for the difference of
two proportions (the bias gap), a seeded percentile bootstrap for WER (errors / words over utterances).

Every function is deterministic (the bootstrap takes its seed), so a regenerated card repeats each
interval to the last digit.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from voice.asr.metrics import wilson_interval

BOOTSTRAP_ROUNDS = 2000
BOOTSTRAP_SEED = 8


def r4(x: float) -> float:
    return round(x, 4)


def proportion(successes: int, n: int) -> dict[str, object]:
    """``{"n", "k", "p", "ci95"}`` of a proportion with its 95% Wilson interval."""
    lo, hi = wilson_interval(successes, n)
    return {"n": n, "k": successes, "p": r4(successes / n if n else 0.0), "ci95": [r4(lo), r4(hi)]}


def newcombe_difference(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float]:
    """95% interval of p1 - p2 by Newcombe's hybrid score method (method 10, 1998), from the two Wilson
    intervals; sound for small groups and for proportions near 0 or 1, unlike the Wald interval."""
    p1 = k1 / n1 if n1 else 0.0
    p2 = k2 / n2 if n2 else 0.0
    l1, u1 = wilson_interval(k1, n1)
    l2, u2 = wilson_interval(k2, n2)
    d = p1 - p2
    lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return (max(-1.0, lower), min(1.0, upper))


@dataclass(frozen=True, slots=True)
class Count:
    """Successes out of trials for one group."""

    k: int
    n: int


def proportion_gap(groups: Mapping[str, Count]) -> dict[str, object]:
    """Best minus worst group (by proportion; ties: the larger group is best, the smaller worst) with the
    Newcombe 95% interval."""
    rated = [(c.k / c.n, c.n, name) for name, c in groups.items() if c.n]
    if len(rated) < 2:
        return {"best": None, "worst": None, "gap": 0.0, "ci95": [0.0, 0.0]}
    best = min(rated, key=lambda r: (-r[0], -r[1], r[2]))[2]  # ties: the larger group, then by name
    worst = min(rated, key=lambda r: (r[0], r[1], r[2]))[2]  # ties: the smaller group, then by name
    b, w = groups[best], groups[worst]
    lo, hi = newcombe_difference(b.k, b.n, w.k, w.n)
    return {"best": best, "worst": worst, "gap": r4(b.k / b.n - w.k / w.n), "ci95": [r4(lo), r4(hi)]}


@dataclass(frozen=True, slots=True)
class Scored:
    """Word errors and reference words of one utterance."""

    errors: int
    words: int


def wer(items: Sequence[Scored]) -> float:
    words = sum(i.words for i in items)
    return sum(i.errors for i in items) / words if words else 0.0


def bootstrap_wer(items: Sequence[Scored], *, seed: int = BOOTSTRAP_SEED,
                  rounds: int = BOOTSTRAP_ROUNDS) -> tuple[float, float]:
    """95% percentile bootstrap interval of corpus WER, resampling utterances (seeded)."""
    if not items:
        return (0.0, 0.0)
    rng = random.Random(seed)
    n = len(items)
    stats = sorted(wer([items[rng.randrange(n)] for _ in range(n)]) for _ in range(rounds))
    return (stats[int(0.025 * (rounds - 1))], stats[int(math.ceil(0.975 * (rounds - 1)))])


def wer_summary(items: Sequence[Scored], *, seed: int = BOOTSTRAP_SEED) -> dict[str, object]:
    """``{"utterances", "errors", "words", "wer", "ci95"}`` with the bootstrap interval."""
    lo, hi = bootstrap_wer(items, seed=seed)
    return {
        "utterances": len(items),
        "errors": sum(i.errors for i in items),
        "words": sum(i.words for i in items),
        "wer": r4(wer(items)),
        "ci95": [r4(lo), r4(hi)],
    }


def wer_gap(a: Sequence[Scored], b: Sequence[Scored], *, seed: int = BOOTSTRAP_SEED,
            rounds: int = BOOTSTRAP_ROUNDS) -> dict[str, object]:
    """WER(b) - WER(a) for paired utterances (same texts, two conditions) with a paired bootstrap
    95% interval (the same utterances are drawn for both conditions in each round)."""
    if len(a) != len(b) or not a:
        raise ValueError("paired WER gap needs two equally long, non-empty lists")
    rng = random.Random(seed)
    n = len(a)
    diffs = []
    for _ in range(rounds):
        idx = [rng.randrange(n) for _ in range(n)]
        diffs.append(wer([b[i] for i in idx]) - wer([a[i] for i in idx]))
    diffs.sort()
    lo, hi = diffs[int(0.025 * (rounds - 1))], diffs[int(math.ceil(0.975 * (rounds - 1)))]
    return {"gap": r4(wer(b) - wer(a)), "ci95": [r4(lo), r4(hi)]}
