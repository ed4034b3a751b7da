"""PostgreSQL implementation of :class:`audit.store.AuditStore` (SQLAlchemy Core, psycopg 3).

Several processes append to one chain per workspace: each append transaction takes
``pg_advisory_xact_lock`` of every workspace it writes (in sorted order, so two writers cannot
deadlock), then reads the head, seals, inserts and moves the head before it commits and releases.
So there are no forks and no duplicate sequence numbers, whichever process writes.

Durability: a durable append commits with ``synchronous_commit=on`` (the WAL is flushed before
``append`` returns); other batches commit with ``synchronous_commit=off`` (a commit survives any
client crash, SIGKILL included; only a crash of the database server may lose the last fraction of
a second of them), the analogue of the SQLite store's ``synchronous=NORMAL``.

The tables are Alembic's (``audit/migrations``, version table ``dialphone_audit_version``), so
they share a database with the server's state tables without touching them.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from audit.builders import audit_purged
from audit.events import AuditEvent, AuditRecord, now_ts
from audit.exceptions import AuditStoreError
from audit.signing import Checkpoint
from audit.sqlite_store import GENESIS, record_from_row
from audit.store import ChainHead, RowQuery

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "dialphone_audit_version"
_COLUMNS = "schema_version, seq, ts, workspace_id, call_id, type, actor, payload, prev_hash, row_hash"
_PAGE = 2000
_INSERT = sa.text(
    f"INSERT INTO audit_events ({_COLUMNS}) VALUES "
    "(:schema_version, :seq, :ts, :workspace_id, :call_id, :type, :actor, :payload, :prev_hash, :row_hash)"
)
_HEAD = sa.text(
    "INSERT INTO audit_heads (workspace_id, seq, row_hash, ts) VALUES (:ws, :seq, :h, :ts) "
    "ON CONFLICT (workspace_id) DO UPDATE SET seq = excluded.seq, row_hash = excluded.row_hash, ts = excluded.ts"
)


def is_url(target: str | Path) -> bool:
    return str(target).startswith(("postgresql:", "postgresql+", "postgres:"))


def driver_url(url: str) -> str:
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def lock_key(workspace_id: str) -> int:
    """The advisory lock key of a workspace chain (signed 64 bits)."""
    digest = hashlib.sha256(f"dialphone.audit:{workspace_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def upgrade(engine: sa.Engine) -> None:
    """Create or migrate the audit tables (idempotent, serialized across processes)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["version_table"] = VERSION_TABLE
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key("<migrations>")})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


