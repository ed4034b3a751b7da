"""Retention: drop rows older than a workspace's retention period without breaking the chain.

A purge deletes a prefix of the workspace chain (rows whose ``ts`` is before ``now - days``; row
timestamps never decrease, so that is a prefix) and, in the same transaction, appends an
``audit.purged`` row carrying ``cut_seq`` and ``cut_hash`` (the row hash of the last deleted row,
i.e. the head hash where it cut). The first remaining row's ``prev_hash`` equals ``cut_hash``,
so the verifier accepts a chain that starts at ``cut_seq + 1`` exactly when the latest purge
record vouches for it; any other missing prefix is reported as deleted rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from audit.events import AuditRecord, format_ts
from audit.store import AuditStore


@dataclass(frozen=True, slots=True)
class PurgeOutcome:
    workspace_id: str
    retention_days: int
    cutoff: str
    record: AuditRecord | None

    @property
    def rows_removed(self) -> int:
        if self.record is None:
            return 0
        removed = self.record.payload.get("rows_removed", 0)
        return removed if isinstance(removed, int) else 0


def purge(
    store: AuditStore,
    *,
    workspace_id: str,
    retention_days: int,
    now: datetime | None = None,
    actor: str = "retention",
) -> PurgeOutcome:
    """Purge one workspace; the returned record is None when nothing was old enough."""
    if retention_days < 0:
        raise ValueError("retention_days must be >= 0")
    cutoff = format_ts((now or datetime.now(UTC)) - timedelta(days=retention_days))
    record = store.purge_before(workspace_id, cutoff_ts=cutoff, retention_days=retention_days, actor=actor)
    return PurgeOutcome(workspace_id, retention_days, cutoff, record)


def purge_all(
    store: AuditStore,
    *,
    retention_days: Mapping[str, int],
    default_days: int | None = None,
    now: datetime | None = None,
    actor: str = "retention",
) -> list[PurgeOutcome]:
    """Purge every workspace that has a retention period (``default_days`` for the others)."""
    outcomes = []
    for ws in store.workspaces():
        days = retention_days.get(ws, default_days)
        if days is not None:
            outcomes.append(purge(store, workspace_id=ws, retention_days=days, now=now, actor=actor))
    return outcomes
