"""The configuration store on SQLAlchemy Core: workspaces, API tokens, caller opt-outs.

One class for both backends (``sqlite:///...`` and ``postgresql://...``): every statement is
portable, and each write that must not race is a single compare-and-set statement.

- Workspaces are stored whole, as :func:`concierge.config.stored_form` JSON (no secrets, no raw
  numbers), with a version that each save increments. :meth:`SqlConfigStore.save` with
  ``expected_version`` raises :class:`VersionConflict` instead of overwriting a newer version.
- Tokens are SHA-256 digests with an optional expiry; revoking keeps the row (who, when).
- Opt-outs are keyed HMAC identifiers (:func:`voice.ivr.optout.number_digest`) and a masked form.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError

import voice.store.schema as t
from concierge.config import Workspace, differences, stored_form
from voice.ivr.optout import mask_number, number_digest
from voice.store.db import advisory_key, open_engine
from voice.store.exceptions import StoreError, VersionConflict
from voice.store.records import OptOutEntry, TokenRecord, now_ts
from voice.store.tokens import digest as token_digest

ROLES = ("admin", "supervisor", "auditor")


class SqlConfigStore:
    """``SqlConfigStore("sqlite:///var/state.db")`` or ``SqlConfigStore("postgresql://...")``."""

    def __init__(self, url: str, *, engine: sa.Engine | None = None) -> None:
        self.url = url
        self.engine = engine if engine is not None else open_engine(url)
        self._regions: dict[str, str] = {}
        self._held: dict[int, str] = {}

    @contextmanager
    def _tx(self) -> Iterator[sa.Connection]:
        try:
            with self.engine.begin() as conn:
                yield conn
        except sa.exc.IntegrityError:
            raise
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"state store error: {type(exc).__name__}") from None

    # -- workspaces -----------------------------------------------------------
    def workspace_ids(self) -> list[str]:
        with self._tx() as c:
            return [r[0] for r in c.execute(sa.select(t.workspaces.c.id).order_by(t.workspaces.c.id))]

    def load_versioned(self, workspace_id: str) -> tuple[Workspace, int] | None:
        with self._tx() as c:
            row = c.execute(
                sa.select(t.workspaces.c.body, t.workspaces.c.version).where(t.workspaces.c.id == workspace_id)
            ).first()
        if row is None:
            return None
        try:
            ws = Workspace.model_validate(json.loads(row[0]))
        except (ValidationError, ValueError):
            raise StoreError(f"stored workspace {workspace_id!r} no longer validates") from None
        self._regions[ws.id] = ws.default_region
        return ws, int(row[1])

    def load(self, workspace_id: str) -> Workspace | None:
        found = self.load_versioned(workspace_id)
        return None if found is None else found[0]

    def version(self, workspace_id: str) -> int:
        with self._tx() as c:
            v = c.execute(sa.select(t.workspaces.c.version).where(t.workspaces.c.id == workspace_id)).scalar()
        return int(v) if v is not None else 0

    def save(self, workspace: Workspace, *, actor: str, expected_version: int | None = None) -> int:
        """Store ``workspace`` as the next version; returns it. With ``expected_version``, refuse
        (:class:`VersionConflict`) unless the stored version is that one (0: not stored yet)."""
        body = json.dumps(stored_form(workspace), sort_keys=True)
        expected = self.version(workspace.id) if expected_version is None else expected_version
        w = t.workspaces
        values = {"body": body, "version": expected + 1, "updated_at": now_ts(), "updated_by": actor}
        try:
            with self._tx() as c:
                if expected == 0:
                    c.execute(sa.insert(w).values(id=workspace.id, **values))
                    done = 1
                else:
                    done = c.execute(
                        sa.update(w).where(w.c.id == workspace.id, w.c.version == expected).values(**values)
                    ).rowcount
        except sa.exc.IntegrityError:
            done = 0
        if done != 1:
            raise VersionConflict(workspace.id, expected=expected, current=self.version(workspace.id))
        self._regions[workspace.id] = workspace.default_region
        return expected + 1

    def workspace_lock(self, workspace_id: str) -> sa.Connection | None:
        """Serialize changes of one workspace across processes (PostgreSQL session advisory lock,
        held on a connection of its own until :meth:`workspace_unlock`). None on SQLite, where
        one process writes and the version check in :meth:`save` catches the rest."""
        if self.engine.dialect.name != "postgresql":
            return None
        conn = self.engine.connect()
        try:
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": advisory_key(f"dialphone.workspace:{workspace_id}")})
            conn.commit()
        except sa.exc.SQLAlchemyError as exc:
            conn.close()
            raise StoreError(f"state store error: {type(exc).__name__}") from None
        self._held[id(conn)] = workspace_id
        return conn

    def workspace_unlock(self, handle: sa.Connection | None) -> None:
        if handle is None:
            return
        ws = self._held.pop(id(handle), "")
        try:
            handle.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(f"dialphone.workspace:{ws}")})
            handle.commit()
        except sa.exc.SQLAlchemyError:
            handle.invalidate()  # closing the session releases the lock anyway
        finally:
            handle.close()

    def seed(self, workspace: Workspace) -> Workspace:
        """Store ``workspace`` unless held already (first start), then its YAML tokens and
        opt-out numbers (each once); returns the stored version, which is what runs."""
        stored = self.load(workspace.id)
        if stored is None:
            try:
                self.save(workspace, actor="seed", expected_version=0)
                stored = self.load(workspace.id) or workspace
            except VersionConflict:  # another process seeded it first
                stored = self.load(workspace.id) or workspace
        self.seed_extras(workspace, actor="seed")
        return stored

    def seed_extras(self, workspace: Workspace, *, actor: str) -> None:
        """The YAML's ``security.api_tokens`` (as digests) and ``optout_numbers`` (as identifiers)."""
        known = {rec.digest for rec in self.all_tokens()}
        for entry in workspace.security.api_tokens:
            d = entry.get("sha256") or (token_digest(entry["token"]) if entry.get("token") else "")
            role = entry.get("role", "")
            if d and d not in known and role in ROLES:
                self.add_token(workspace_id=workspace.id, name=entry.get("name", "token"), role=role, digest=d,
                               expires_at=entry.get("expires_at"), actor=actor)
                known.add(d)
        for number in workspace.optout_numbers:
            self.add_optout(workspace.id, number, source="seed", actor=actor, region=workspace.default_region)

    def differences(self, workspace: Workspace) -> list[str]:
        """Fields where ``workspace`` (a YAML) differs from the stored version; [] if not stored."""
        stored = self.load(workspace.id)
        return [] if stored is None else differences(stored_form(stored), stored_form(workspace))

    # -- tokens -------------------------------------------------------------
    def _token(self, r: Any) -> TokenRecord:
        return TokenRecord(r.id, r.workspace_id, r.name, r.role, r.digest, r.created_at, r.created_by,
                           r.expires_at, r.revoked_at, r.revoked_by)

    def all_tokens(self, workspace_id: str | None = None) -> list[TokenRecord]:
        q = sa.select(t.tokens).order_by(t.tokens.c.created_at, t.tokens.c.id)
        if workspace_id is not None:
            q = q.where(t.tokens.c.workspace_id == workspace_id)
        with self._tx() as c:
            return [self._token(r) for r in c.execute(q)]

    def tokens(self) -> list[TokenRecord]:
        """The tokens that authenticate now: not revoked, not expired."""
        now = now_ts()
        q = sa.select(t.tokens).where(
            t.tokens.c.revoked_at.is_(None), sa.or_(t.tokens.c.expires_at.is_(None), t.tokens.c.expires_at > now)
        )
        with self._tx() as c:
            return [self._token(r) for r in c.execute(q)]

    def add_token(
        self, *, workspace_id: str, name: str, role: str, digest: str, expires_at: str | None = None,
        actor: str = "seed",
    ) -> TokenRecord:
        rec = TokenRecord(uuid.uuid4().hex[:12], workspace_id, name, str(role), digest, now_ts(), actor, expires_at)
        try:
            with self._tx() as c:
                c.execute(sa.insert(t.tokens).values(
                    id=rec.id, workspace_id=workspace_id, name=name, role=rec.role, digest=digest,
                    created_at=rec.created_at, created_by=actor, expires_at=expires_at,
                ))
        except sa.exc.IntegrityError:
            raise StoreError("a token with this digest exists") from None
        return rec

    def revoke_token(self, workspace_id: str, token_id: str, *, actor: str) -> TokenRecord | None:
        """Revoke (keeping the row); None if the workspace has no such token. Idempotent."""
        tk = t.tokens
        with self._tx() as c:
            c.execute(sa.update(tk).where(tk.c.workspace_id == workspace_id, tk.c.id == token_id,
                                          tk.c.revoked_at.is_(None)).values(revoked_at=now_ts(), revoked_by=actor))
            row = c.execute(sa.select(tk).where(tk.c.workspace_id == workspace_id, tk.c.id == token_id)).first()
        return None if row is None else self._token(row)

    # -- opt-outs -----------------------------------------------------------
    def _region(self, workspace_id: str) -> str:
        if workspace_id not in self._regions:
            found = self.load(workspace_id)
            self._regions[workspace_id] = found.default_region if found is not None else "US"
        return self._regions[workspace_id]

    def optouts(self, workspace_id: str) -> list[OptOutEntry]:
        o = t.optouts
        q = sa.select(o).where(o.c.workspace_id == workspace_id).order_by(o.c.created_at, o.c.digest)
        with self._tx() as c:
            return [OptOutEntry(r.digest[:16], workspace_id, r.masked, r.source, r.created_by, r.created_at)
                    for r in c.execute(q)]

    def add_optout(
        self, workspace_id: str, number: str, *, source: str, actor: str, region: str | None = None
    ) -> OptOutEntry:
        region = region or self._region(workspace_id)
        d = number_digest(workspace_id, number, region=region)
        entry = OptOutEntry(d[:16], workspace_id, mask_number(number, region), source, actor, now_ts())
        try:
            with self._tx() as c:
                c.execute(sa.insert(t.optouts).values(
                    workspace_id=workspace_id, digest=d, masked=entry.masked, source=source, created_by=actor,
                    created_at=entry.created_at,
                ))
        except sa.exc.IntegrityError:
            pass  # listed already
        return entry

    def remove_optout(self, workspace_id: str, entry_id: str) -> OptOutEntry | None:
        found = next((e for e in self.optouts(workspace_id) if e.id == entry_id), None)
        if found is not None:
            o = t.optouts
            with self._tx() as c:
                c.execute(sa.delete(o).where(o.c.workspace_id == workspace_id, o.c.digest.startswith(entry_id)))
        return found

    def contains(self, workspace_id: str, digest: str) -> bool:
        o = t.optouts
        with self._tx() as c:
            return c.execute(sa.select(sa.literal(1)).where(o.c.workspace_id == workspace_id,
                                                            o.c.digest == digest)).first() is not None

    def remember(self, workspace_id: str, number: str, *, source: str, actor: str) -> None:
        self.add_optout(workspace_id, number, source=source, actor=actor)

    def close(self) -> None:
        self.engine.dispose()
