"""The concierge's audit seam: the Protocol, the memory sink and the fsyncing JSONL sink."""

from __future__ import annotations

import json
from pathlib import Path

from concierge.audit_sink import AuditSink, EventType, JsonlAuditSink, MemoryAuditSink


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
