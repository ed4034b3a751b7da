"""SIGKILL a writer with 20 concurrent calls; after restart the chain verifies and every
acknowledged durable event is there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from audit import builders
from audit.signing import CheckpointSigner, generate_private_key_pem
from audit.sqlite_store import SqliteAuditStore
from audit.verify_sources import verify_store

HERE = Path(__file__).resolve().parent


def _run_and_kill(db: Path, key: Path, repo_root: Path, acks_wanted: int) -> dict[int, str]:
    env = {**os.environ, "PYTHONPATH": str(repo_root)}
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "audit_crash_writer.py"), str(db), str(key)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    acks: dict[int, str] = {}
    deadline = time.monotonic() + 60
    try:
        assert proc.stdout is not None
        while len(acks) < acks_wanted and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            _, seq, row_hash = line.split()
            acks[int(seq)] = row_hash
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert proc.returncode == -signal.SIGKILL
    return acks


def test_sigkill_mid_write_loses_no_acknowledged_event(tmp_path: Path, repo_root: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(generate_private_key_pem())
    signer = CheckpointSigner(private_key=key.read_bytes())
    db = tmp_path / "audit.db"
    acks = _run_and_kill(db, key, repo_root, acks_wanted=150)
    assert len(acks) >= 150

    with SqliteAuditStore(db, create=False) as store:
        (result,) = verify_store(store, public_key=signer.public_key)
        assert result.ok, result.fault
        assert result.rows > len(acks) and result.checkpoints > 0
        stored = {r.seq: r.row_hash for r in store.rows("crash-ws")}
        missing = {seq for seq, h in acks.items() if stored.get(seq) != h}
        assert not missing

        # the chain continues after the restart
        before = result.rows
        store.append(
            [builders.call_ended(workspace_id="crash-ws", call_id="after", reason="hangup", duration_ms=1)],
            durable=True,
        )
        (again,) = verify_store(store, public_key=signer.public_key)
        assert again.ok and again.rows == before + 1


def test_second_kill_after_restart_still_verifies(tmp_path: Path, repo_root: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_bytes(generate_private_key_pem())
    signer = CheckpointSigner(private_key=key.read_bytes())
    db = tmp_path / "audit.db"
    first = _run_and_kill(db, key, repo_root, acks_wanted=40)
    second = _run_and_kill(db, key, repo_root, acks_wanted=40)
    with SqliteAuditStore(db, create=False) as store:
        (result,) = verify_store(store, public_key=signer.public_key)
        stored = {r.seq: r.row_hash for r in store.rows("crash-ws")}
    assert result.ok, result.fault
    assert all(stored.get(s) == h for s, h in {**first, **second}.items())
    assert min(second) > max(first)
