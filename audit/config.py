"""Typed configuration for the audit log, and one call that opens store and writer from it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from audit.exceptions import KeyMaterialError
from audit.log import AuditLog
from audit.signing import CheckpointSigner
from audit.sqlite_store import SqliteAuditStore

KEY_ENV = "DIALPHONE_AUDIT_KEY"


@dataclass(frozen=True, kw_only=True, slots=True)
class AuditConfig:
    """Where the log lives, how it signs, how long rows are kept.

    The checkpoint key is ``private_key_pem`` (PEM or 32 raw bytes), else the PEM file at
    ``private_key_path``, else the file named by ``$DIALPHONE_AUDIT_KEY``; with none, no checkpoints
    are signed (rows still chain, but nothing pins them: fine for tests, not for production)."""

    db_path: Path
    private_key_pem: bytes | None = None
    private_key_path: Path | None = None
    checkpoint_every: int = 1000
    checkpoint_interval_s: float = 30.0
    queue_max: int = 10_000
    batch_max: int = 2_000
    retention_days: Mapping[str, int] = field(default_factory=dict)
    default_retention_days: int | None = None

    def signer(self) -> CheckpointSigner | None:
        material = self.private_key_pem
        path = self.private_key_path or (Path(os.environ[KEY_ENV]) if os.environ.get(KEY_ENV) else None)
        if material is None and path is not None:
            try:
                material = path.read_bytes()
            except OSError as exc:
                raise KeyMaterialError(f"cannot read the audit key file: {exc.strerror}") from None
        return None if material is None else CheckpointSigner(private_key=material)

    def open(self) -> tuple[SqliteAuditStore, AuditLog]:
        """The store and an (unstarted) writer: ``async with log: ...``, then ``store.close()``."""
        store = SqliteAuditStore(self.db_path)
        log = AuditLog(
            store=store,
            signer=self.signer(),
            checkpoint_every=self.checkpoint_every,
            checkpoint_interval_s=self.checkpoint_interval_s,
            queue_max=self.queue_max,
            batch_max=self.batch_max,
        )
        return store, log
