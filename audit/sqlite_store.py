"""SQLite (WAL) implementation of :class:`audit.store.AuditStore`.

Durability: the connection runs ``synchronous=NORMAL`` (a commit survives a process crash, and
the WAL is fsync'd at checkpoints); a durable append switches that one commit to
``synchronous=FULL``, so the WAL is fsync'd before ``append`` returns.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from audit.builders import audit_purged
from audit.canonical import loads_strict
from audit.events import AuditEvent, AuditRecord, now_ts
from audit.exceptions import AuditError, AuditStoreError, MalformedRecordError
from audit.signing import Checkpoint
from audit.store import ChainHead, RowQuery

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    workspace_id TEXT NOT NULL, seq INTEGER NOT NULL, ts TEXT NOT NULL, call_id TEXT,
    type TEXT NOT NULL, actor TEXT NOT NULL, schema_version INTEGER NOT NULL, payload TEXT NOT NULL,
    prev_hash TEXT NOT NULL, row_hash TEXT NOT NULL, PRIMARY KEY (workspace_id, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_call ON events (workspace_id, call_id);
CREATE INDEX IF NOT EXISTS events_ts ON events (workspace_id, ts);
CREATE TABLE IF NOT EXISTS heads (
    workspace_id TEXT PRIMARY KEY, seq INTEGER NOT NULL, row_hash TEXT NOT NULL, ts TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS checkpoints (
    workspace_id TEXT NOT NULL, seq INTEGER NOT NULL, head_hash TEXT NOT NULL, span_start INTEGER NOT NULL,
    span_root TEXT NOT NULL, ts TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL,
    PRIMARY KEY (workspace_id, seq)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS public_keys (key_id TEXT PRIMARY KEY, pem TEXT NOT NULL);
"""
_COLUMNS = "schema_version, seq, ts, workspace_id, call_id, type, actor, payload, prev_hash, row_hash"
_PAGE = 2000
GENESIS = "0" * 64


def record_from_row(row: Sequence[Any]) -> AuditRecord:
    """Rebuild a record from a row in :data:`_COLUMNS` order (payload parsed strictly)."""
    seq = row[1] if isinstance(row[1], int) else None
    try:
        payload = loads_strict(row[7])
    except AuditError:
        raise MalformedRecordError(f"payload of seq {row[1]} is not valid JSON", seq=seq) from None
    except TypeError:
        raise MalformedRecordError(f"payload of seq {row[1]} is not text", seq=seq) from None
    try:
        return _from_dict(row, payload)
    except MalformedRecordError as exc:
        raise MalformedRecordError(str(exc), seq=seq) from None


def _from_dict(row: Sequence[Any], payload: Any) -> AuditRecord:
    return AuditRecord.from_dict(
        {
            "schema_version": row[0],
            "seq": row[1],
            "ts": row[2],
            "workspace_id": row[3],
            "call_id": row[4],
            "type": row[5],
            "actor": row[6],
            "payload": payload,
            "prev_hash": row[8],
            "row_hash": row[9],
        }
    )


