"""What one call records as it runs: a per-turn log (tokenized) and the call's view of the audit log.

:class:`CallLog` is what a tester sees of a call (the replay table, the tokenized report a remote
caller asks for): turns with their tokenized text, reply, tool calls, decision and timings, plus
transfers, audit event types and gate decisions. :class:`CallAudit` forwards every audit event to
the process's sink first and then keeps what the log shows, so the log holds only what the audit
log holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.events import EventType
from concierge.audit_sink import AuditSink
from concierge.capture import Boundary
from voice.pipeline.turns import TurnTiming

# Payload fields that carry text (tokenized caller words, model output, reasons): the ones the
# call's egress check reads before an event leaves the call. Identifiers and counts are not text.
TEXT_FIELDS = frozenset({"text", "input", "output", "reason", "arguments", "question", "context", "messages", "system"})


@dataclass
class TurnRecord:
    """One caller turn as a tester sees it: tokenized text, reply, tool calls, decision, timings."""

    caller_text: str = ""
    reply: str = ""
    tool_calls: list[str] = field(default_factory=list)
    decision: str = ""
    timing: TurnTiming | None = None
    brain_ms: float = 0.0
    tts_first_ms: float = 0.0


@dataclass
class CallLog:
    call_id: str
    turns: list[TurnRecord] = field(default_factory=list)
    transfers: list[tuple[str, str]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    decisions: list[dict[str, object]] = field(default_factory=list)

    def current(self) -> TurnRecord:
        if not self.turns:
            self.turns.append(TurnRecord())
        return self.turns[-1]


class CallAudit:
    """The call's view of the audit log: forwards every event and keeps what the replay table shows."""

    def __init__(self, sink: AuditSink | None, log: CallLog, *, boundary: Boundary | None = None) -> None:
        self._sink = sink
        self._log = log
        self.boundary = boundary  # the call's egress check: no stretch of a caller's secret is written
        self._departments: dict[str, str] = {}  # proposal id -> department, for the replay table

    def _scrubbed(self, payload: dict[str, object]) -> tuple[dict[str, object], int]:
        boundary = self.boundary
        if boundary is None:
            return payload, 0
        total = 0

        def walk(value: object) -> object:
            nonlocal total
            if isinstance(value, str):
                text, n = boundary.scrub(value)
                total += n
                return text
            if isinstance(value, dict):
                return {k: walk(v) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v) for v in value]
            return value

        out = {k: (walk(v) if k in TEXT_FIELDS or k == "tool_calls" else v) for k, v in payload.items()}
        return out, total

    async def emit(
        self, event_type: str, payload: dict[str, object], *, call_id: str, actor: str, durable: bool = False
    ) -> None:
        payload, scrubbed = self._scrubbed(payload)
        if scrubbed and self._sink is not None:
            await self._sink.emit(
                EventType.REDACTION_WITHHELD,
                {"stage": "audit", "reason": "secret_in_event", "entity_counts": {"SECRET": scrubbed}},
                call_id=call_id, actor="redaction", durable=True,
            )
        if self._sink is not None:  # written first: the call's record shows only what the log holds
            await self._sink.emit(event_type, payload, call_id=call_id, actor=actor, durable=durable)
        self._log.events.append(str(event_type))
        if event_type == "transfer.proposed":
            self._departments[str(payload.get("proposal_id"))] = str(payload.get("department"))
        elif event_type == "transfer.decided":
            decided = dict(payload)
            decided.setdefault("department", self._departments.get(str(payload.get("proposal_id")), ""))
            self._log.decisions.append(decided)
            if self._log.turns:
                self._log.current().decision = f"{payload.get('decision')} ({payload.get('rule_id')})"
        elif event_type == "transfer.executed":
            self._log.transfers.append((str(payload.get("department")), str(payload.get("target"))))
