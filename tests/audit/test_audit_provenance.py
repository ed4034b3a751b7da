"""The raw-data check lets the workspace's own text through by provenance, and nothing else; what a
model saw (``brain.turn.messages``) is checked string by string; ``audit.exported`` has a status."""

from __future__ import annotations

import pytest

from audit import builders
from audit.events import AuditEvent, EventType
from audit.exceptions import RawDataError, SchemaError
from audit.provenance import digits_of, forget, owned_from, register_owned

FAQ = ("Our pharmacy line is (555) 010-0199, open 8 to 8.", "We are at 1200 Main Street, Springfield 62704.",
       "Write to help@acme.example.")


def _turn(output: str, workspace_id: str = "prov", **extra: object) -> AuditEvent:
    return builders.brain_turn(
        workspace_id=workspace_id, call_id="c1", model="m", model_version="m", prompt_template_version="p",
        input="what is the number", output=output, latency_ms=1, input_tokens=1, output_tokens=1, **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(autouse=True)
def _registered() -> None:
    forget("prov")
    register_owned("prov", FAQ)


@pytest.mark.parametrize("said", [
    "Call our pharmacy at (555) 010-0199.",
    "The number is 555 010 0199.",
    "That's five five five, oh one oh, oh one nine nine.",
    "Dial 010-0199 from inside the building.",
    "You can write to help@acme.example any time.",
])
def test_workspace_owned_numbers_and_addresses_pass(said: str) -> None:
    _turn(said)


@pytest.mark.parametrize("said", [
    "Your card 4111 1111 1111 1111 is on file.",
    "Call 555 010 0198.",  # one digit off the owned number
    "The number is 555 010 0199 2233 44.",  # an owned number inside a longer run is not owned
    "Write to someone@else.example.",
])
def test_anything_else_is_still_refused(said: str) -> None:
    with pytest.raises(RawDataError):
        _turn(said)


def test_another_workspace_owns_nothing_of_this_one() -> None:
    forget("other")
    with pytest.raises(RawDataError):
        _turn("Call our pharmacy at (555) 010-0199.", workspace_id="other")


def test_owned_numbers_are_read_from_the_configuration() -> None:
    owned = owned_from(FAQ)
    assert "5550100199" in owned.numbers and "120062704" not in owned.numbers
    assert owned.emails == frozenset({"help@acme.example"})
    assert digits_of("five 5 5-0199") == "5550199"


def test_messages_the_model_saw_are_checked_string_by_string() -> None:
    messages = [
        {"role": "user", "content": "my card is [CREDIT_CARD_1]"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_0123456789012345",
                                           "name": "answer_from_knowledge_base", "input": {"question": "number"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_0123456789012345",
                                      "content": "Our pharmacy line is (555) 010-0199"}]},
    ]
    event = _turn("ok", messages=messages, input_sha256="a" * 64, prompt_sha256="b" * 64, status="completed",
                  model_returned="m-2026-01-01")
    assert event.payload["messages"] == messages
    leaked = [*messages, {"role": "user", "content": "it is 4111 1111 1111 1111"}]
    with pytest.raises(RawDataError):
        _turn("ok", messages=leaked)
    with pytest.raises(SchemaError):
        _turn("ok", messages=[{"content": "no role"}])
    with pytest.raises(SchemaError):
        _turn("ok", status="maybe")


def test_brain_prompt_holds_the_system_prompt_and_tools() -> None:
    event = builders.brain_prompt(workspace_id="prov", call_id="c1", sha256="c" * 64, model="m",
                                  prompt_template_version="p", system=f"You answer for Acme. {FAQ[0]}",
                                  tools=[{"name": "end_call", "input_schema": {"type": "object"}}])
    assert event.type is EventType.BRAIN_PROMPT


def test_audit_exported_records_start_and_end() -> None:
    for status in ("started", "completed", "aborted"):
        builders.audit_exported(workspace_id="prov", requester="cli", format="jsonl", rows=0, status=status,
                                export_id="exp-1")
    started = builders.audit_exported(workspace_id="prov", requester="cli", format="jsonl", status="started",
                                      export_id="exp-2")
    assert "rows" not in started.payload
    with pytest.raises(SchemaError):
        builders.audit_exported(workspace_id="prov", requester="cli", format="jsonl", rows=1, status="paused")
