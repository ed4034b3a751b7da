"""Fuzz the export verifier: any byte change is either rejected as not an export, or reported as a
fault when it changes a row; it never crashes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from audit_testlib import build_db, new_signer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.exceptions import AuditError
from audit.export import ExportFormat, export
from audit.signing import CheckpointSigner
from audit.verify_sources import verify_export


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, CheckpointSigner, Path]:
    signer = new_signer()
    root = tmp_path_factory.mktemp("fuzz")
    store = build_db(root / "a.db", signer, {"acme": 30}, every=10)
    path = root / "e.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        export(store, workspace_id="acme", fmt=ExportFormat.JSONL, out=fh)
    store.close()
    return path.read_bytes(), signer, root


def _rows(data: bytes) -> list[object]:
    out: list[object] = []
    for line in data.splitlines():
        try:
            obj = json.loads(line)
        except ValueError:
            out.append(None)
            continue
        out.append(obj.get("row") if isinstance(obj, dict) else obj)
    return out


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_exports_never_pass_silently(
    exported: tuple[bytes, CheckpointSigner, Path], data: st.DataObject
) -> None:
    original, signer, root = exported
    buf = bytearray(original)
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, len(buf) - 1))
        buf[pos] = data.draw(st.integers(0, 255))
    path = root / "mutated.jsonl"
    path.write_bytes(bytes(buf))
    try:
        result = verify_export(path, public_key=signer.public_key)
    except AuditError:
        return
    if _rows(bytes(buf)) != _rows(original):
        assert result.fault is not None
