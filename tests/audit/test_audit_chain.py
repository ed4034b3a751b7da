"""Hash chain in SQLite: per-workspace chains, and every fault kind named at the right seq."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest
from audit_testlib import build_db, new_signer

from audit import builders
from audit.canonical import GENESIS_HASH
from audit.signing import CheckpointSigner
from audit.sqlite_store import SqliteAuditStore
from audit.verify import FaultKind, VerifyResult
from audit.verify_sources import verify_store

WS = "acme"


@pytest.fixture(scope="module")
def signer() -> CheckpointSigner:
    return new_signer()


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory, signer: CheckpointSigner) -> Path:
    path = tmp_path_factory.mktemp("chain") / "audit.db"
    build_db(path, signer, {WS: 600, "other": 120}).close()
    return path


@pytest.fixture
def db(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "audit.db"
    src = sqlite3.connect(pristine)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    return copy


def _sql(db: Path, *statements: tuple[str, tuple[object, ...]]) -> None:
    con = sqlite3.connect(db)
    for sql, params in statements:
        con.execute(sql, params)
    con.commit()
    con.close()


def _verify(db: Path, signer: CheckpointSigner, ws: str = WS) -> VerifyResult:
    with SqliteAuditStore(db, create=False) as store:
        (result,) = verify_store(store, public_key=signer.public_key, workspace_id=ws)
    return result


def test_pristine_chains_verify(db: Path, signer: CheckpointSigner) -> None:
    with SqliteAuditStore(db, create=False) as store:
        results = verify_store(store, public_key=signer.public_key)
        assert {r.workspace_id: r.rows for r in results} == {WS: 600, "other": 120}
        assert all(
            r.ok and r.unanchored_rows == 0 and r.signatures_checked == r.checkpoints > 0 for r in results
        )
        first = next(store.rows(WS))
        assert first.seq == 1 and first.prev_hash == GENESIS_HASH


def test_workspaces_have_independent_chains(db: Path) -> None:
    with SqliteAuditStore(db, create=False) as store:
        rec = store.append(
            [builders.call_ended(workspace_id="new-ws", call_id="c", reason="hangup", duration_ms=5)],
            durable=True,
        )[0]
        assert (rec.seq, rec.prev_hash) == (1, GENESIS_HASH)
        head = store.head(WS)
        assert head is not None and head.seq == 600


def test_modified_field(db: Path, signer: CheckpointSigner) -> None:
    _sql(db, ("UPDATE events SET actor='someone-else' WHERE workspace_id=? AND seq=217", (WS,)))
    fault = _verify(db, signer).fault
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.HASH_MISMATCH, 217)


def test_modified_payload_byte(db: Path, signer: CheckpointSigner) -> None:
    _sql(
        db,
        (
            "UPDATE events SET payload=replace(payload, '\"sip\"', '\"SIP\"') WHERE workspace_id=? AND seq=1",
            (WS,),
        ),
    )
    fault = _verify(db, signer).fault
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.HASH_MISMATCH, 1)


def test_deleted_row(db: Path, signer: CheckpointSigner) -> None:
    _sql(db, ("DELETE FROM events WHERE workspace_id=? AND seq=300", (WS,)))
    fault = _verify(db, signer).fault
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.SEQ_GAP, 300)


def test_deleted_first_rows_without_purge_record(db: Path, signer: CheckpointSigner) -> None:
    _sql(db, ("DELETE FROM events WHERE workspace_id=? AND seq<=5", (WS,)))
    fault = _verify(db, signer).fault
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.SEQ_GAP, 1)


def test_inserted_row_shifting_seqs(db: Path, signer: CheckpointSigner) -> None:
    _sql(
        db,
        ("UPDATE events SET seq=seq+100000 WHERE workspace_id=? AND seq>=400", (WS,)),
        ("UPDATE events SET seq=seq-100000+1 WHERE workspace_id=? AND seq>=100000", (WS,)),
        (
            "INSERT INTO events SELECT workspace_id, 400, ts, call_id, type, actor, schema_version, payload, prev_hash, row_hash "
            "FROM events WHERE workspace_id=? AND seq=10",
            (WS,),
        ),
    )
    fault = _verify(db, signer).fault
    assert (
        fault is not None and fault.seq == 400 and fault.kind in (FaultKind.SEQ_ORDER, FaultKind.BROKEN_LINK)
    )


def test_swapped_rows(db: Path, signer: CheckpointSigner) -> None:
    cols = "ts, call_id, type, actor, payload, prev_hash, row_hash"
    _sql(
        db,
        (
            f"CREATE TABLE tmp AS SELECT seq, {cols} FROM events WHERE workspace_id=? AND seq IN (120, 450)",
            (WS,),
        ),
        *[
            (
                f"UPDATE events SET ({cols}) = (SELECT {cols} FROM tmp WHERE seq=?) WHERE workspace_id=? AND seq=?",
                (other, WS, seq),
            )
            for seq, other in ((120, 450), (450, 120))
        ],
    )
    fault = _verify(db, signer).fault
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.BROKEN_LINK, 120)


def test_truncated_tail_caught_by_checkpoint(db: Path, signer: CheckpointSigner) -> None:
    with SqliteAuditStore(db, create=False) as store:
        last_kept = store.rows(WS)
        kept = [r for r in last_kept if r.seq == 590][0]
    _sql(
        db,
        ("DELETE FROM events WHERE workspace_id=? AND seq>590", (WS,)),
        ("UPDATE heads SET seq=590, row_hash=? WHERE workspace_id=?", (kept.row_hash, WS)),
    )
    fault = _verify(db, signer).fault
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.TRUNCATED, 591)


def test_truncated_tail_and_checkpoints_caught_by_outside_copy(db: Path, signer: CheckpointSigner) -> None:
    with SqliteAuditStore(db, create=False) as store:
        outside = store.checkpoints(WS)[-1:]
        kept = [r for r in store.rows(WS) if r.seq == 590][0]
    _sql(
        db,
        ("DELETE FROM events WHERE workspace_id=? AND seq>590", (WS,)),
        ("DELETE FROM checkpoints WHERE workspace_id=? AND seq>590", (WS,)),
        ("UPDATE heads SET seq=590, row_hash=? WHERE workspace_id=?", (kept.row_hash, WS)),
    )
    with SqliteAuditStore(db, create=False) as store:
        (alone,) = verify_store(store, public_key=signer.public_key, workspace_id=WS)
        (with_copy,) = verify_store(
            store, public_key=signer.public_key, workspace_id=WS, extra_checkpoints=outside
        )
    assert alone.ok and alone.unanchored_rows > 0  # the honest limit, reported as unanchored rows
    assert with_copy.fault is not None and (with_copy.fault.kind, with_copy.fault.seq) == (
        FaultKind.TRUNCATED,
        591,
    )


def test_forged_checkpoint_signature(db: Path, signer: CheckpointSigner) -> None:
    with SqliteAuditStore(db, create=False) as store:
        cp = store.checkpoints(WS)[2]
    forged = new_signer().sign(
        workspace_id=WS,
        seq=cp.seq,
        head_hash=cp.head_hash,
        span_start=cp.span_start,
        span_root=cp.span_root,
        ts=cp.ts,
    )
    _sql(
        db,
        ("UPDATE checkpoints SET signature=? WHERE workspace_id=? AND seq=?", (forged.signature, WS, cp.seq)),
    )
    fault = _verify(db, signer).fault
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.BAD_SIGNATURE, cp.seq)


def test_rehashed_rewrite_caught_by_signed_checkpoint(db: Path, signer: CheckpointSigner) -> None:
    """A forger who recomputes every hash after a change still breaks the signed head hash."""
    with SqliteAuditStore(db, create=False) as store:
        rows = list(store.rows(WS))
        cps = store.checkpoints(WS)
    target = 250
    changed = dataclasses.replace(rows[target - 1], actor="forger")
    rewritten = rows[: target - 1]
    prev = rewritten[-1].row_hash
    for row in [changed, *rows[target:]]:
        row = dataclasses.replace(row, prev_hash=prev)
        row = dataclasses.replace(row, row_hash=row.recompute_hash())
        rewritten.append(row)
        prev = row.row_hash
    stmts: list[tuple[str, tuple[object, ...]]] = [
        (
            "UPDATE events SET actor=?, prev_hash=?, row_hash=? WHERE workspace_id=? AND seq=?",
            (r.actor, r.prev_hash, r.row_hash, WS, r.seq),
        )
        for r in rewritten[target - 1 :]
    ]
    stmts.append(("UPDATE heads SET row_hash=? WHERE workspace_id=?", (prev, WS)))
    _sql(db, *stmts)
    fault = _verify(db, signer).fault
    first_cp = min(c.seq for c in cps if c.seq >= target)
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.CHECKPOINT_MISMATCH, first_cp)


def test_unreadable_payload_is_malformed(db: Path, signer: CheckpointSigner) -> None:
    _sql(db, ("UPDATE events SET payload='{\"x\": 1.5}' WHERE workspace_id=? AND seq=42", (WS,)))
    fault = _verify(db, signer).fault
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.MALFORMED, 42)


def test_without_pinned_key_the_embedded_key_is_used_and_flagged(db: Path) -> None:
    with SqliteAuditStore(db, create=False) as store:
        (result,) = verify_store(store, workspace_id=WS)
    assert result.ok and result.key_source.startswith("embedded")
    assert any("not pinned" in w for w in result.warnings)


def test_other_key_pinned_fails(db: Path) -> None:
    with SqliteAuditStore(db, create=False) as store:
        (result,) = verify_store(store, public_key=new_signer().public_key, workspace_id=WS)
    assert result.fault is not None and result.fault.kind is FaultKind.BAD_SIGNATURE
