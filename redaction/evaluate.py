"""Scores on the labelled corpus: leak rate (share of sensitive characters that reach the brain),
recall and precision per entity type, and latency per utterance."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from redaction.corpus import Dialog, Label, build_corpus
from redaction.entities import EntityRecord, EntityType
from redaction.redactor import CallRedactor


@dataclass(slots=True)
class _Tally:
    chars: int = 0
    leaked: int = 0
    gold: int = 0
    found: int = 0
    predicted: int = 0
    correct: int = 0


@dataclass(slots=True)
class Miss:
    """One error, for development: dialog id, utterance index, what went wrong."""

    dialog: str
    utterance: int
    kind: str
    type: str
    text: str


@dataclass(slots=True)
class EvalResult:
    leak_rate: dict[str, float]
    recall: dict[str, float]
    precision: dict[str, float]
    support: dict[str, int]
    utterances: int
    misses: list[Miss] = field(default_factory=list)
    fail_closed_tokens: int = 0  # NUMBER tokens: digits nothing said were harmless
    fail_closed_on_harmless: int = 0  # ... of which on numbers no label marks sensitive (the cost)

    def as_dict(self) -> dict[str, object]:
        return {"leak_rate": self.leak_rate, "recall": self.recall, "precision": self.precision,
                "support": self.support, "utterances": self.utterances,
                "fail_closed": {"tokens": self.fail_closed_tokens, "on_harmless": self.fail_closed_on_harmless}}


def _alnum_positions(text: str, start: int, end: int) -> list[int]:
    return [i for i in range(start, end) if text[i].isalnum()]


def _covered(pos: int, ents: Iterable[EntityRecord], typ: EntityType | None = None) -> bool:
    return any(e.source_start <= pos < e.source_end and (typ is None or e.type is typ) for e in ents)


def evaluate(corpus: list[Dialog] | None = None, *, use_ner: bool = True) -> EvalResult:
    """Run every dialog through a fresh :class:`CallRedactor` and score it."""
    corpus = corpus if corpus is not None else build_corpus()
    tallies: dict[EntityType, _Tally] = {t: _Tally() for t in EntityType}
    misses: list[Miss] = []
    n_utt = 0
    for dialog in corpus:
        state = CallRedactor(use_ner=use_ner, call_id=dialog.id)
        for ui, utt in enumerate(dialog.utterances):
            n_utt += 1
            ents = state.redact(utt.text).entities
            for lab in utt.labels:
                tal = tallies[lab.type]
                pos = _alnum_positions(utt.text, lab.start, lab.end)
                leaked = [p for p in pos if not _covered(p, ents)]
                tal.chars += len(pos)
                tal.leaked += len(leaked)
                tal.gold += 1
                if all(_covered(p, ents, lab.type) or _covered(p, ents, EntityType.NUMBER) for p in pos):
                    tal.found += 1  # a piece tokenized as NUMBER (fail closed) is caught, type unknown
                else:
                    misses.append(Miss(dialog.id, ui, "leak" if leaked else "missed", lab.type.value, utt.text))
            for e in ents:
                tal = tallies[e.type]
                tal.predicted += 1
                if _matches(utt.text, e, utt.labels if e.type is not EntityType.NUMBER
                            else tuple(lab for lab in utt.labels if lab.type.is_numeric)):
                    tal.correct += 1
                else:
                    misses.append(Miss(dialog.id, ui, "false positive", e.type.value, utt.text))
    used = [t for t in EntityType if (tallies[t].gold or tallies[t].predicted) and t is not EntityType.NUMBER]
    return EvalResult(
        leak_rate={t.value: (tallies[t].leaked / tallies[t].chars if tallies[t].chars else 0.0) for t in used},
        recall={t.value: (tallies[t].found / tallies[t].gold if tallies[t].gold else 0.0) for t in used},
        precision={t.value: (tallies[t].correct / tallies[t].predicted if tallies[t].predicted else 1.0)
                   for t in used},
        support={t.value: tallies[t].gold for t in used},
        utterances=n_utt,
        misses=misses,
        fail_closed_tokens=tallies[EntityType.NUMBER].predicted,
        fail_closed_on_harmless=tallies[EntityType.NUMBER].predicted - tallies[EntityType.NUMBER].correct,
    )


def _matches(text: str, e: EntityRecord, labels: tuple[Label, ...]) -> bool:
    for lab in labels:
        if (lab.type is e.type or e.type is EntityType.NUMBER) and any(
            text[i].isalnum() for i in range(max(lab.start, e.source_start), min(lab.end, e.source_end))
        ):
            return True
    return False


@dataclass(frozen=True, slots=True)
class BenchResult:
    """Wall-clock and CPU (thread) time per utterance; on a loaded machine the CPU figures are
    the redactor's own cost, the wall figures include waiting for a core."""

    p50_ms: float
    p95_ms: float
    cpu_p50_ms: float
    cpu_p95_ms: float
    utterances: int
    max_words: int


def bench(corpus: list[Dialog] | None = None, *, rounds: int = 3, max_words: int = 30) -> BenchResult:
    """Latency per utterance (<= ``max_words`` words) through a per-dialog redactor, after warm-up."""
    corpus = corpus if corpus is not None else build_corpus()
    warm = CallRedactor()
    for d in corpus[:50]:
        for u in d.utterances:
            warm.redact(u.text)
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(rounds):
        for dialog in corpus:
            state = CallRedactor(call_id=dialog.id)
            for u in dialog.utterances:
                if len(u.text.split()) > max_words:
                    continue
                t0 = time.perf_counter()
                c0 = time.thread_time()
                state.redact(u.text)
                cpu.append((time.thread_time() - c0) * 1000.0)
                times.append((time.perf_counter() - t0) * 1000.0)
    times.sort()
    cpu.sort()

    def p95(xs: list[float]) -> float:
        return round(xs[int(0.95 * (len(xs) - 1))], 3)

    return BenchResult(
        p50_ms=round(statistics.median(times), 3),
        p95_ms=p95(times),
        cpu_p50_ms=round(statistics.median(cpu), 3),
        cpu_p95_ms=p95(cpu),
        utterances=len(times),
        max_words=max_words,
    )


ZERO_LEAK = ("CREDIT_CARD", "CVV", "SSN")
TEXT_TYPES = ("PERSON", "ADDRESS", "EMAIL")


def target_failures(result: EvalResult, fsdd_share: float | None = None, p95_ms: float | None = None) -> list[str]:
    """The issue's targets that ``result`` misses (empty when all are met)."""
    bad: list[str] = []
    for t in ZERO_LEAK:
        if result.leak_rate.get(t, 0.0) > 0.0:
            bad.append(f"leak rate {t}")
    for t, r in result.recall.items():
        if r < (0.90 if t in TEXT_TYPES else 0.98):
            bad.append(f"recall {t}")
    for t, p in result.precision.items():
        if t != EntityType.NUMBER.value and p < 0.90:  # NUMBER is the fail-closed cost, reported apart
            bad.append(f"precision {t}")
    if fsdd_share is not None and fsdd_share < 0.97:
        bad.append("fsdd_numbers_tokenized")
    if p95_ms is not None and p95_ms > 10.0:
        bad.append("p95_ms")
    return bad
