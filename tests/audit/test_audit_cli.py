"""``audit.cli.main``: the commands a tester runs, end to end on real files."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from audit_testlib import build_db

from audit.cli import main
from audit.signing import CheckpointSigner


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path]:
    priv, pub = tmp_path / "key.pem", tmp_path / "pub.pem"
    assert main(["keygen", "--private-key", str(priv), "--public-key", str(pub)]) == 0
    assert priv.stat().st_mode & 0o777 == 0o600
    return priv, pub


@pytest.fixture
def db(tmp_path: Path, keys: tuple[Path, Path]) -> Path:
    path = tmp_path / "audit.db"
    build_db(path, CheckpointSigner(private_key=keys[0].read_bytes()), {"acme": 400}).close()
    return path


def test_keygen_refuses_to_overwrite_and_exports_public_key(
    keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    priv, pub = keys
    assert main(["keygen", "--private-key", str(priv)]) == 2
    assert main(["keygen", "--private-key", str(priv), "--public-only"]) == 0
    assert capsys.readouterr().out == pub.read_text()


def test_keygen_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pub = tmp_path / "pub.pem"
    assert main(["keygen", "--public-key", str(pub)]) == 0
    signer = CheckpointSigner(private_key=capsys.readouterr().out.encode())
    assert signer.public_key_pem() == pub.read_bytes()


def test_export_then_verify_export_alone(
    tmp_path: Path, db: Path, keys: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "acme.jsonl"
    assert main(["export", "--db", str(db), "--format", "jsonl", "--output", str(out)]) == 0
    assert main(["verify", str(out), "--public-key", str(keys[1])]) == 0
    assert "OK" in capsys.readouterr().out
    call = tmp_path / "call.jsonl"
    assert (
        main(["export", "--db", str(db), "--call", "call-000002", "--format", "jsonl", "--output", str(call)])
        == 0
    )
    assert main(["verify", str(call), "--public-key", str(keys[1])]) == 0
    csv_out = tmp_path / "acme.csv"
    assert (
        main(
            [
                "export",
                "--db",
                str(db),
                "--type",
                "transfer.decided",
                "--format",
                "csv",
                "--output",
                str(csv_out),
            ]
        )
        == 0
    )
    assert csv_out.read_text().count("transfer.decided") >= 10


def test_export_records_an_audit_exported_event(db: Path, tmp_path: Path, keys: tuple[Path, Path]) -> None:
    assert main(["export", "--db", str(db), "--format", "csv", "--output", str(tmp_path / "x.csv")]) == 0
    con = sqlite3.connect(db)
    types = [r[0] for r in con.execute("SELECT type FROM events ORDER BY seq DESC LIMIT 1")]
    con.close()
    assert types == ["audit.exported"]
    assert main(["verify", str(db), "--public-key", str(keys[1])]) == 0
    assert (
        main(["verify", str(db), "--public-key", str(keys[1]), "--strict"]) == 1
    )  # its row is not signed yet


def test_verify_names_first_bad_seq(
    db: Path, keys: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    con = sqlite3.connect(db)
    con.execute("UPDATE events SET actor='x' WHERE seq=77")
    con.commit()
    con.close()
    report = tmp_path / "r.json"
    assert main(["verify", str(db), "--public-key", str(keys[1]), "--json", str(report)]) == 1
    out = capsys.readouterr().out
    assert "first bad seq 77" in out and "hash_mismatch" in out
    (entry,) = json.loads(report.read_text())
    assert entry["fault"]["seq"] == 77 and entry["ok"] is False


def test_purge_then_verify(db: Path, keys: tuple[Path, Path]) -> None:
    assert main(["purge", "--db", str(db), "--days", "0", "--private-key", str(keys[0])]) == 0
    assert main(["verify", str(db), "--public-key", str(keys[1]), "--strict"]) == 0


def test_errors_exit_2(tmp_path: Path) -> None:
    assert main(["verify", str(tmp_path / "missing.db")]) == 2
    assert main(["export", "--db", str(tmp_path / "missing.db"), "--format", "jsonl"]) == 2


def test_bench_small(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    rc = main(
        [
            "bench",
            "--json",
            str(out),
            "--events",
            "400",
            "--trials",
            "2",
            "--jobs",
            "1",
            "--dir",
            str(tmp_path),
        ]
    )
    figures = json.loads(out.read_text())
    assert {"events_per_s", "gating_write_p95_ms"} <= set(figures)
    assert all(k["detected"] == k["trials"] == 2 for k in figures["tamper"].values())
    assert rc in (0, 1)  # 1 only if this shared machine missed a latency target
