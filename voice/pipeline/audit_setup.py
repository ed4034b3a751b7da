"""The audit log for the server: SQLite store, checkpoint signer, and the sink calls write to.

Concierge and voice code emit ``(type, payload)`` through the concierge's
:class:`~concierge.audit_adapter.AuditLogSink`, which builds schema-checked audit events. An event
the schema rejects raises, so no AI action goes unlogged silently.
"""

from __future__ import annotations

import base64
import logging
import os
from pathlib import Path

from audit.log import AuditLog
from audit.signing import CheckpointSigner, generate_private_key_pem
from audit.sqlite_store import SqliteAuditStore
from concierge.audit_adapter import AuditLogSink
from concierge.config import Workspace

log = logging.getLogger("dialphone.audit")


def signer_for(workspace: Workspace, key_file: Path) -> CheckpointSigner:
    """The checkpoint key: configuration or ``DIALPHONE_AUDIT_SIGNING_KEY_B64``, else a key kept
    beside the audit database (created once, mode 0600; export its public key with
    ``dialphone audit keygen --public``)."""
    b64 = workspace.security.audit_signing_key_b64 or os.environ.get("DIALPHONE_AUDIT_SIGNING_KEY_B64")
    if b64:
        return CheckpointSigner(private_key=base64.b64decode(b64))
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(generate_private_key_pem())
        log.warning("created an audit signing key at %s; configure one for production", key_file)
    return CheckpointSigner(private_key=key_file.read_bytes())


def open_audit(workspace: Workspace, path: Path) -> tuple[AuditLog, AuditLogSink]:
    path.parent.mkdir(parents=True, exist_ok=True)
    store = SqliteAuditStore(path)
    signer = signer_for(workspace, path.with_name(path.stem + "-signing.pem"))
    audit_log = AuditLog(store=store, signer=signer)
    return audit_log, AuditLogSink(audit_log, workspace_id=workspace.id)
