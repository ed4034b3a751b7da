"""Open an audit store from a command-line target: a SQLite file path or a PostgreSQL URL."""

from __future__ import annotations

from pathlib import Path

from audit.pg_store import PgAuditStore, is_url
from audit.sqlite_store import SqliteAuditStore
from audit.store import SnapshotStore


def open_store(target: str | Path, *, create: bool = True, read_only: bool = False) -> SnapshotStore:
    """``postgresql://...`` -> :class:`PgAuditStore`; anything else is a SQLite file."""
    if is_url(target):
        return PgAuditStore(str(target), create=create, read_only=read_only)
    return SqliteAuditStore(target, create=create, read_only=read_only)


def describe(target: str | Path) -> str:
    """The target as it may be printed: a URL without its password."""
    text = str(target)
    if is_url(text) and "@" in text:
        scheme, rest = text.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}@{host}"
    return text