class PgAuditStore:
    """``PgAuditStore("postgresql://user@host/db")``; thread-safe (a connection pool)."""

    def __init__(self, url: str, *, create: bool = True, read_only: bool = False) -> None:
        self.url = url
        try:
            # no pre-ping: a gating write pays every round trip (a dropped connection fails one append,
            # which raises, and the pool replaces it)
            self._engine = sa.create_engine(driver_url(url), pool_size=4, max_overflow=8)
            if create and not read_only:
                upgrade(self._engine)
            else:
                with self._engine.connect() as conn:
                    if conn.execute(sa.text("SELECT to_regclass('audit_events')")).scalar() is None:
                        raise AuditStoreError("the database holds no audit log")
        except sa.exc.SQLAlchemyError as exc:
            raise AuditStoreError(f"cannot open the audit database: {type(exc).__name__}") from None
        self._local = threading.local()
        self._closed = False

    # -- writing ---------------------------------------------------------------------------

    def append(self, events: Sequence[AuditEvent], *, durable: bool) -> list[AuditRecord]:
        if not events:
            return []
        self._check_open()
        try:
            with self._engine.begin() as conn:
                if not durable:
                    conn.execute(sa.text("SET LOCAL synchronous_commit TO off"))
                return self._seal_and_insert(conn, events)
        except sa.exc.SQLAlchemyError as exc:
            raise AuditStoreError(f"append failed: {type(exc).__name__}") from None

    def _lock_and_heads(self, conn: sa.Connection, spaces: list[str]) -> dict[str, ChainHead | None]:
        for ws in spaces:  # sorted: two writers take the locks in one order
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock_key(ws)})
        found = conn.execute(
            sa.text("SELECT workspace_id, seq, row_hash, ts FROM audit_heads WHERE workspace_id = ANY(:ws)"),
            {"ws": spaces},
        )
        heads: dict[str, ChainHead | None] = {ws: None for ws in spaces}
        for r in found:
            heads[r[0]] = ChainHead(r[0], int(r[1]), r[2], r[3])
        return heads

    def _seal_and_insert(self, conn: sa.Connection, events: Sequence[AuditEvent]) -> list[AuditRecord]:
        heads = self._lock_and_heads(conn, sorted({e.workspace_id for e in events}))
        records: list[AuditRecord] = []
        rows: list[dict[str, Any]] = []
        now = now_ts()
        for event in events:
            ws = event.workspace_id
            head = heads[ws]
            seq, prev, ts = (1, GENESIS, now) if head is None else (head.seq + 1, head.row_hash, max(now, head.ts))
            record, payload_text = event.seal_with_text(seq=seq, prev_hash=prev, ts=ts)
            records.append(record)
            rows.append({
                "schema_version": record.schema_version, "seq": record.seq, "ts": record.ts,
                "workspace_id": ws, "call_id": record.call_id, "type": record.type, "actor": record.actor,
                "payload": payload_text, "prev_hash": record.prev_hash, "row_hash": record.row_hash,
            })
            heads[ws] = ChainHead(ws, seq, record.row_hash, ts)
        conn.execute(_INSERT, rows)
        conn.execute(
            _HEAD, [{"ws": h.workspace_id, "seq": h.seq, "h": h.row_hash, "ts": h.ts} for h in heads.values() if h]
        )
        return records

    def add_checkpoint(self, checkpoint: Checkpoint, *, public_key_pem: bytes) -> None:
        c = checkpoint
        self._check_open()
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    sa.text("INSERT INTO audit_public_keys (key_id, pem) VALUES (:k, :p) ON CONFLICT DO NOTHING"),
                    {"k": c.key_id, "p": public_key_pem.decode("ascii")},
                )
                conn.execute(
                    sa.text(
                        "INSERT INTO audit_checkpoints (workspace_id, seq, head_hash, span_start, span_root, ts, "
                        "key_id, signature) VALUES (:workspace_id, :seq, :head_hash, :span_start, :span_root, :ts, "
                        ":key_id, :signature) ON CONFLICT DO NOTHING"
                    ),
                    c.to_dict(),
                )
        except sa.exc.SQLAlchemyError as exc:
            raise AuditStoreError(f"checkpoint write failed: {type(exc).__name__}") from None

    def purge_before(
        self, workspace_id: str, *, cutoff_ts: str, retention_days: int, actor: str
    ) -> AuditRecord | None:
        """Delete the rows older than ``cutoff_ts`` and append ``audit.purged``, in one durable commit."""
        self._check_open()
        try:
            with self._engine.begin() as conn:
                self._lock_and_heads(conn, [workspace_id])
                cut = conn.execute(
                    sa.text(
                        "SELECT seq, row_hash FROM audit_events WHERE workspace_id = :ws AND ts < :c "
                        "ORDER BY seq DESC LIMIT 1"
                    ),
                    {"ws": workspace_id, "c": cutoff_ts},
                ).first()
                if cut is None:
                    return None
                removed = conn.execute(
                    sa.text("DELETE FROM audit_events WHERE workspace_id = :ws AND seq <= :s"),
                    {"ws": workspace_id, "s": cut[0]},
                ).rowcount
                conn.execute(
                    sa.text("DELETE FROM audit_checkpoints WHERE workspace_id = :ws AND seq <= :s"),
                    {"ws": workspace_id, "s": cut[0]},
                )
                event = audit_purged(
                    workspace_id=workspace_id, cut_seq=int(cut[0]), cut_hash=cut[1], cutoff=cutoff_ts,
                    retention_days=retention_days, rows_removed=int(removed), actor=actor,
                )
                (record,) = self._seal_and_insert(conn, [event])
                return record
        except sa.exc.SQLAlchemyError as exc:
            raise AuditStoreError(f"purge failed: {type(exc).__name__}") from None

    # -- reading ---------------------------------------------------------------------------

    def _query(self, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
        self._check_open()
        pinned: sa.Connection | None = getattr(self._local, "conn", None)
        try:
            if pinned is not None:
                return list(pinned.execute(sa.text(sql), params or {}).fetchall())
            with self._engine.connect() as conn:
                return list(conn.execute(sa.text(sql), params or {}).fetchall())
        except sa.exc.SQLAlchemyError as exc:
            raise AuditStoreError(f"query failed: {type(exc).__name__}") from None

    def head(self, workspace_id: str) -> ChainHead | None:
        rows = self._query("SELECT seq, row_hash, ts FROM audit_heads WHERE workspace_id = :ws", {"ws": workspace_id})
        return None if not rows else ChainHead(workspace_id, int(rows[0][0]), rows[0][1], rows[0][2])

    def workspaces(self) -> list[str]:
        return [
            r[0]
            for r in self._query(
                "SELECT workspace_id FROM audit_heads UNION SELECT DISTINCT workspace_id FROM audit_events ORDER BY 1"
            )
        ]

    def first_seq(self, workspace_id: str) -> int | None:
        rows = self._query("SELECT MIN(seq) FROM audit_events WHERE workspace_id = :ws", {"ws": workspace_id})
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    def rows(self, workspace_id: str, query: RowQuery | None = None) -> Iterator[AuditRecord]:
        where, params = _where(workspace_id, query or RowQuery())
        after = 0
        while True:
            page = self._query(
                f"SELECT {_COLUMNS} FROM audit_events WHERE {where} AND seq > :after ORDER BY seq LIMIT {_PAGE}",
                {**params, "after": after},
            )
            for row in page:
                yield record_from_row(tuple(int(v) if i == 1 else v for i, v in enumerate(row)))
            if len(page) < _PAGE:
                return
            after = int(page[-1][1])

    def count(self, workspace_id: str, query: RowQuery | None = None) -> int:
        where, params = _where(workspace_id, query or RowQuery())
        return int(self._query(f"SELECT COUNT(*) FROM audit_events WHERE {where}", params)[0][0])

    def row_hashes(self, workspace_id: str, first_seq: int, last_seq: int) -> list[str]:
        rows = self._query(
            "SELECT row_hash FROM audit_events WHERE workspace_id = :ws AND seq BETWEEN :a AND :b ORDER BY seq",
            {"ws": workspace_id, "a": first_seq, "b": last_seq},
        )
        return [r[0] for r in rows]

    def checkpoints(
        self, workspace_id: str, *, min_seq: int | None = None, max_seq: int | None = None
    ) -> list[Checkpoint]:
        rows = self._query(
            "SELECT workspace_id, seq, head_hash, span_start, span_root, ts, key_id, signature FROM audit_checkpoints "
            "WHERE workspace_id = :ws AND seq >= :a AND seq <= :b ORDER BY seq",
            {"ws": workspace_id, "a": min_seq if min_seq is not None else 0,
             "b": max_seq if max_seq is not None else 2**62},
        )
        names = ("workspace_id", "seq", "head_hash", "span_start", "span_root", "ts", "key_id", "signature")
        return [Checkpoint.from_dict(dict(zip(names, r, strict=True))) for r in rows]

    def public_keys(self) -> dict[str, bytes]:
        return {r[0]: r[1].encode("ascii") for r in self._query("SELECT key_id, pem FROM audit_public_keys")}

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """Reads inside see one snapshot (REPEATABLE READ) while other processes go on appending."""
        self._check_open()
        conn = self._engine.connect().execution_options(isolation_level="REPEATABLE READ")
        conn.begin()
        self._local.conn = conn
        try:
            yield
        finally:
            self._local.conn = None
            conn.rollback()
            conn.close()

    # -- housekeeping ----------------------------------------------------------------------

    def execute_raw(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Run one statement outside the chain rules. For tamper tests and tooling only."""
        self._check_open()
        with self._engine.begin() as conn:
            conn.execute(sa.text(sql), params or {})

    def _check_open(self) -> None:
        if self._closed:
            raise AuditStoreError("the audit store is closed")

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._engine.dispose()

    def __enter__(self) -> PgAuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _where(workspace_id: str, q: RowQuery) -> tuple[str, dict[str, Any]]:
    clauses = ["workspace_id = :ws"]
    params: dict[str, Any] = {"ws": workspace_id}
    for name, sql, value in (
        ("since", "ts >= :since", q.since),
        ("until", "ts < :until", q.until),
        ("call_id", "call_id = :call_id", q.call_id),
        ("first_seq", "seq >= :first_seq", q.first_seq),
        ("last_seq", "seq <= :last_seq", q.last_seq),
    ):
        if value is not None:
            clauses.append(sql)
            params[name] = value
    if q.types:
        clauses.append("type = ANY(:types)")
        params["types"] = list(q.types)
    return " AND ".join(clauses), params
