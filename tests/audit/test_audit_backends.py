"""The audit store contract on both backends (SQLite file, PostgreSQL), and several writer
processes on one chain: no fork, no duplicate seq, and the merged export verifies."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from audit.backends import open_store
from audit.checkpointing import Checkpointer
from audit.events import parse_ts
from audit.export import ExportFormat, export
from audit.log import AuditLog
from audit.retention import purge
from audit.signing import generate_private_key_pem, load_private_key, public_key_pem
from audit.synthetic import traffic
from audit.verify_sources import verify_export, verify_store
from tests.audit.audit_testlib import new_signer

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "audit.db")
    return str(request.getfixturevalue("pg_url"))


async def _write(target: str, n: int, ws: str = "demo") -> None:
    signer = new_signer()
    with closing(open_store(target)) as store:
        async with AuditLog(store=store, signer=signer, checkpoint_every=40) as log:
            await asyncio.gather(*[log.append_nowait(e, durable=g) for e, g in traffic(ws, n, seed=3)])


def test_append_read_verify_purge(target: str) -> None:
    asyncio.run(_write(target, 300))
    with closing(open_store(target)) as store:
        head = store.head("demo")
        assert head is not None and head.seq == 300
        rows = list(store.rows("demo"))
        assert [r.seq for r in rows] == list(range(1, 301))
        assert all(r.recompute_hash() == r.row_hash for r in rows)
        assert store.count("demo") == 300 and store.first_seq("demo") == 1
        cps = store.checkpoints("demo")
        assert cps and all(len(cp.key_id) == 16 for cp in cps) and set(store.public_keys()) == {cps[0].key_id}
        (result,) = verify_store(store)
        assert result.ok and result.rows == 300
        outcome = purge(store, workspace_id="demo", retention_days=0,
                        now=parse_ts(rows[-1].ts) + timedelta(seconds=1))
        assert outcome.rows_removed == 300
        (after,) = verify_store(store)
        assert after.ok, after.fault


def test_read_only_verification_of_a_missing_log_fails_cleanly(target: str) -> None:
    from audit.exceptions import AuditStoreError
    with pytest.raises(AuditStoreError):
        open_store(target, read_only=True)


def test_two_writer_processes_share_one_chain(target: str, tmp_path: Path) -> None:
    pem = generate_private_key_pem()
    env = {**os.environ, "TEST_AUDIT_KEY_PEM": pem.decode(), "PYTHONPATH": str(REPO)}
    open_store(target).close()  # create the tables before the race
    procs = [subprocess.Popen([sys.executable, str(HERE / "audit_multi_writer.py"), target, "400", str(seed)],
                              env=env, stdout=subprocess.PIPE, text=True) for seed in (1, 2)]
    given = []
    for p in procs:
        out, _ = p.communicate(timeout=180)
        assert p.returncode == 0
        given += [int(x) for x in out.split()]
    assert sorted(given) == list(range(1, 801))  # every seq once: no fork, no duplicate
    key = load_private_key(pem)
    pub = tmp_path / "pub.pem"
    pub.write_bytes(public_key_pem(key))
    with closing(open_store(target, read_only=True)) as store:
        (result,) = verify_store(store, public_key=key.public_key())
        assert result.ok and result.rows == 800, result.fault
        assert result.signatures_checked >= 2
        with (tmp_path / "merged.jsonl").open("w") as fh:
            export(store, workspace_id="shared", fmt=ExportFormat.JSONL, out=fh)
    merged = verify_export(tmp_path / "merged.jsonl", public_key=key.public_key())
    assert merged.ok and merged.rows == 800
    cli = subprocess.run([sys.executable, "-m", "voice.cli", "audit", "verify", str(tmp_path / "merged.jsonl"),
                          "--public-key", str(pub)], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    db = subprocess.run([sys.executable, "-m", "voice.cli", "audit", "verify", target, "--public-key", str(pub),
                         "--json", str(tmp_path / "v.json")], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert db.returncode == 0, db.stdout + db.stderr
    assert json.loads((tmp_path / "v.json").read_text())[0]["rows"] == 800


def test_a_checkpointer_follows_checkpoints_another_writer_signed(target: str) -> None:
    events = [e for e, _ in traffic("cp", 150, seed=5)]
    with closing(open_store(target)) as store:
        store.append(events[:120], durable=False)
        signer = new_signer()
        first = Checkpointer(store=store, signer=signer, every=1000, interval_s=3600)
        second = Checkpointer(store=store, signer=signer, every=1000, interval_s=3600)
        assert not second.due("cp", 0)  # second has looked at the chain before first signs
        first.checkpoint("cp")
        store.append(events[120:], durable=False)
        written = second.run(["cp"], force=True)
        assert [(c.span_start, c.seq) for c in written] == [(121, 150)]
