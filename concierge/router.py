"""Intent routing for the embedded brain: which department, a human, the FAQ, or unclear.

Scores come from the workspace departments only (name, keywords, examples, description):
each department gets a bag of weighted stems, weighted again by how specific a stem is
across departments (IDF), plus the best token overlap with one of its example phrases.
Misrecognized words fall back on character-trigram similarity; words split by the ASR
("in voice") are rejoined. Pure and synchronous: well under a millisecond per turn.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from concierge.config import Workspace
from concierge.knowledge import KnowledgeBase, is_question
from concierge.textmatch import content_stems, phrase_concepts, stem, trigram_similarity, trigrams, words

_HUMAN = frozenset({"agent", "human", "representative", "rep", "operator", "no_ai", "person", "receptionist"})
_END = frozenset({"bye", "goodbye", "hang"})
_END_PHRASES = ("that's all", "that is all", "nothing else", "no thank you", "no thanks", "that's it")


class IntentKind(StrEnum):
    DEPARTMENT = "department"
    HUMAN = "human"
    FAQ = "faq"
    END = "end"
    UNCLEAR = "unclear"


@dataclass(frozen=True, slots=True)
class Intent:
    kind: IntentKind
    department: str | None = None
    confidence: float = 0.0
    faq_question: str | None = None
    candidates: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(slots=True)
class _DeptModel:
    name: str
    bag: dict[str, float]
    examples: list[set[str]]


class IntentRouter:
    """Classify one caller utterance (tokenized text) against a workspace."""

    def __init__(
        self,
        workspace: Workspace,
        *,
        min_score: float = 0.8,
        min_margin: float = 1.3,
        faq_score: float = 0.6,
    ) -> None:
        self.min_score = min_score
        self.min_margin = min_margin
        self.faq_score = faq_score
        self.kb = KnowledgeBase(workspace.brain.faq)
        self._models: list[_DeptModel] = []
        for d in workspace.departments:
            bag: dict[str, float] = {}

            def put(stems: Sequence[str], weight: float, bag: dict[str, float] = bag) -> None:
                for s in stems:
                    bag[s] = max(bag.get(s, 0.0), weight)

            put(content_stems(d.description), 0.5)
            put([s for e in d.examples for s in content_stems(e)], 0.6)
            put([stem(k) for k in d.keywords], 1.0)
            put([stem(p) for p in d.name.split("_")], 1.0)
            self._models.append(_DeptModel(d.name, bag, [set(content_stems(e)) for e in d.examples]))
        n = max(len(self._models), 1)
        df: dict[str, int] = {}
        for m in self._models:
            for s in m.bag:
                df[s] = df.get(s, 0) + 1
        norm = math.log(1 + n)
        self._idf = {s: math.log(1 + n / c) / norm for s, c in df.items()}
        self._by_trigram: dict[str, set[str]] = {}
        for v in df:
            for g in trigrams(v):
                self._by_trigram.setdefault(g, set()).add(v)
        self._resolved: dict[str, tuple[str, float] | None] = {}

    def _query_terms(self, text: str) -> set[str]:
        stems = content_stems(text)
        raw = [w for w in words(text)]
        terms = set(stems)
        for a, b in zip(raw, raw[1:], strict=False):  # "in voice" -> "invoice", "pass word"
            joined = stem(a + b)
            if joined in self._idf:
                terms.add(joined)
        return terms

    def _resolve(self, term: str) -> tuple[str, float] | None:
        """The vocabulary stem a query term stands for, with a match factor (memoized)."""
        if term in self._resolved:
            return self._resolved[term]
        found: tuple[str, float] | None = None
        if term in self._idf:
            found = (term, 1.0)
        elif len(term) >= 4:
            candidates = set().union(*(self._by_trigram.get(g, set()) for g in trigrams(term)))
            best, sim = None, 0.0
            for v in sorted(candidates):
                if abs(len(v) - len(term)) <= 3 and (s := trigram_similarity(term, v)) > sim:
                    best, sim = v, s
            if best is not None and sim >= 0.6:
                found = (best, 0.8 * sim)
        if len(self._resolved) < 50_000:
            self._resolved[term] = found
        return found

    def department_scores(self, text: str, *, context: str | None = None) -> dict[str, float]:
        # a concept spelled out in several words ("did not make") is stronger evidence than one word
        concepts = phrase_concepts(text)
        terms = {t: 1.5 if t in concepts else 1.0 for t in self._query_terms(text)}
        if context:
            for t in self._query_terms(context):
                terms.setdefault(t, 0.5)
        resolved: dict[str, float] = {}
        for t, w in terms.items():
            r = self._resolve(t)
            if r is not None:
                resolved[r[0]] = max(resolved.get(r[0], 0.0), w * r[1])
        scores: dict[str, float] = {}
        qset = set(resolved)
        for m in self._models:
            s = sum(m.bag[t] * self._idf[t] * f for t, f in resolved.items() if t in m.bag)
            ex = max((len(qset & e) / (len(e) + 1.0) for e in m.examples), default=0.0)
            scores[m.name] = s + ex
        return scores

    def classify(self, text: str, *, context: str | None = None) -> Intent:
        """Route ``text``; ``context`` is the earlier utterance when this answers a clarifying question."""
        ws = set(words(text))
        scores = self.department_scores(text, context=context)
        ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
        best_name, best = ranked[0] if ranked else ("", 0.0)
        second = ranked[1][1] if len(ranked) > 1 else 0.0
        clear = best >= self.min_score and best >= self.min_margin * second
        if ws & _HUMAN and not clear:
            return Intent(IntentKind.HUMAN, confidence=1.0, scores=scores)
        kb_scores = self.kb.score(text)
        if kb_scores:
            top = max(range(len(kb_scores)), key=kb_scores.__getitem__)
            faq = kb_scores[top]
            # A statement with a clear department ("I forgot my password and the reset link doesn't
            # work") is routed; the FAQ answers questions, or statements no department claims.
            if faq >= self.faq_score and (is_question(text) or not clear):
                q = self.kb.entries[top].question
                return Intent(IntentKind.FAQ, confidence=faq, faq_question=q, scores=scores)
        if clear:
            return Intent(IntentKind.DEPARTMENT, best_name, confidence=best, scores=scores)
        lowered = text.lower()
        if best < self.min_score and (ws & _END or any(p in lowered for p in _END_PHRASES)):
            return Intent(IntentKind.END, confidence=1.0, scores=scores)
        cands = tuple(n for n, s in ranked[:2] if s > 0.3)
        return Intent(IntentKind.UNCLEAR, confidence=best, candidates=cands, scores=scores)
