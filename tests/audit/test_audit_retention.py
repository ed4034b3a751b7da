"""Retention purges keep what remains verifiable; anything else missing is still caught."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from audit_testlib import new_signer

from audit import builders
from audit.checkpointing import Checkpointer
from audit.events import format_ts
from audit.retention import purge, purge_all
from audit.sqlite_store import SqliteAuditStore
from audit.verify import FaultKind
from audit.verify_sources import verify_store

WS = "acme"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _aged_store(path: Path) -> SqliteAuditStore:
    """40 rows, then rewrite their timestamps to one per day (test set-up through the real hasher)."""
    store = SqliteAuditStore(path)
    for day in range(40):
        event = builders.call_ended(workspace_id=WS, call_id=f"c{day}", reason="hangup", duration_ms=day)
        store.append([event], durable=False)
    # re-seal the chain with aged timestamps, as if written over 40 days
    rows = list(store.rows(WS))
    prev = "0" * 64
    con = sqlite3.connect(path)
    for day, row in enumerate(rows):
        event = builders.call_ended(
            workspace_id=WS, call_id=row.call_id or "", reason="hangup", duration_ms=day
        )
        rec, payload = event.seal_with_text(
            seq=row.seq, prev_hash=prev, ts=format_ts(T0 + timedelta(days=day))
        )
        con.execute(
            "UPDATE events SET ts=?, payload=?, prev_hash=?, row_hash=? WHERE workspace_id=? AND seq=?",
            (rec.ts, payload, rec.prev_hash, rec.row_hash, WS, rec.seq),
        )
        prev = rec.row_hash
    con.execute("UPDATE heads SET row_hash=?, ts=? WHERE workspace_id=?", (prev, rec.ts, WS))
    con.commit()
    con.close()
    return store


def test_purge_keeps_the_remainder_verifiable(tmp_path: Path) -> None:
    signer = new_signer()
    store = _aged_store(tmp_path / "a.db")
    Checkpointer(store=store, signer=signer).checkpoint(WS)
    outcome = purge(store, workspace_id=WS, retention_days=30, now=T0 + timedelta(days=39, hours=1))
    assert outcome.record is not None
    assert outcome.rows_removed == 10  # days 0..9 are older than 30 days
    assert outcome.record.payload["cut_seq"] == 10
    (result,) = verify_store(store, public_key=signer.public_key)
    assert result.ok, result.fault
    assert result.first_seq == 11 and result.last_seq == 41
    # a second purge later still verifies
    purge(store, workspace_id=WS, retention_days=30, now=T0 + timedelta(days=45))
    (result,) = verify_store(store, public_key=signer.public_key)
    assert result.ok and result.first_seq == 16
    store.close()


def test_rows_deleted_past_the_purge_cut_are_caught(tmp_path: Path) -> None:
    store = _aged_store(tmp_path / "a.db")
    purge(store, workspace_id=WS, retention_days=30, now=T0 + timedelta(days=39, hours=1))
    store.execute_raw("DELETE FROM events WHERE workspace_id=? AND seq IN (11, 12)", (WS,))
    (result,) = verify_store(store)
    assert result.fault is not None and (result.fault.kind, result.fault.seq) == (FaultKind.SEQ_GAP, 11)
    store.close()


def test_purge_all_uses_per_workspace_days(tmp_path: Path) -> None:
    store = _aged_store(tmp_path / "a.db")
    store.append(
        [builders.call_ended(workspace_id="keep", call_id="c", reason="hangup", duration_ms=1)], durable=True
    )
    outcomes = purge_all(store, retention_days={WS: 10}, now=T0 + timedelta(days=39, hours=1))
    assert [(o.workspace_id, o.rows_removed) for o in outcomes] == [(WS, 30)]
    assert all(r.ok for r in verify_store(store))
    store.close()


def test_nothing_old_enough_writes_nothing(tmp_path: Path) -> None:
    store = _aged_store(tmp_path / "a.db")
    assert purge(store, workspace_id=WS, retention_days=365, now=T0 + timedelta(days=40)).record is None
    head = store.head(WS)
    assert head is not None and head.seq == 40
    store.close()
