"""Retrieval over the workspace FAQ (``brain.faq``: a list of ``{q, a}``).

The answer always quotes an FAQ entry verbatim; when nothing matches well enough the
knowledge base says it does not know rather than invent (:data:`DONT_KNOW`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from concierge.textmatch import content_stems, trigram_similarity

DONT_KNOW = "I'm sorry, I don't know the answer to that."
_INTERROGATIVES = frozenset("how what when where which who why can could do does is are will".split())


@dataclass(frozen=True, slots=True)
class FaqEntry:
    question: str
    answer: str


@dataclass(frozen=True, slots=True)
class KbAnswer:
    """One lookup: ``found`` with the quoted entry, or not found with :data:`DONT_KNOW`."""

    found: bool
    answer: str
    question: str | None
    score: float


def is_question(text: str) -> bool:
    first = text.strip().lower().split(maxsplit=1)
    return bool(first) and first[0].strip("?,.!") in _INTERROGATIVES or text.rstrip().endswith("?")


class KnowledgeBase:
    """Token-overlap retrieval with fuzzy word matching; deterministic and offline."""

    def __init__(self, faq: Sequence[dict[str, str]] | Sequence[FaqEntry], *, min_score: float = 0.55) -> None:
        self._entries: list[FaqEntry] = [
            e if isinstance(e, FaqEntry) else FaqEntry(question=e["q"], answer=e["a"]) for e in faq
        ]
        self._q_stems = [set(content_stems(e.question)) for e in self._entries]
        self._a_stems = [set(content_stems(e.answer)) for e in self._entries]
        self.min_score = min_score

    @property
    def entries(self) -> list[FaqEntry]:
        return list(self._entries)

    def score(self, question: str) -> list[float]:
        """One relevance score per entry (0..~1)."""
        query = set(content_stems(question))
        out: list[float] = []
        for q_stems, a_stems in zip(self._q_stems, self._a_stems, strict=True):
            hit = 0.0
            for w in query:
                if w in q_stems:
                    hit += 1.0
                elif w in a_stems:
                    hit += 0.4
                elif len(w) >= 5:
                    best = max((trigram_similarity(w, t) for t in q_stems), default=0.0)
                    if best >= 0.7:
                        hit += 0.8 * best
            # half how much of the entry's question is covered, half how much of the caller's
            out.append(0.5 * hit / len(q_stems) + 0.5 * hit / len(query) if q_stems and query else 0.0)
        return out

    def lookup(self, question: str) -> KbAnswer:
        scores = self.score(question)
        if not scores:
            return KbAnswer(found=False, answer=DONT_KNOW, question=None, score=0.0)
        best = max(range(len(scores)), key=scores.__getitem__)
        if scores[best] < self.min_score:
            return KbAnswer(found=False, answer=DONT_KNOW, question=None, score=scores[best])
        entry = self._entries[best]
        return KbAnswer(found=True, answer=entry.answer, question=entry.question, score=scores[best])
