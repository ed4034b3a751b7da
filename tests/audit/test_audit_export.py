"""Exports: contiguous and filtered JSONL verify on their own; tampering with the file is caught."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from audit_testlib import build_db, new_signer

from audit.events import EventType
from audit.export import ExportFormat, export
from audit.signing import CheckpointSigner
from audit.sqlite_store import SqliteAuditStore
from audit.store import RowQuery
from audit.verify import FaultKind, VerifyResult
from audit.verify_sources import verify_export

WS = "acme"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> tuple[SqliteAuditStore, CheckpointSigner, Path]:
    signer = new_signer()
    root = tmp_path_factory.mktemp("export")
    store = build_db(root / "audit.db", signer, {WS: 730, "beta": 50}, every=100)
    return store, signer, root


def _export(
    env: tuple[SqliteAuditStore, CheckpointSigner, Path], name: str, query: RowQuery | None = None
) -> Path:
    store, _, root = env
    path = root / name
    with path.open("w", encoding="utf-8") as fh:
        export(store, workspace_id=WS, query=query, fmt=ExportFormat.JSONL, out=fh)
    return path


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _write(path: Path, lines: list[dict[str, Any]]) -> Path:
    out = path.with_name("tampered-" + path.name)
    out.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return out


def _check(path: Path, signer: CheckpointSigner) -> VerifyResult:
    return verify_export(path, public_key=signer.public_key)


def test_full_export_verifies_alone(env: tuple[SqliteAuditStore, CheckpointSigner, Path]) -> None:
    path = _export(env, "full.jsonl")
    lines = _lines(path)
    assert lines[0]["record"] == "header" and lines[0]["mode"] == "contiguous"
    assert lines[-1]["record"] == "trailer"
    result = _check(path, env[1])
    assert result.ok and result.rows == 730 and result.signatures_checked == result.checkpoints >= 7


def test_time_range_export_ends_between_checkpoints_and_is_anchored(
    env: tuple[SqliteAuditStore, CheckpointSigner, Path],
) -> None:
    path = _export(env, "range.jsonl", RowQuery(first_seq=150, last_seq=420))
    result = _check(path, env[1])
    assert result.ok, result.fault
    assert result.first_seq is not None and result.first_seq > 1
    assert result.unanchored_rows == 0  # tail proof into the next checkpoint


@pytest.mark.parametrize(
    "query", [RowQuery(call_id="call-000007"), RowQuery(types=(EventType.TRANSFER_DECIDED.value,))]
)
def test_filtered_export_rows_carry_inclusion_proofs(
    env: tuple[SqliteAuditStore, CheckpointSigner, Path], query: RowQuery
) -> None:
    path = _export(env, "filtered.jsonl", query)
    lines = _lines(path)
    events = [line for line in lines if line["record"] == "event"]
    assert events and all(line["proof"] for line in events[:-1])
    result = _check(path, env[1])
    assert result.ok, result.fault
    assert any("not complete" in w for w in result.warnings)


def test_tampered_contiguous_exports(env: tuple[SqliteAuditStore, CheckpointSigner, Path]) -> None:
    signer = env[1]
    path = _export(env, "full2.jsonl")
    lines = _lines(path)
    ev = [i for i, line in enumerate(lines) if line["record"] == "event"]

    modified = [dict(line) for line in lines]
    row = dict(modified[ev[99]]["row"])
    row["actor"] = "forger"
    modified[ev[99]] = {"record": "event", "row": row}
    fault = _check(_write(path, modified), signer).fault
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.HASH_MISMATCH, 100)

    deleted = lines[: ev[49]] + lines[ev[49] + 1 :]
    fault = _check(_write(path, deleted), signer).fault
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.SEQ_GAP, 50)

    swapped = list(lines)
    swapped[ev[10]], swapped[ev[20]] = swapped[ev[20]], swapped[ev[10]]
    fault = _check(_write(path, swapped), signer).fault
    assert fault is not None and fault.seq == 11

    cut = lines[: ev[-5]]
    fault = _check(_write(path, cut), signer).fault
    assert fault is not None and (fault.kind, fault.seq) == (FaultKind.TRUNCATED, 726)


def test_rewritten_trailer_still_caught_by_the_tail_checkpoint(
    env: tuple[SqliteAuditStore, CheckpointSigner, Path],
) -> None:
    path = _export(env, "range2.jsonl", RowQuery(last_seq=420))
    lines = _lines(path)
    events = [line for line in lines if line["record"] == "event"]
    cps = [line for line in lines if line["record"] == "checkpoint"]
    trailer = dict(lines[-1])
    keep = events[:-3]
    last = keep[-1]["row"]
    trailer.update(rows=len(keep), last_seq=last["seq"], last_hash=last["row_hash"])
    fault = _check(_write(path, [lines[0], *keep, *cps, trailer]), env[1]).fault
    assert fault is not None and fault.kind in (FaultKind.TRUNCATED, FaultKind.PROOF_INVALID)


def test_tampered_filtered_export(env: tuple[SqliteAuditStore, CheckpointSigner, Path]) -> None:
    path = _export(env, "call.jsonl", RowQuery(call_id="call-000003"))
    lines = _lines(path)
    ev = [i for i, line in enumerate(lines) if line["record"] == "event"]
    forged = [dict(line) for line in lines]
    row = dict(forged[ev[1]]["row"])
    row["payload"] = {**row["payload"], "text": "changed"}
    from audit.events import AuditRecord

    rec = AuditRecord.from_dict(row)
    row["row_hash"] = rec.recompute_hash()  # self-consistent forgery: only the proof can catch it
    forged[ev[1]] = {**forged[ev[1]], "row": row}
    fault = _check(_write(path, forged), env[1]).fault
    assert fault is not None and fault.kind is FaultKind.PROOF_INVALID

    foreign = dict(lines[ev[0]])
    other = _lines(_export(env, "other-call.jsonl", RowQuery(call_id="call-000004")))
    inserted = lines[: ev[0]] + [other[1]] + lines[ev[0] :]
    fault = _check(_write(path, inserted), env[1]).fault
    assert fault is not None and fault.kind in (FaultKind.OUTSIDE_FILTER, FaultKind.SEQ_ORDER), foreign


def test_csv_export(env: tuple[SqliteAuditStore, CheckpointSigner, Path]) -> None:
    out = io.StringIO()
    summary = export(env[0], workspace_id="beta", fmt=ExportFormat.CSV, out=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert summary.rows == len(rows) == 50
    assert rows[0]["seq"] == "1" and json.loads(rows[0]["payload"])
