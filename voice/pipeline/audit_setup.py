"""The audit log for the server: its store, the checkpoint signer, and the sink calls write to.

The store is SQLite (``<data_dir>/audit.db``) or, with ``DIALPHONE_DATABASE_URL=postgresql://...``,
the PostgreSQL store the server passes in (one chain per workspace across processes). The signing
key comes from the deployment settings only (``DIALPHONE_AUDIT_KEY`` or
``DIALPHONE_AUDIT_SIGNING_KEY_B64``, see :mod:`voice.settings`), never from the data folder or a
database; each checkpoint names its key id. Without a key, rows still chain but no checkpoint is
signed, and the server says so at start-up.

Concierge and voice code emit ``(type, payload)`` through the concierge's
:class:`~concierge.audit_adapter.AuditLogSink`, which builds schema-checked audit events. An event
the schema rejects raises, so no AI action goes unlogged silently.
"""

from __future__ import annotations

import base64
import binascii
import logging
from pathlib import Path

from audit.log import AuditLog
from audit.signing import CheckpointSigner
from audit.sqlite_store import SqliteAuditStore
from audit.store import AuditStore
from concierge.audit_adapter import AuditLogSink
from concierge.config import Workspace

log = logging.getLogger("dialphone.audit")


def signer_for(workspace: Workspace, key: bytes | None = None) -> CheckpointSigner | None:
    """The checkpoint signer: ``key`` (PEM or 32 raw bytes, from the settings), else the running
    workspace's ``security.audit_signing_key_b64`` (set from the settings); None without either."""
    if key is None and workspace.security.audit_signing_key_b64:
        try:
            key = base64.b64decode(workspace.security.audit_signing_key_b64, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the audit signing key is not valid base64") from None
    return None if key is None else CheckpointSigner(private_key=key)


def open_audit(
    workspace: Workspace, path: Path | None = None, *, store: AuditStore | None = None, signing_key: bytes | None = None
) -> tuple[AuditLog, AuditLogSink]:
    if store is None:
        if path is None:
            raise ValueError("open_audit needs a SQLite path or a store")
        path.parent.mkdir(parents=True, exist_ok=True)
        store = SqliteAuditStore(path)
    signer = signer_for(workspace, signing_key)
    if signer is not None:
        log.info("audit checkpoints are signed with key id %s", signer.key_id)
    audit_log = AuditLog(store=store, signer=signer)
    return audit_log, AuditLogSink(audit_log, workspace_id=workspace.id)
