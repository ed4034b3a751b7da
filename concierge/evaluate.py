"""Routing accuracy of the embedded brain over the fixture scenarios (``fixtures/audio/*.yaml``).

Each fixture turn whose ``events`` name a routing outcome is one case: ``transfer.proposed``
(the department), ``clarifying_question`` (unclear), ``human_request`` (human),
``kb_answer`` (faq). Turns run in order through one brain per scenario, so a clarified
answer is routed with its context. A turn without events (the first half of a number split
across utterances) is joined to the next one, as the streaming redaction delivers it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from concierge.audit_sink import MemoryAuditSink
from concierge.call_control import RecordingCallControl
from concierge.config import Workspace
from concierge.embedded_brain import EmbeddedBrainService
from concierge.session import ConciergeCall
from concierge.tools import ANSWER_FROM_KB, CALLER_REQUESTS_HUMAN, END_CALL, PROPOSE_TRANSFER

_EVENT_LABELS = {"clarifying_question": "unclear", "human_request": "human", "kb_answer": "faq"}


@dataclass(frozen=True, slots=True)
class Turn:
    text: str
    expected: str | None


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    turns: tuple[Turn, ...]


@dataclass(frozen=True, slots=True)
class CaseResult:
    scenario: str
    turn: int
    expected: str
    got: str
    ms: float

    @property
    def ok(self) -> bool:
        return self.expected == self.got


@dataclass
class RoutingReport:
    results: list[CaseResult] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(r.ok for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def max_ms(self) -> float:
        return max((r.ms for r in self.results), default=0.0)

    def as_dict(self) -> dict[str, object]:
        return {
            "routing_accuracy": round(self.accuracy, 4),
            "cases": len(self.results),
            "correct": sum(r.ok for r in self.results),
            "max_turn_ms": round(self.max_ms, 3),
            "misses": [
                {"scenario": r.scenario, "turn": r.turn, "expected": r.expected, "got": r.got}
                for r in self.results
                if not r.ok
            ],
        }


def _expected(events: Iterable[dict[str, object]]) -> str | None:
    for e in events:
        name = str(e.get("event", ""))
        if name == "transfer.proposed" and e.get("department"):
            return str(e["department"])
        if name in _EVENT_LABELS:
            return _EVENT_LABELS[name]
    return None


def load_scenarios(fixtures: Path) -> list[Scenario]:
    out: list[Scenario] = []
    for path in sorted(fixtures.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or "turns" not in data:
            continue  # INDEX.yaml and other non-scenario files
        turns = tuple(
            Turn(str(t.get("text", "")), _expected(t.get("events") or [])) for t in data["turns"] or []
        )
        out.append(Scenario(str(data.get("scenario", path.stem)), turns))
    return out


def with_transcripts(scenarios: Iterable[Scenario], transcripts: dict[str, list[str]]) -> list[Scenario]:
    """Replace each scenario's scripted turn texts by recognized ones (e.g. ASR output from a replay),
    keeping the expectations; scenarios without a matching transcript keep their script."""
    out = []
    for sc in scenarios:
        texts = transcripts.get(sc.name)
        if texts is not None and len(texts) == len(sc.turns):
            sc = Scenario(sc.name, tuple(Turn(str(t), turn.expected) for t, turn in zip(texts, sc.turns, strict=True)))
        out.append(sc)
    return out


def label(calls: list[tuple[str, object]]) -> str:
    if not calls:
        return "unclear"
    name, args = calls[0]
    if name == PROPOSE_TRANSFER and isinstance(args, dict):
        return str(args.get("department"))
    return {CALLER_REQUESTS_HUMAN: "human", ANSWER_FROM_KB: "faq", END_CALL: "end"}.get(name, name)


def evaluate_routing(workspace: Workspace, scenarios: Iterable[Scenario]) -> RoutingReport:
    import time

    report = RoutingReport()
    for sc in scenarios:
        call = ConciergeCall(
            call_id=f"eval-{sc.name}", workspace=workspace, audit=MemoryAuditSink(), control=RecordingCallControl()
        )
        brain = EmbeddedBrainService(call=call)
        pending = ""
        for i, turn in enumerate(sc.turns):
            text = f"{pending} {turn.text}".strip()
            if turn.expected is None:
                pending = text
                continue
            pending = ""
            t0 = time.perf_counter()
            _, calls = brain.respond(text)
            ms = (time.perf_counter() - t0) * 1000.0
            report.results.append(CaseResult(sc.name, i, turn.expected, label(list(calls)), ms))
    return report
