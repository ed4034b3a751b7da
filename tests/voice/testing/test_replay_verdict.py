"""The replay's verdict: a call's rows and decisions against its fixture's ``expect:`` block."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from voice.testing.replay_cli import replay_json
from voice.testing.results import CallResult, TurnRow
from voice.testing.verdict import judge

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "audio"


def _expect(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((FIXTURES / f"{name}.yaml").read_text())["expect"])


def _row(caller: str, reply: str = "", tools: str = "", turn: int = 1) -> TurnRow:
    return TurnRow("s", turn, caller, reply, tools, "", 300.0, 200.0, 100.0, 5.0, 5.0)


def _result(*rows: TurnRow, decisions: list[str] = (), events: list[str] = ()) -> CallResult:  # type: ignore[assignment]
    return CallResult(scenario="s", rows=list(rows), decisions=[{"decision": d} for d in decisions],
                      events=list(events))


def test_a_call_that_meets_its_fixture_passes() -> None:
    result = _result(_row("I'd like to pay my bill. My card number is [CREDIT_CARD_1]",
                          "Sure, let me get you to billing.", "propose_transfer(department='billing')"),
                     decisions=["allow"])
    verdict = judge(_expect("card_number_8k"), result)
    assert verdict.passed and verdict.label == "PASS" and verdict.failures == []


def test_the_wrong_department_fails_and_says_which() -> None:
    result = _result(_row("my bill", "Sure.", "propose_transfer(department='sales')"), decisions=["deny"])
    verdict = judge(_expect("billing_8k"), result)
    assert not verdict.passed and verdict.label == "FAIL"
    assert any("billing" in f and "sales" in f for f in verdict.failures)


def test_approval_expected_but_not_asked_fails() -> None:
    result = _result(_row("a rash", "Sure.", "propose_transfer(department='clinical')"), decisions=["allow"])
    verdict = judge(_expect("clinical_8k"), result)
    assert [f for f in verdict.failures if "needs_approval" in f]
    asked = _result(_row("a rash", "Sure.", "propose_transfer(department='clinical')"), decisions=["needs_approval"])
    assert judge(_expect("clinical_8k"), asked).passed


def test_pii_must_be_a_token_and_a_failure_never_shows_the_value() -> None:
    expect = _expect("card_number_8k")
    value = str(expect["pii"][0]["value"])
    leaked = _result(_row(f"my card number is {value}", "Sure.", "propose_transfer(department='billing')"))
    verdict = judge(expect, leaked)
    assert not verdict.passed
    assert any("CREDIT_CARD" in f for f in verdict.failures)
    assert not any(value[:6] in f for f in verdict.failures)


def test_fixture_pii_types_are_read_as_the_redaction_stage_names_its_tokens() -> None:
    expect = _expect("ssn_8k")
    assert expect["pii"][0]["type"] == "US_SSN"
    tools = f"propose_transfer(department={expect['department']!r})"
    assert judge(expect, _result(_row("my social is [SSN_1]", "Sure.", tools), decisions=["needs_approval"])).passed
    assert not judge(expect, _result(_row("my social is [NUMBER_1]", "Sure.", tools), decisions=["needs_approval"])).passed


def test_silence_human_request_and_clarifying_question() -> None:
    assert judge(_expect("silence_8k"), _result()).passed
    assert not judge(_expect("silence_8k"), _result(_row("hello"))).passed
    assert judge(_expect("human_request_8k"), _result(_row("a person", "Of course.", "caller_requests_human()"))).passed
    assert not judge(_expect("human_request_8k"), _result(_row("a person", "Of course."))).passed
    clarified = _result(_row("help", "Could you tell me more?"),
                        _row("my internet", "Sure.", "propose_transfer(department='technical_support')", turn=2))
    assert judge(_expect("barge_in_8k"), clarified).passed
    unasked = _result(_row("help", "Sure."),
                      _row("my internet", "Sure.", "propose_transfer(department='technical_support')", turn=2))
    assert not judge(_expect("barge_in_8k"), unasked).passed


def test_a_failed_brain_turn_fails_even_a_plain_recording() -> None:
    verdict = judge({}, _result(_row("hello"), events=["brain.turn", "brain.failed"]))
    assert not verdict.passed and "brain" in verdict.failures[0]
    plain = judge(None, _result(_row("hello", "Hi.")))
    assert plain.passed and not plain.checked


def test_the_json_counts_the_rows_the_table_shows() -> None:
    results = [_result(_row("a", "b"), _row("c", "d", turn=2)), _result(_row("e", "f"))]
    verdicts = [judge({}, r) for r in results]
    out = replay_json(results, verdicts)
    assert out["summary"]["turns"] == sum(len(c["turns"]) for c in out["calls"]) == 3
    assert out["summary"]["passed"] == 2 and out["summary"]["failed"] == 0
    assert [c["verdict"] for c in out["calls"]] == ["PASS", "PASS"]
