"""The storage interface. SQLite is the embedded backend (:mod:`audit.sqlite_store`); PostgreSQL
(:mod:`audit.pg_store`) implements the same :class:`AuditStore` protocol for several writer
processes; :func:`audit.backends.open_store` picks one from a path or a URL.

Contract every backend keeps:

* ``append`` seals a batch atomically: for each event it reads the workspace head *inside the
  write transaction*, assigns ``seq = head.seq + 1``, ``prev_hash = head.row_hash``,
  ``ts = max(now, head.ts)`` and the row hash, inserts the rows and moves the head, all in one
  commit. With ``durable=True`` the commit is flushed to stable storage before it returns.
* Rows are never updated. Only :meth:`AuditStore.purge_before` deletes, and only a prefix of a
  workspace chain, in the same transaction that appends the ``audit.purged`` record.
* Reads return rows ordered by ``seq``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from audit.events import AuditEvent, AuditRecord
from audit.signing import Checkpoint


@dataclass(frozen=True, slots=True)
class ChainHead:
    """The last row of a workspace chain."""

    workspace_id: str
    seq: int
    row_hash: str
    ts: str


@dataclass(frozen=True, kw_only=True, slots=True)
class RowQuery:
    """Row filter. ``since`` is inclusive, ``until`` exclusive (row timestamps, UTC)."""

    since: str | None = None
    until: str | None = None
    call_id: str | None = None
    types: tuple[str, ...] | None = None
    first_seq: int | None = None
    last_seq: int | None = None

    @property
    def contiguous(self) -> bool:
        """True when the matching rows form an unbroken run of the chain (no call/type filter)."""
        return self.call_id is None and not self.types


class AuditStore(Protocol):
    """An append-only, hash-chained, per-workspace event store."""

    def append(self, events: Sequence[AuditEvent], *, durable: bool) -> list[AuditRecord]: ...

    def head(self, workspace_id: str) -> ChainHead | None: ...

    def workspaces(self) -> list[str]: ...

    def rows(self, workspace_id: str, query: RowQuery | None = None) -> Iterator[AuditRecord]: ...

    def count(self, workspace_id: str, query: RowQuery | None = None) -> int: ...

    def first_seq(self, workspace_id: str) -> int | None: ...

    def row_hashes(self, workspace_id: str, first_seq: int, last_seq: int) -> list[str]: ...

    def add_checkpoint(self, checkpoint: Checkpoint, *, public_key_pem: bytes) -> None: ...

    def checkpoints(
        self, workspace_id: str, *, min_seq: int | None = None, max_seq: int | None = None
    ) -> list[Checkpoint]: ...

    def public_keys(self) -> dict[str, bytes]: ...

    def purge_before(
        self, workspace_id: str, *, cutoff_ts: str, retention_days: int, actor: str
    ) -> AuditRecord | None: ...

    def close(self) -> None: ...


class SnapshotStore(AuditStore, Protocol):
    """A store a verifier can read at one point in time while writers go on."""

    def read_snapshot(self) -> AbstractContextManager[None]: ...
