"""Redaction measurements: recall, precision and leak rate per entity type on the labelled corpus
(synthetic values) and the hand-written held-out set, and FSDD numbers spoken by real voices,
recognized by the project's ASR, then redacted, broken down by speaker accent.

The FSDD run is :func:`redaction.fsdd.run_fsdd_cases` unchanged. It reports shares by number kind and
by how the number was split; the per-speaker breakdown is rebuilt here: the cases are regenerated
from the same seed (``make_cases`` draws first), the transcriber wrapper knows how many utterances
each case has and redacts each transcript again in its own per-case redactor, exactly as the run
does. The rebuilt overall share must equal the run's own, or the measurement stops.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from redaction.evaluate import EvalResult, evaluate
from redaction.fsdd import CONTEXT, FsddCase, leaks_digits, make_cases, run_fsdd_cases
from redaction.heldout import build_heldout
from redaction.redactor import CallRedactor
from voice.asr.engine import AsrEngine
from voice.asr.fsdd import speakers as fsdd_speakers
from voice.audio import resample
from voice.cards.exceptions import MeasurementError
from voice.cards.stats import Count, proportion, proportion_gap, r4

FSDD_SEED = 7  # run_fsdd_cases' default
PER_KIND_FULL = 10
PER_KIND_QUICK = 4


def _utterances(case: FsddCase) -> int:
    """How many utterances ``run_fsdd_cases`` speaks for ``case`` (one, two halves, or its groups)."""
    return {"one": 1, "two": 2}.get(case.mode, len(case.groups))


@dataclass
class _CaseTracker:
    """A transcriber ``(pcm, rate) -> text`` on the project's AsrEngine that also scores each case."""

    engine: AsrEngine
    cases: list[FsddCase]
    tick: Callable[[], None]
    clean: list[bool] = field(default_factory=list)
    _index: int = 0
    _left: int = 0
    _state: CallRedactor | None = None

    def _next_case(self) -> None:
        case = self.cases[self._index]
        self.tick()
        self._state = CallRedactor(call_id=f"fsdd-{self._index}")
        self.clean.append(not leaks_digits(self._state.redact(CONTEXT[case.kind]).text))
        self._left = _utterances(case)

    def __call__(self, pcm: npt.NDArray[np.float32], rate: int) -> str:
        if self._left == 0:
            self._next_case()
        text = self.engine.transcribe(resample(pcm, rate, 16000)).text
        assert self._state is not None
        if leaks_digits(self._state.redact(text).text):
            self.clean[-1] = False
        self._left -= 1
        if self._left == 0:
            self._index += 1
        return text


def fsdd_work(per_kind: int) -> int:
    """Cases of one FSDD run (3 kinds x 3 ways of splitting per draw)."""
    return per_kind * 9


def measure_fsdd(engine: AsrEngine, shared: Path, *, per_kind: int, tick: Callable[[], None]) -> dict[str, Any]:
    fsdd = shared / "audio" / "fsdd"
    names = sorted({p.name.split("_")[1] for p in fsdd.glob("*_*_*.wav")})
    cases = make_cases(random.Random(FSDD_SEED), names, per_kind)
    tracker = _CaseTracker(engine, cases, tick)
    result = run_fsdd_cases(tracker, shared, per_kind=per_kind, seed=FSDD_SEED, progress=False)
    if len(tracker.clean) != result.cases or abs(sum(tracker.clean) / result.cases - result.share) > 1e-12:
        raise MeasurementError("per-speaker FSDD breakdown does not reproduce run_fsdd_cases' share")
    accent = {name: meta.get("accent", "unknown") for name, meta in fsdd_speakers(fsdd).items()}

    def groups(key: str) -> dict[str, Count]:
        out: dict[str, Count] = {}
        for case, ok in zip(cases, tracker.clean, strict=True):
            g = accent.get(case.speaker, "unknown") if key == "accent" else str(getattr(case, key))
            c = out.get(g, Count(0, 0))
            out[g] = Count(c.k + ok, c.n + 1)
        return dict(sorted(out.items()))

    by_accent = groups("accent")
    return {
        "cases": result.cases,
        "per_kind": per_kind,
        "seed": FSDD_SEED,
        "split": result.split,
        "tokenized": proportion(sum(tracker.clean), result.cases),
        "by_accent": {g: proportion(c.k, c.n) for g, c in by_accent.items()},
        "by_speaker": {g: proportion(c.k, c.n) for g, c in groups("speaker").items()},
        "by_kind": {g: proportion(c.k, c.n) for g, c in groups("kind").items()},
        "by_mode": {g: proportion(c.k, c.n) for g, c in groups("mode").items()},
        "accent_gap": proportion_gap(by_accent),
    }


def _scores(result: EvalResult) -> dict[str, Any]:
    types: dict[str, Any] = {}
    for t in result.recall:
        support = result.support[t]
        found = round(result.recall[t] * support)
        misses = Counter(m.kind for m in result.misses if m.type == t)
        types[t] = {
            "recall": proportion(found, support),
            "precision": r4(result.precision[t]),
            "leak_rate": r4(result.leak_rate[t]),
            "misses": dict(sorted(misses.items())),
            "miss_dialogs": sorted({m.dialog for m in result.misses if m.type == t}),
        }
    gold = sum(result.support.values())
    found = sum(round(result.recall[t] * result.support[t]) for t in result.recall)
    return {"utterances": result.utterances, "entities": gold, "recall": proportion(found, gold), "types": types}


def measure_corpus() -> dict[str, Any]:
    return {"corpus": _scores(evaluate()), "heldout": _scores(evaluate(build_heldout()))}
