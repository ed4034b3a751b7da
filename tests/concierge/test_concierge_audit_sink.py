"""The concierge's audit seam: the Protocol, the memory sink and the fsyncing JSONL sink."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from audit import AuditLog
from audit.exceptions import RawDataError
from audit.sqlite_store import SqliteAuditStore
from concierge.audit_adapter import AuditLogSink, SchemaCheckedMemorySink
from concierge.audit_sink import AuditSink, EventType, JsonlAuditSink, MemoryAuditSink
from concierge.call_control import RecordingCallControl
from concierge.config import Workspace
from concierge.gate import TransferProposal
from concierge.session import ConciergeCall
from concierge.transfers import TransferCoordinator

OPEN = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


async def test_jsonl_sink_appends_one_row_per_event(tmp_path: Path) -> None:
    sink = JsonlAuditSink(tmp_path / "a" / "audit.jsonl")
    assert isinstance(sink, AuditSink)
    await sink.emit(EventType.TRANSFER_DECIDED, {"decision": "allow", "rule_id": "policy_allow"},
                    call_id="c1", actor="concierge.gate", durable=True)
    await sink.emit(EventType.BRAIN_TURN, {"input": "my card [CREDIT_CARD_1]"}, call_id="c1", actor="brain")
    sink.close()
    rows = [json.loads(line) for line in (tmp_path / "a" / "audit.jsonl").read_text().splitlines()]
    assert [r["type"] for r in rows] == ["transfer.decided", "brain.turn"]
    assert rows[0]["payload"]["rule_id"] == "policy_allow" and rows[1]["call_id"] == "c1"
    assert (tmp_path / "a" / "audit.jsonl").stat().st_mode & 0o077 == 0


async def test_memory_sink_keeps_order_and_durability() -> None:
    sink = MemoryAuditSink()
    assert isinstance(sink, AuditSink)
    await sink.emit("transfer.proposed", {"department": "billing"}, call_id="c", actor="brain")
    await sink.emit("transfer.decided", {"decision": "deny"}, call_id="c", actor="gate", durable=True)
    assert sink.types() == ["transfer.proposed", "transfer.decided"]
    assert [r.durable for r in sink.records] == [False, True]


async def test_transfer_through_the_real_audit_log(tmp_path: Path, workspace: Workspace) -> None:
    store = SqliteAuditStore(tmp_path / "audit.db")
    control = RecordingCallControl()
    try:
        async with AuditLog(store=store) as log:
            sink = AuditLogSink(log, workspace_id=workspace.id)
            call = ConciergeCall(call_id="call-audit-1", workspace=workspace, audit=sink, control=control,
                                 clock=lambda: OPEN)
            outcome = await TransferCoordinator(call).propose(TransferProposal("billing", "refund for [CREDIT_CARD_1]"))
            # the durable decision is committed by the time the transfer ran
            assert store.count(workspace.id) >= 2
            await sink.flush()
        rows = list(store.rows(workspace.id))
    finally:
        store.close()
    assert [r.type for r in rows] == ["transfer.proposed", "transfer.decided", "transfer.executed"]
    assert {r.payload["proposal_id"] for r in rows} == {outcome.proposal_id}
    assert rows[1].payload["approver"] == "policy" and rows[1].payload["rule_id"] == "policy_allow"
    assert rows[2].prev_hash == rows[1].row_hash and [a.department for a in control.transfers] == ["billing"]


async def test_raw_pii_is_refused_by_the_schema_checked_sink() -> None:
    sink = SchemaCheckedMemorySink()
    with pytest.raises(RawDataError):
        await sink.emit("transfer.proposed", {"proposal_id": "p1", "department": "billing",
                                              "reason": "card 4111 1111 1111 1111"}, call_id="c", actor="brain")
    assert sink.records == []