class SqliteAuditStore:
    """One connection, guarded by a lock; usable from any thread (the AuditLog writer thread,
    CLI code). Several processes may open the same file: heads are read inside ``BEGIN IMMEDIATE``."""

    def __init__(self, path: str | Path, *, create: bool = True, read_only: bool = False) -> None:
        self.path = Path(path)
        if (read_only or not create) and not self.path.exists():
            raise AuditStoreError(f"no audit database at {self.path}")
        self._lock = threading.RLock()
        try:
            if read_only:  # verification must not change the file it checks
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                self._db = sqlite3.connect(
                    uri, uri=True, isolation_level=None, check_same_thread=False, timeout=30.0
                )
                self._db.execute("SELECT count(*) FROM events").fetchone()
            else:
                self._db = sqlite3.connect(
                    str(self.path), isolation_level=None, check_same_thread=False, timeout=30.0
                )
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise AuditStoreError(f"cannot open audit database: {exc}") from None
        self._closed = False

    # -- writing ---------------------------------------------------------------------------

    def append(self, events: Sequence[AuditEvent], *, durable: bool) -> list[AuditRecord]:
        if not events:
            return []
        with self._lock:
            self._check_open()
            db = self._db
            try:
                if durable:
                    db.execute("PRAGMA synchronous=FULL")
                try:
                    db.execute("BEGIN IMMEDIATE")
                    try:
                        records = self._seal_and_insert(events)
                        db.execute("COMMIT")
                    except BaseException:
                        self._rollback_quietly()
                        raise
                finally:
                    if durable:
                        db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise AuditStoreError(f"append failed: {exc}") from None
        return records

    def _seal_and_insert(self, events: Sequence[AuditEvent]) -> list[AuditRecord]:
        heads: dict[str, ChainHead | None] = {}
        records: list[AuditRecord] = []
        rows: list[tuple[Any, ...]] = []
        now = now_ts()
        for event in events:
            ws = event.workspace_id
            if ws not in heads:
                heads[ws] = self._head_locked(ws)
            head = heads[ws]
            seq, prev, ts = (
                (1, GENESIS, now) if head is None else (head.seq + 1, head.row_hash, max(now, head.ts))
            )
            record, payload_text = event.seal_with_text(seq=seq, prev_hash=prev, ts=ts)
            records.append(record)
            r = record
            rows.append(
                (
                    r.schema_version,
                    r.seq,
                    r.ts,
                    r.workspace_id,
                    r.call_id,
                    r.type,
                    r.actor,
                    payload_text,
                    r.prev_hash,
                    r.row_hash,
                )
            )
            heads[ws] = ChainHead(ws, seq, record.row_hash, ts)
        self._db.executemany(f"INSERT INTO events ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)", rows)
        self._db.executemany(
            "INSERT INTO heads (workspace_id, seq, row_hash, ts) VALUES (?,?,?,?) "
            "ON CONFLICT(workspace_id) DO UPDATE SET seq=excluded.seq, row_hash=excluded.row_hash, ts=excluded.ts",
            [(h.workspace_id, h.seq, h.row_hash, h.ts) for h in heads.values() if h is not None],
        )
        return records

    def add_checkpoint(self, checkpoint: Checkpoint, *, public_key_pem: bytes) -> None:
        c = checkpoint
        with self._lock:
            self._check_open()
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "INSERT OR IGNORE INTO public_keys (key_id, pem) VALUES (?, ?)",
                    (c.key_id, public_key_pem.decode("ascii")),
                )
                self._db.execute(
                    "INSERT OR REPLACE INTO checkpoints VALUES (?,?,?,?,?,?,?,?)",
                    (
                        c.workspace_id,
                        c.seq,
                        c.head_hash,
                        c.span_start,
                        c.span_root,
                        c.ts,
                        c.key_id,
                        c.signature,
                    ),
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback_quietly()
                raise AuditStoreError(f"checkpoint write failed: {exc}") from None

    def purge_before(
        self, workspace_id: str, *, cutoff_ts: str, retention_days: int, actor: str
    ) -> AuditRecord | None:
        """Delete the rows of ``workspace_id`` older than ``cutoff_ts`` and append ``audit.purged``.

        Returns the purge record, or None when no row is old enough. Durable commit.
        """
        with self._lock:
            self._check_open()
            db = self._db
            try:
                db.execute("PRAGMA synchronous=FULL")
                try:
                    db.execute("BEGIN IMMEDIATE")
                    cut = db.execute(
                        "SELECT seq, row_hash FROM events WHERE workspace_id=? AND ts<? ORDER BY seq DESC LIMIT 1",
                        (workspace_id, cutoff_ts),
                    ).fetchone()
                    if cut is None:
                        db.execute("ROLLBACK")
                        return None
                    removed = db.execute(
                        "DELETE FROM events WHERE workspace_id=? AND seq<=?", (workspace_id, cut[0])
                    ).rowcount
                    db.execute(
                        "DELETE FROM checkpoints WHERE workspace_id=? AND seq<=?", (workspace_id, cut[0])
                    )
                    event = audit_purged(
                        workspace_id=workspace_id,
                        cut_seq=cut[0],
                        cut_hash=cut[1],
                        cutoff=cutoff_ts,
                        retention_days=retention_days,
                        rows_removed=removed,
                        actor=actor,
                    )
                    (record,) = self._seal_and_insert([event])
                    db.execute("COMMIT")
                except BaseException:
                    self._rollback_quietly()
                    raise
                finally:
                    db.execute("PRAGMA synchronous=NORMAL")
            except sqlite3.Error as exc:
                raise AuditStoreError(f"purge failed: {exc}") from None
        return record

    # -- reading ---------------------------------------------------------------------------

    def head(self, workspace_id: str) -> ChainHead | None:
        with self._lock:
            self._check_open()
            return self._head_locked(workspace_id)

    def _head_locked(self, workspace_id: str) -> ChainHead | None:
        row = self._db.execute(
            "SELECT seq, row_hash, ts FROM heads WHERE workspace_id=?", (workspace_id,)
        ).fetchone()
        return None if row is None else ChainHead(workspace_id, row[0], row[1], row[2])

    def workspaces(self) -> list[str]:
        return [
            r[0]
            for r in self._query(
                "SELECT DISTINCT workspace_id FROM heads UNION SELECT DISTINCT workspace_id FROM events ORDER BY 1",
                (),
            )
        ]

    def first_seq(self, workspace_id: str) -> int | None:
        rows = self._query("SELECT MIN(seq) FROM events WHERE workspace_id=?", (workspace_id,))
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    def last_seq(self, workspace_id: str) -> int | None:
        rows = self._query("SELECT MAX(seq) FROM events WHERE workspace_id=?", (workspace_id,))
        return None if not rows or rows[0][0] is None else int(rows[0][0])

    def rows(self, workspace_id: str, query: RowQuery | None = None) -> Iterator[AuditRecord]:
        where, params = _where(workspace_id, query or RowQuery())
        after = 0
        while True:
            page = self._query(
                f"SELECT {_COLUMNS} FROM events WHERE {where} AND seq>? ORDER BY seq LIMIT {_PAGE}",
                (*params, after),
            )
            for row in page:
                yield record_from_row(row)
            if len(page) < _PAGE:
                return
            after = page[-1][1]

    def count(self, workspace_id: str, query: RowQuery | None = None) -> int:
        where, params = _where(workspace_id, query or RowQuery())
        return int(self._query(f"SELECT COUNT(*) FROM events WHERE {where}", params)[0][0])

    def row_hashes(self, workspace_id: str, first_seq: int, last_seq: int) -> list[str]:
        rows = self._query(
            "SELECT row_hash FROM events WHERE workspace_id=? AND seq BETWEEN ? AND ? ORDER BY seq",
            (workspace_id, first_seq, last_seq),
        )
        return [r[0] for r in rows]

    def checkpoints(
        self, workspace_id: str, *, min_seq: int | None = None, max_seq: int | None = None
    ) -> list[Checkpoint]:
        rows = self._query(
            "SELECT workspace_id, seq, head_hash, span_start, span_root, ts, key_id, signature FROM checkpoints "
            "WHERE workspace_id=? AND seq>=? AND seq<=? ORDER BY seq",
            (workspace_id, min_seq if min_seq is not None else 0, max_seq if max_seq is not None else 2**62),
        )
        names = ("workspace_id", "seq", "head_hash", "span_start", "span_root", "ts", "key_id", "signature")
        return [Checkpoint.from_dict(dict(zip(names, r, strict=True))) for r in rows]

    def public_keys(self) -> dict[str, bytes]:
        return {r[0]: r[1].encode("ascii") for r in self._query("SELECT key_id, pem FROM public_keys", ())}

    def _query(self, sql: str, params: Sequence[Any]) -> list[Any]:
        with self._lock:
            self._check_open()
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.Error as exc:
                raise AuditStoreError(f"query failed: {exc}") from None

    @contextmanager
    def read_snapshot(self) -> Iterator[None]:
        """Every read inside sees one consistent snapshot (a live writer may go on appending:
        the verifier must not see the head move between reading rows and reading the head).
        Holds this object's lock: verify a live database through its own read-only store."""
        with self._lock:
            self._check_open()
            self._db.execute("BEGIN")
            try:
                yield
            finally:
                self._rollback_quietly()

    # -- housekeeping ----------------------------------------------------------------------

    def execute_raw(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run one statement outside the chain rules. For tamper tests and tooling only."""
        with self._lock:
            self._check_open()
            self._db.execute(sql, params)

    def _rollback_quietly(self) -> None:
        try:
            self._db.execute("ROLLBACK")
        except sqlite3.Error:
            pass

    def _check_open(self) -> None:
        if self._closed:
            raise AuditStoreError("the audit store is closed")

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()

    def __enter__(self) -> SqliteAuditStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _where(workspace_id: str, q: RowQuery) -> tuple[str, tuple[Any, ...]]:
    clauses = ["workspace_id=?"]
    params: list[Any] = [workspace_id]
    for sql, value in (
        ("ts>=?", q.since),
        ("ts<?", q.until),
        ("call_id=?", q.call_id),
        ("seq>=?", q.first_seq),
        ("seq<=?", q.last_seq),
    ):
        if value is not None:
            clauses.append(sql)
            params.append(value)
    if q.types:
        clauses.append(f"type IN ({','.join('?' * len(q.types))})")
        params.extend(q.types)
    return " AND ".join(clauses), tuple(params)
