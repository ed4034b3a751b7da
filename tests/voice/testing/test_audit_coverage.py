"""The audit-coverage evaluation: its arithmetic on hand-made rows, and one small run end to end."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from voice.testing.audit_coverage import evaluate, failures, pick_fixtures
from voice.testing.coverage_score import PassTruth, score

REPO = Path(__file__).resolve().parents[3]


def _rows(call: str, *events: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"seq": i, "call_id": call, "type": t, "payload": p} for i, (t, p) in enumerate(events, 1)]


TURN = {"model": "m", "model_version": "m-1", "model_returned": "m-1", "prompt_sha256": "a" * 64,
        "tool_calls": [{"name": "propose_transfer", "arguments": {}}]}


def test_a_complete_call_scores_full_marks() -> None:
    rows = _rows("c1", ("call.started", {}), ("asr.transcribed", {}), ("brain.prompt", {"sha256": "a" * 64}),
                 ("brain.turn", TURN), ("transfer.proposed", {"proposal_id": "p"}),
                 ("transfer.decided", {"proposal_id": "p", "decision": "needs_approval", "approver": "policy"}),
                 ("transfer.decided", {"proposal_id": "p", "decision": "allow", "rule_id": "supervisor_approved",
                                       "approver": "sup"}),
                 ("transfer.executed", {"proposal_id": "p"}), ("call.ended", {}))
    truth = {"c1": Counter(transcript=1, inference=1, tool_call=1, proposal=1)}
    cov = score(rows, truth, [PassTruth("x", {"c1"}, far_transfers=1)], {"p": "sup"})
    d = cov.as_dict()
    assert (d["ai_actions"], d["logged"]) == (6, 6)  # + the approval and the transfer the far side saw
    assert (d["with_model_version"], d["with_model_version_of"]) == (2, 2)
    assert (d["with_approver_where_required"], d["approver_required"]) == (1, 1)
    assert d["orphans"] == 0 and d["transfers_without_required_decision"] == 0 and not failures(cov)


def test_gaps_orphans_and_forbidden_transfers_are_counted() -> None:
    rows = _rows("c1", ("asr.transcribed", {}), ("call.started", {}),
                 ("brain.turn", {**TURN, "model_returned": None}), ("transfer.proposed", {"proposal_id": "p"}),
                 ("transfer.decided", {"proposal_id": "p", "decision": "allow", "approver": "policy"}),
                 ("optout.applied", {"scope": "mid_call"}), ("transfer.executed", {"proposal_id": "p"}),
                 ("transfer.executed", {"proposal_id": "q"}))
    truth = {"c1": Counter(transcript=2, inference=1, tool_call=1, proposal=1, optout=1)}
    cov = score(rows, truth, [PassTruth("x", {"c1"}, far_transfers=2)], {})
    d = cov.as_dict()
    assert d["ai_actions"] - d["logged"] == 1 and d["gaps"][0]["kind"] == "transcript"
    assert d["orphan_kinds"] == {"before_call_started": 1, "call_never_ended": 1,
                                 "transfer.executed_without_proposal": 1, "turn_without_prompt_row": 1}
    assert d["transfers_after_optout"] == 2 and d["transfers_without_required_decision"] == 1
    assert d["with_model_version"] == 0
    assert len(failures(cov)) == 4


def test_the_quick_set_is_one_rendering_per_scenario() -> None:
    quick = pick_fixtures(REPO / "fixtures" / "audio", quick=True, only=None)
    assert quick and all(p.stem.endswith("_8k") for p in quick)
    assert [p.stem for p in pick_fixtures(REPO / "fixtures" / "audio", quick=False, only="billing*,fraud_8k")] == [
        "billing_16k", "billing_8k", "fraud_8k"]


@pytest.mark.slow
async def test_claude_calls_over_two_transports_are_fully_on_the_record(tmp_path: Path) -> None:
    fixtures = pick_fixtures(REPO / "fixtures" / "audio", quick=True, only="clinical_8k")
    # Claude (the model id the API returned, tool calls from the Messages API) over two transports;
    # the embedded brain's calls go through the same sinks (dialphone eval audit-coverage runs both)
    cov, info = await evaluate(fixtures=fixtures, transports=["inproc", "ws"], brains=["claude"],
                               concurrency=1, data_dir=tmp_path, config=str(REPO / "examples" / "workspace.yaml"),
                               progress=lambda _: None)
    assert failures(cov) == [], cov.as_dict()
    assert cov.calls == 2 and cov.approver_required == 2  # the clinical line always asks a supervisor
    assert info["model_requests"] >= 2
