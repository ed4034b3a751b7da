"""The asyncio writer: group commit, durable gating writes, back-pressure, checkpoints, sync paths."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from audit_testlib import new_signer

from audit import builders
from audit.config import AuditConfig
from audit.events import AuditEvent
from audit.exceptions import AuditError, AuditLogClosedError, AuditQueueFullError
from audit.log import AuditLog
from audit.payloads import Decision
from audit.signing import generate_private_key_pem
from audit.sqlite_store import SqliteAuditStore
from audit.sync import append_sync
from audit.synthetic import traffic
from audit.verify_sources import verify_store

WS = "acme"


def _decided(call: str) -> AuditEvent:
    return builders.transfer_decided(
        workspace_id=WS,
        call_id=call,
        proposal_id="p1",
        decision=Decision.ALLOW,
        rule_id="r1",
        approver="policy",
        reason="ok",
    )


async def test_concurrent_calls_group_commit_and_chain_verifies(tmp_path: Path) -> None:
    signer = new_signer()
    store = SqliteAuditStore(tmp_path / "a.db")
    async with AuditLog(store=store, signer=signer, checkpoint_every=50) as log:

        async def call(i: int) -> list[int]:
            seqs = []
            for event, gating in traffic(WS, 40, seed=i):
                seqs.append((await log.append(event, durable=gating)).seq)
            return seqs

        results = await asyncio.gather(*(call(i) for i in range(20)))
        stats = log.stats
    all_seqs = sorted(s for r in results for s in r)
    assert all_seqs == list(range(1, 801))
    assert stats.batches < 800 and stats.max_batch > 1  # group commit happened
    assert stats.durable_batches >= 1
    (result,) = verify_store(store, public_key=signer.public_key)
    assert result.ok and result.rows == 800 and result.unanchored_rows == 0  # close() checkpointed the head
    assert result.checkpoints >= 800 // 50
    store.close()


async def test_non_gating_events_commit_within_50_ms(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "a.db")
    async with AuditLog(store=store) as log:
        latencies = []
        for event, _ in traffic(WS, 200):
            start = time.perf_counter()
            await log.append(event)
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0.001)
    latencies.sort()
    assert latencies[int(0.95 * len(latencies))] < 0.05
    store.close()


async def test_durable_append_returns_a_committed_row(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "a.db")
    async with AuditLog(store=store) as log:
        record = await log.append(_decided("c1"), durable=True)
        other = SqliteAuditStore(tmp_path / "a.db")  # a second connection sees it at once
        assert [r.row_hash for r in other.rows(WS)] == [record.row_hash]
        other.close()
    store.close()


async def test_bounded_queue_rejects_nowait_when_full(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "a.db")
    log = AuditLog(store=store, queue_max=5)
    await log.start()
    futures = []
    with pytest.raises(AuditQueueFullError):
        for event, _ in traffic(WS, 100):
            futures.append(log.append_nowait(event))
    assert len(futures) >= 5
    await asyncio.gather(*futures)
    await log.close()
    with pytest.raises(AuditLogClosedError):
        await log.append(_decided("c2"))
    store.close()


async def test_time_based_checkpoint(tmp_path: Path) -> None:
    signer = new_signer()
    store = SqliteAuditStore(tmp_path / "a.db")
    async with AuditLog(
        store=store, signer=signer, checkpoint_every=10_000, checkpoint_interval_s=0.2
    ) as log:
        await log.append(_decided("c1"), durable=True)
        await asyncio.sleep(0.6)
        cps = store.checkpoints(WS)
        assert [c.seq for c in cps] == [1]
    store.close()


async def test_append_sync_from_another_thread(tmp_path: Path) -> None:
    store = SqliteAuditStore(tmp_path / "a.db")
    async with AuditLog(store=store) as log:
        record = await asyncio.to_thread(lambda: log.append_sync(_decided("admin")))
        assert record.seq == 1
        with pytest.raises(AuditError):
            log.append_sync(_decided("same-loop"))
    store.close()


def test_append_sync_without_a_loop_checkpoints(tmp_path: Path) -> None:
    signer = new_signer()
    with SqliteAuditStore(tmp_path / "a.db") as store:
        event = builders.config_changed(
            workspace_id=WS, admin="alice", key="routing.billing", before="a", after="b"
        )
        record = append_sync(store, event, signer=signer)
        assert record.seq == 1 and [c.seq for c in store.checkpoints(WS)] == [1]
        (result,) = verify_store(store, public_key=signer.public_key)
        assert result.ok and result.unanchored_rows == 0


async def test_purge_through_the_log_keeps_the_chain_verifiable(tmp_path: Path) -> None:
    signer = new_signer()
    store = SqliteAuditStore(tmp_path / "a.db")
    async with AuditLog(store=store, signer=signer, checkpoint_every=20) as log:
        for event, gating in traffic(WS, 60):
            await log.append(event, durable=gating)
        outcome = await log.purge(workspace_id=WS, retention_days=0)
        assert outcome.rows_removed == 60 and outcome.record is not None
        await log.append(_decided("after"), durable=True)
    (result,) = verify_store(store, public_key=signer.public_key)
    assert result.ok and result.first_seq == 61 and result.rows == 2
    store.close()


async def test_config_opens_a_signing_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "k.pem"
    key.write_bytes(generate_private_key_pem())
    monkeypatch.setenv("DIALPHONE_AUDIT_KEY", str(key))
    config = AuditConfig(db_path=tmp_path / "a.db", checkpoint_every=5)
    signer = config.signer()
    assert signer is not None
    store, log = config.open()
    async with log:
        for event, gating in traffic(WS, 12):
            await log.append(event, durable=gating)
    (result,) = verify_store(store, public_key=signer.public_key)
    assert result.ok and result.signatures_checked >= 2
    store.close()


def test_verifier_reads_one_snapshot_while_a_writer_appends(tmp_path: Path) -> None:
    signer = new_signer()
    with SqliteAuditStore(tmp_path / "a.db") as writer:
        append_sync(writer, _decided("c1"), signer=signer)
        with SqliteAuditStore(tmp_path / "a.db", read_only=True) as reader:
            with reader.read_snapshot():
                rows = list(reader.rows(WS))
                append_sync(writer, _decided("c2"), signer=signer)  # lands between rows and head
                head = reader.head(WS)
                cps = reader.checkpoints(WS)
            assert head is not None and head.seq == rows[-1].seq == 1 and [c.seq for c in cps] == [1]
            (result,) = verify_store(reader, public_key=signer.public_key)
            assert result.ok and result.rows == 2
