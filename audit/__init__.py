"""Tamper-evident audit log: versioned event schema, hash-chained SQLite store, signed checkpoints,
self-verifying exports, offline verification and retention. Imports nothing else of ours.

Typical use in the server::

    store = SqliteAuditStore("audit.db")
    async with AuditLog(store=store, signer=CheckpointSigner(private_key=pem)) as log:
        await log.append(builders.asr_transcribed(...))                  # group-committed
        await log.append(builders.transfer_decided(...), durable=True)   # fsync'd before the transfer

See docs/audit.md for the canonical form, the export format and the verifier's fault kinds.
"""

from __future__ import annotations

from audit import builders
from audit.canonical import GENESIS_HASH, canonical_json, compute_row_hash
from audit.config import AuditConfig
from audit.events import GATING_TYPES, SCHEMA_VERSION, AuditEvent, AuditRecord, EventType
from audit.exceptions import AuditError
from audit.export import ExportFormat, export
from audit.log import AuditLog
from audit.payloads import Decision, OptOutScope, tokenized_fields, validate_payload
from audit.retention import purge, purge_all
from audit.signing import (
    Checkpoint,
    CheckpointSigner,
    generate_private_key_pem,
    load_public_key,
    public_key_pem,
)
from audit.sqlite_store import SqliteAuditStore
from audit.store import AuditStore, ChainHead, RowQuery
from audit.sync import append_sync
from audit.verify import Fault, FaultKind, VerifyResult
from audit.verify_sources import verify_export, verify_store

__all__ = [
    "GATING_TYPES",
    "GENESIS_HASH",
    "SCHEMA_VERSION",
    "AuditConfig",
    "AuditError",
    "AuditEvent",
    "AuditLog",
    "AuditRecord",
    "AuditStore",
    "ChainHead",
    "Checkpoint",
    "CheckpointSigner",
    "Decision",
    "EventType",
    "ExportFormat",
    "Fault",
    "FaultKind",
    "OptOutScope",
    "RowQuery",
    "SqliteAuditStore",
    "VerifyResult",
    "append_sync",
    "builders",
    "canonical_json",
    "compute_row_hash",
    "export",
    "generate_private_key_pem",
    "load_public_key",
    "public_key_pem",
    "purge",
    "purge_all",
    "tokenized_fields",
    "validate_payload",
    "verify_export",
    "verify_store",
]
