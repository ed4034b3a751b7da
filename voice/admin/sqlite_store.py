"""SQLite implementation of :class:`voice.admin.store.ConfigStore` (WAL, one locked connection)."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from concierge.config import Workspace
from voice.admin.exceptions import StoreError
from voice.admin.roles import Role
from voice.admin.store import OptOutEntry
from voice.admin.tokens import TokenRecord
from voice.admin.tokens import digest as token_digest
from voice.ivr.optout import mask_number, number_digest

_SCHEMA = """
CREATE TABLE IF NOT EXISTS workspaces (
    id TEXT PRIMARY KEY, body TEXT NOT NULL, version INTEGER NOT NULL,
    updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS optouts (
    workspace_id TEXT NOT NULL, digest TEXT NOT NULL, masked TEXT NOT NULL, source TEXT NOT NULL,
    created_by TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (workspace_id, digest));
"""


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class SqliteConfigStore:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
            self._db.executescript(_SCHEMA)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open configuration store: {type(exc).__name__}") from None

    def _q(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"configuration store error: {type(exc).__name__}") from None

    # -- workspaces -----------------------------------------------------------
    def workspace_ids(self) -> list[str]:
        return [r[0] for r in self._q("SELECT id FROM workspaces ORDER BY id")]

    def load(self, workspace_id: str) -> Workspace | None:
        rows = self._q("SELECT body FROM workspaces WHERE id = ?", (workspace_id,))
        if not rows:
            return None
        try:
            return Workspace.model_validate(json.loads(rows[0][0]))
        except (ValidationError, ValueError):
            raise StoreError(f"stored workspace {workspace_id!r} no longer validates") from None

    def version(self, workspace_id: str) -> int:
        rows = self._q("SELECT version FROM workspaces WHERE id = ?", (workspace_id,))
        return int(rows[0][0]) if rows else 0

    def save(self, workspace: Workspace, *, actor: str) -> int:
        body = json.dumps(workspace.model_dump(mode="json"), sort_keys=True)
        with self._lock:
            version = self.version(workspace.id) + 1
            self._q(
                "INSERT INTO workspaces (id, body, version, updated_at, updated_by) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET body = excluded.body, version = excluded.version, "
                "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
                (workspace.id, body, version, _now(), actor),
            )
        return version

    def seed(self, workspace: Workspace) -> Workspace:
        with self._lock:
            stored = self.load(workspace.id)
            if stored is None:
                self.save(workspace, actor="seed")
                stored = workspace
            known = {t.digest for t in self.tokens()}
            for entry in workspace.security.api_tokens:
                d = entry.get("sha256") or (token_digest(entry["token"]) if entry.get("token") else "")
                role = entry.get("role", "")
                if d and d not in known and role in {r.value for r in Role}:
                    self.add_token(workspace_id=workspace.id, name=entry.get("name", "token"), role=Role(role), digest=d)
            for number in workspace.optout_numbers:
                self.remember(workspace.id, number, source="seed", actor="seed")
        return stored

    # -- tokens -------------------------------------------------------------
    def tokens(self) -> list[TokenRecord]:
        rows = self._q("SELECT id, workspace_id, name, role, digest FROM tokens")
        return [TokenRecord(r[0], r[1], r[2], Role(r[3]), r[4]) for r in rows]

    def add_token(self, *, workspace_id: str, name: str, role: Role, digest: str) -> TokenRecord:
        rec = TokenRecord(uuid.uuid4().hex[:12], workspace_id, name, role, digest)
        self._q(
            "INSERT INTO tokens (id, workspace_id, name, role, digest, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            (rec.id, workspace_id, name, str(role), digest, _now()),
        )
        return rec

    # -- opt-outs -----------------------------------------------------------
    def optouts(self, workspace_id: str) -> list[OptOutEntry]:
        rows = self._q(
            "SELECT digest, masked, source, created_by, created_at FROM optouts WHERE workspace_id = ? "
            "ORDER BY created_at, digest",
            (workspace_id,),
        )
        return [OptOutEntry(r[0][:16], workspace_id, r[1], r[2], r[3], r[4]) for r in rows]

    def add_optout(self, workspace_id: str, number: str, *, source: str, actor: str) -> OptOutEntry:
        d = number_digest(workspace_id, number)
        entry = OptOutEntry(d[:16], workspace_id, mask_number(number), source, actor, _now())
        self._q(
            "INSERT OR IGNORE INTO optouts (workspace_id, digest, masked, source, created_by, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (workspace_id, d, entry.masked, source, actor, entry.created_at),
        )
        return entry

    def remove_optout(self, workspace_id: str, entry_id: str) -> OptOutEntry | None:
        found = next((e for e in self.optouts(workspace_id) if e.id == entry_id), None)
        if found is not None:
            self._q(
                "DELETE FROM optouts WHERE workspace_id = ? AND substr(digest, 1, 16) = ?", (workspace_id, entry_id)
            )
        return found

    def contains(self, workspace_id: str, digest: str) -> bool:
        return bool(self._q("SELECT 1 FROM optouts WHERE workspace_id = ? AND digest = ?", (workspace_id, digest)))

    def remember(self, workspace_id: str, number: str, *, source: str, actor: str) -> None:
        self.add_optout(workspace_id, number, source=source, actor=actor)

    def close(self) -> None:
        with self._lock:
            self._db.close()
