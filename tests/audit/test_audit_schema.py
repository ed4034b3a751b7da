"""Event schema, typed builders and the raw-caller-data guard."""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import pytest
import yaml

from audit import builders
from audit.events import SCHEMA_VERSION, AuditEvent, AuditRecord, EventType
from audit.exceptions import MalformedRecordError, RawDataError, SchemaError
from audit.payloads import PAYLOAD_SCHEMAS, Decision, FieldKind, check_tokenized, tokenized_fields
from audit.synthetic import traffic

WS, CALL = "acme", "call-1"


def test_every_type_has_a_schema_and_a_builder() -> None:
    names = {
        n for n, f in inspect.getmembers(builders, inspect.isfunction) if f.__module__ == builders.__name__
    }
    for t in EventType:
        assert t in PAYLOAD_SCHEMAS
        assert t.value.replace(".", "_") in names


def test_schema_names_the_tokenized_fields() -> None:
    assert tokenized_fields(EventType.ASR_TRANSCRIBED) == ("text",)
    assert set(tokenized_fields(EventType.BRAIN_TURN)) == {"input", "output"}
    assert tokenized_fields(EventType.REDACTION_APPLIED) == ()


def test_transfer_decided_payload() -> None:
    e = builders.transfer_decided(
        workspace_id=WS,
        call_id=CALL,
        proposal_id="p1",
        decision=Decision.NEEDS_APPROVAL,
        rule_id="clinical-always",
        approver="policy",
        reason="clinical line needs a human",
    )
    assert e.type is EventType.TRANSFER_DECIDED
    assert e.payload["decision"] == "needs_approval"
    rec = e.seal(seq=1, prev_hash="0" * 64, ts="2026-01-01T00:00:00.000000Z")
    assert rec.schema_version == SCHEMA_VERSION
    assert rec.recompute_hash() == rec.row_hash
    assert AuditRecord.from_dict(rec.to_dict()) == rec


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        ({"entity_counts": {"CREDIT_CARD": 1}, "value": "4111"}, "fields not in the schema"),
        ({}, "missing required field"),
        ({"entity_counts": {"CREDIT_CARD": -1}}, "non-negative"),
        ({"entity_counts": {"CREDIT CARD": 1}}, "identifier"),
        ({"entity_counts": {"CREDIT_CARD": 1.0}}, "non-negative"),
    ],
)
def test_payload_guard_rejects_fields_outside_the_schema(payload: dict[str, Any], error: str) -> None:
    with pytest.raises(SchemaError, match=error):
        AuditEvent(
            type=EventType.REDACTION_APPLIED,
            workspace_id=WS,
            call_id=CALL,
            actor="redaction",
            payload=payload,
        )


@pytest.mark.parametrize(
    "text",
    [
        "my card is 4111 1111 1111 1111",
        "call me on 415-555-0143",
        "my number is four one five five five five oh one four three",
        "write to jane.doe@example.com",
    ],
)
def test_guard_rejects_untokenized_text_without_echoing_it(text: str) -> None:
    with pytest.raises(RawDataError) as info:
        builders.asr_transcribed(
            workspace_id=WS,
            call_id=CALL,
            model="tiny.en",
            model_version="1",
            audio_start_ms=0,
            audio_end_ms=10,
            text=text,
        )
    assert text not in str(info.value)
    assert "4111" not in str(info.value) and "example.com" not in str(info.value)


def test_guard_accepts_tokenized_text_and_small_numbers() -> None:
    e = builders.brain_turn(
        workspace_id=WS,
        call_id=CALL,
        model="claude-sonnet-4-5-20250929",
        model_version="20250929",
        prompt_template_version="v3",
        input="card [CREDIT_CARD_1], at 3 pm, room 12",
        output="Thanks [PERSON_1].",
        tool_calls=[
            {
                "name": "propose_transfer",
                "arguments": {"department": "billing", "reason": "refund for [PERSON_1]"},
            }
        ],
        latency_ms=420,
        input_tokens=100,
        output_tokens=9,
    )
    assert e.payload["tool_calls"] == [
        {
            "name": "propose_transfer",
            "arguments": {"department": "billing", "reason": "refund for [PERSON_1]"},
        }
    ]


def test_tool_call_arguments_are_guarded_too() -> None:
    with pytest.raises(RawDataError):
        builders.brain_turn(
            workspace_id=WS,
            call_id=CALL,
            model="m",
            model_version="1",
            prompt_template_version="v",
            input="x",
            output="y",
            tool_calls=[{"name": "lookup", "arguments": {"card": "5105105105105100"}}],
            latency_ms=1,
            input_tokens=1,
            output_tokens=1,
        )


def test_common_fields_are_validated() -> None:
    with pytest.raises(SchemaError, match="workspace_id"):
        builders.call_ended(workspace_id="has space", call_id=CALL, reason="hangup", duration_ms=1)
    with pytest.raises(SchemaError, match="token"):
        builders.vault_detokenized(
            workspace_id=WS,
            call_id=CALL,
            token="4111111111111111",
            purpose="screen-pop",
            requester="agent:bob",
        )


def test_config_changed_keeps_floats_as_strings() -> None:
    e = builders.config_changed(
        workspace_id=WS, admin="alice@acme.example", key="vad.threshold", before={"t": 0.5}, after={"t": 0.6}
    )
    assert e.payload["before"] == {"t": "0.5"} and e.call_id is None


def test_record_parser_rejects_malformed_rows() -> None:
    rec = builders.call_ended(workspace_id=WS, call_id=CALL, reason="hangup", duration_ms=1).seal(
        seq=1, prev_hash="0" * 64, ts="2026-01-01T00:00:00.000000Z"
    )
    row = rec.to_dict()
    for broken in (
        {**row, "extra": 1},
        {k: v for k, v in row.items() if k != "seq"},
        {**row, "seq": "1"},
        {**row, "row_hash": "XY"},
    ):
        with pytest.raises(MalformedRecordError):
            AuditRecord.from_dict(broken)


def test_synthetic_traffic_passes_the_guard() -> None:
    kinds = {e.type for e, _ in traffic(WS, 500)}
    assert EventType.TRANSFER_DECIDED in kinds and EventType.ASR_TRANSCRIBED in kinds


def _numeric_pii(repo_root: Path) -> list[tuple[str, str, str]]:
    spec = yaml.safe_load((repo_root / "fixtures" / "scenarios.yaml").read_text())
    found = []
    for scenario in spec["scenarios"]:
        for turn in scenario.get("turns", []):
            for pii in turn.get("pii") or []:
                if pii["type"] in ("CREDIT_CARD", "US_SSN", "PHONE_NUMBER"):
                    found.append((scenario["name"], turn["text"], str(pii["value"])))
    return found


def test_raw_caller_numbers_from_every_fixture_are_rejected(repo_root: Path) -> None:
    cases = _numeric_pii(repo_root)
    assert len(cases) >= 4
    for _name, spoken, value in cases:
        for raw in (spoken, value, f"the number is {value}"):
            with pytest.raises(RawDataError):
                check_tokenized(raw, where="asr.transcribed.text")


def test_only_text_fields_carry_free_text() -> None:
    for schema in PAYLOAD_SCHEMAS.values():
        for name, spec in schema.items():
            if spec.kind is FieldKind.TEXT:
                assert name in {"text", "input", "output", "reason", "system"}
            if spec.kind is FieldKind.MESSAGES:
                assert name == "messages"
