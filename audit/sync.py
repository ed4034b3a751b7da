"""Synchronous writing for CLI and admin code that has no event loop.

Inside the server, use :meth:`audit.log.AuditLog.append` (or ``AuditLog.append_sync`` from
another thread) so that all writes go through the one writer task.
"""

from __future__ import annotations

from audit.checkpointing import Checkpointer
from audit.events import AuditEvent, AuditRecord
from audit.signing import CheckpointSigner
from audit.store import AuditStore


def append_sync(
    store: AuditStore, event: AuditEvent, *, durable: bool = True, signer: CheckpointSigner | None = None
) -> AuditRecord:
    """Append one event (durably by default); with ``signer``, also checkpoint the new head."""
    (record,) = store.append([event], durable=durable)
    if signer is not None:
        Checkpointer(store=store, signer=signer).checkpoint(event.workspace_id)
    return record
