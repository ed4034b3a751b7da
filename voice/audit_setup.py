"""The audit log for the server: SQLite store, checkpoint signer, and the sink calls write to.

Concierge and voice code emit ``(type, payload)`` through :class:`AuditLogSink` (the concierge's
``AuditSink`` protocol); it builds a schema-checked :class:`audit.events.AuditEvent` and appends it.
An event the schema rejects is a programming error: it raises, so no AI action goes unlogged
silently.
"""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

from audit.events import AuditEvent, EventType
from audit.log import AuditLog
from audit.signing import CheckpointSigner
from audit.sqlite_store import SqliteAuditStore
from concierge.config import Workspace

log = logging.getLogger("dialphone.audit")


class AuditLogSink:
    """Adapts the hash-chained :class:`AuditLog` to the concierge's ``AuditSink`` protocol."""

    def __init__(self, log_: AuditLog, *, workspace_id: str) -> None:
        self._log = log_
        self._workspace = workspace_id
        self.events_written = 0

    async def emit(
        self, event_type: str, payload: dict[str, object], *, call_id: str, actor: str, durable: bool = False
    ) -> None:
        event = AuditEvent(
            type=EventType(event_type),
            workspace_id=self._workspace,
            call_id=call_id,
            actor=actor,
            payload=payload,  # type: ignore[arg-type]
        )
        await self._log.append(event, durable=durable)
        self.events_written += 1


def signer_for(workspace: Workspace) -> CheckpointSigner | None:
    b64 = workspace.security.audit_signing_key_b64 or os.environ.get("DIALPHONE_AUDIT_SIGNING_KEY_B64")
    if not b64:
        log.warning("no audit signing key configured: checkpoints are not signed")
        return None
    return CheckpointSigner(private_key=base64.b64decode(b64))


def open_audit(workspace: Workspace, path: Path) -> tuple[AuditLog, AuditLogSink]:
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SqliteAuditStore(path)
    audit_log = AuditLog(store=store, signer=signer_for(workspace))
    return audit_log, AuditLogSink(audit_log, workspace_id=workspace.id)
