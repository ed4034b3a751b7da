"""The embedded brain's routing table, FAQ retrieval and clarifying question."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

from concierge.config import Workspace
from concierge.embedded_brain import EmbeddedBrainService
from concierge.knowledge import DONT_KNOW, KnowledgeBase
from concierge.router import IntentKind, IntentRouter
from concierge.session import ConciergeCall
from concierge.textmatch import content_stems, stem, words

CASES = yaml.safe_load((Path(__file__).parent / "routing_cases.yaml").read_text())


def _label(router: IntentRouter, text: str) -> str:
    intent = router.classify(text)
    return intent.department or "" if intent.kind is IntentKind.DEPARTMENT else str(intent.kind)


@pytest.mark.parametrize("case", CASES, ids=[c["text"][:40] for c in CASES])
def test_routing_table(workspace: Workspace, case: dict[str, str]) -> None:
    assert _label(IntentRouter(workspace), case["text"]) == case["intent"]


def test_routing_accuracy_and_speed(workspace: Workspace) -> None:
    router = IntentRouter(workspace)
    t0 = time.perf_counter()
    hits = sum(_label(router, c["text"]) == c["intent"] for c in CASES)
    per_turn_ms = (time.perf_counter() - t0) * 1000 / len(CASES)
    assert len(CASES) >= 60
    assert hits / len(CASES) >= 0.95
    assert per_turn_ms <= 10.0


@pytest.mark.parametrize(
    ("word", "expected"),
    [("charged", "charg"), ("charges", "charg"), ("crashing", "crash"), ("billing", "bill"),
     ("symptoms", "symptom"), ("identities", "identity"), ("stolen", "stolen"), ("passwords", "password")],
)
def test_stemmer(word: str, expected: str) -> None:
    assert stem(word) == expected


def test_normalization_joins_phrases_and_keeps_entity_types() -> None:
    assert "login" in words("i cannot sign in")
    assert "tok_credit_card" in words("my card [CREDIT_CARD_1] was declined")


def test_a_token_never_reads_as_an_ordinary_word(workspace: Workspace) -> None:
    """"Hi, this is [PERSON_1]" is a greeting with a name, not a request for a person."""
    assert "person" not in words("Hi, this is [PERSON_1]")
    router = IntentRouter(workspace)
    assert router.classify("Hi, this is [PERSON_1]").kind is not IntentKind.HUMAN
    assert router.classify("i need a person").kind is IntentKind.HUMAN
    assert content_stems("um uh i want to like pay my in voice") == ["pay", "invoic"]


def test_kb_quotes_entries_and_says_it_does_not_know(workspace: Workspace) -> None:
    kb = KnowledgeBase(workspace.brain.faq)
    hours = kb.lookup("what are your opening hours")
    assert hours.found and hours.answer == workspace.brain.faq[0]["a"]
    assert kb.lookup("how do i reset my pass word").answer == workspace.brain.faq[1]["a"]
    unknown = kb.lookup("do you sell pet insurance in canada")
    assert not unknown.found and unknown.answer == DONT_KNOW


def test_clarifying_question_then_route_on_the_answer(call: ConciergeCall) -> None:
    brain = EmbeddedBrainService(call=call)
    text, calls = brain.respond("um hi yes i have a question")
    assert text.endswith("?") and calls == []
    text, calls = brain.respond("it's about the charges on it")
    assert calls and calls[0][0] == "propose_transfer" and calls[0][1]["department"] == "billing"
    # a second unclear answer lists the departments instead of guessing
    brain.respond("hello")
    text, calls = brain.respond("yeah")
    assert calls == [] and "technical support" in text and "fraud" in text


def test_a_transfer_a_supervisor_approves_is_asked_for_not_announced(call: ConciergeCall) -> None:
    text, calls = EmbeddedBrainService(call=call).respond("i have a question about my medication and a fever")
    assert calls and calls[0][1]["department"] == "clinical"
    assert text == "I'm asking a supervisor to approve the transfer to clinical."
    text, calls = EmbeddedBrainService(call=call).respond("i was charged twice on my invoice")
    assert calls and calls[0][1]["department"] == "billing" and text == "Sure, let me get you to billing."


def test_every_embedded_reply_is_a_known_spoken_line(call: ConciergeCall) -> None:
    """The voice layer renders the concierge's own lines once; a reply outside the list would be
    synthesized on every call (correct, but slower). Keep the list in step with ``respond``."""
    from concierge.embedded_brain import spoken_lines

    known = set(spoken_lines(call.workspace))
    utterances = [
        "i was charged twice on my invoice",
        "i have a question about my medication",
        "um hi yes i have a question",
        "i need a person",
        "that's all, goodbye",
        "something else entirely",
        "still not sure",
    ]
    brain = EmbeddedBrainService(call=call)
    for u in utterances:
        text, _ = brain.respond(u)
        assert text == "" or text in known, text
