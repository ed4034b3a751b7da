"""The concierge's :class:`~concierge.audit_sink.AuditSink` over the hash-chained ``audit.AuditLog``.

One sink per workspace. ``durable=True`` events (``transfer.decided``, ``optout.applied``) are
appended with ``durable=True``, so ``emit`` returns only after the WAL is fsync'd and the
transfer may run; a failed write raises and the action does not run. Other events are queued
without waiting for their commit (the single writer keeps their order, so a proposal is always
committed no later than the decision that follows it); a failed write is logged by type only.
"""

from __future__ import annotations

import asyncio
import logging

from audit import AuditEvent, AuditLog
from audit import EventType as AuditEventType
from concierge.audit_sink import MemoryAuditSink

_log = logging.getLogger(__name__)


class AuditLogSink:
    def __init__(self, log: AuditLog, *, workspace_id: str) -> None:
        self.log = log
        self.workspace_id = workspace_id
        self._pending: set[asyncio.Future[object]] = set()

    def _settled(self, fut: asyncio.Future[object]) -> None:
        self._pending.discard(fut)
        if not fut.cancelled() and fut.exception() is not None:
            _log.error("audit event write failed: %s", type(fut.exception()).__name__)

    async def flush(self) -> None:
        """Wait until every queued non-durable event is committed (or failed)."""
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def emit(
        self,
        event_type: str,
        payload: dict[str, object],
        *,
        call_id: str,
        actor: str,
        durable: bool = False,
    ) -> None:
        event = AuditEvent(
            type=AuditEventType(str(event_type)),
            workspace_id=self.workspace_id,
            call_id=call_id,
            actor=actor,
            payload=payload,  # type: ignore[arg-type]
        )
        if durable:
            await self.log.append(event, durable=True)
            return
        fut: asyncio.Future[object] = self.log.append_nowait(event)  # type: ignore[assignment]
        self._pending.add(fut)
        fut.add_done_callback(self._settled)


class SchemaCheckedMemorySink(MemoryAuditSink):
    """A :class:`MemoryAuditSink` that first validates each event against the audit schema
    (tests and the in-process transport: what it accepts, the real audit log accepts)."""

    def __init__(self, *, workspace_id: str = "demo") -> None:
        super().__init__()
        self.workspace_id = workspace_id

    async def emit(
        self,
        event_type: str,
        payload: dict[str, object],
        *,
        call_id: str,
        actor: str,
        durable: bool = False,
    ) -> None:
        AuditEvent(
            type=AuditEventType(str(event_type)),
            workspace_id=self.workspace_id,
            call_id=call_id,
            actor=actor,
            payload=payload,  # type: ignore[arg-type]
        )
        await super().emit(event_type, payload, call_id=call_id, actor=actor, durable=durable)
