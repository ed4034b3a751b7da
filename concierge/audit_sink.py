"""The audit seam of the concierge: a :class:`AuditSink` Protocol and two small sinks.

:class:`concierge.audit_adapter.AuditLogSink` adapts the hash-chained ``audit.AuditLog``; the
payloads follow its closed schemas (``audit.payloads.PAYLOAD_SCHEMAS``). Payloads carry
tokenized text only. ``durable=True`` means the event must be on stable storage before
``emit`` returns (decisions are emitted durable, before anything executes).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Protocol, runtime_checkable


class EventType(StrEnum):
    """The events the concierge emits; names and payload fields follow ``audit.payloads``."""

    CALL_STARTED = "call.started"
    CALL_ENDED = "call.ended"
    BRAIN_TURN = "brain.turn"
    BRAIN_PROMPT = "brain.prompt"
    BRAIN_FAILED = "brain.failed"
    TRANSFER_PROPOSED = "transfer.proposed"
    TRANSFER_DECIDED = "transfer.decided"
    TRANSFER_EXECUTED = "transfer.executed"
    TRANSFER_FAILED = "transfer.failed"
    OPTOUT_APPLIED = "optout.applied"
    CAPTURE_COMPLETED = "capture.completed"
    REDACTION_WITHHELD = "redaction.withheld"


@runtime_checkable
class AuditSink(Protocol):
    async def emit(
        self,
        event_type: str,
        payload: dict[str, object],
        *,
        call_id: str,
        actor: str,
        durable: bool = False,
    ) -> None: ...


@dataclass(frozen=True, slots=True)
class AuditRecord:
    event_type: str
    payload: dict[str, object]
    call_id: str
    actor: str
    durable: bool
    at: float


@dataclass
class MemoryAuditSink:
    """Keeps events in a list (tests, the in-process transport)."""

    records: list[AuditRecord] = field(default_factory=list)

    async def emit(
        self,
        event_type: str,
        payload: dict[str, object],
        *,
        call_id: str,
        actor: str,
        durable: bool = False,
    ) -> None:
        self.records.append(AuditRecord(str(event_type), dict(payload), call_id, actor, durable, time.time()))

    def of_type(self, event_type: str) -> list[AuditRecord]:
        return [r for r in self.records if r.event_type == event_type]

    def types(self) -> list[str]:
        return [r.event_type for r in self.records]


class JsonlAuditSink:
    """Appends one JSON line per event; durable events are fsynced before ``emit`` returns."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        self._lock = asyncio.Lock()

    def _write(self, line: bytes, durable: bool) -> None:
        os.write(self._fd, line)
        if durable:
            os.fsync(self._fd)

    async def emit(
        self,
        event_type: str,
        payload: dict[str, object],
        *,
        call_id: str,
        actor: str,
        durable: bool = False,
    ) -> None:
        row = {"ts": time.time(), "type": str(event_type), "call_id": call_id, "actor": actor, "payload": payload}
        line = (json.dumps(row, sort_keys=True, default=str) + "\n").encode()
        async with self._lock:
            if durable:
                await asyncio.to_thread(self._write, line, True)
            else:
                self._write(line, False)

    def close(self) -> None:
        os.close(self._fd)
