"""Verify a database file or a JSONL export (see :mod:`audit.verify` for the checks)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.canonical import is_hash, loads_strict
from audit.events import AuditRecord
from audit.exceptions import AuditError, ExportFormatError, KeyMaterialError, MalformedRecordError
from audit.export import FORMAT_NAME
from audit.merkle import verify_inclusion
from audit.signing import Checkpoint, key_id, load_public_key
from audit.store import SnapshotStore
from audit.verify import ChainVerifier, Fault, FaultKind, VerifyResult, check_signatures, verify_chain

Progress = Callable[[int], None]


def resolve_keys(
    pinned: Ed25519PublicKey | None, embedded: Mapping[str, bytes]
) -> tuple[dict[str, Ed25519PublicKey], str]:
    """The keys to check signatures with, and where they came from."""
    if pinned is not None:
        return {key_id(pinned): pinned}, "pinned"
    keys: dict[str, Ed25519PublicKey] = {}
    for kid, pem in embedded.items():
        try:
            keys[kid] = load_public_key(pem)
        except KeyMaterialError:
            continue
    return keys, ("embedded (not pinned)" if keys else "none")


def verify_store(
    store: SnapshotStore,
    *,
    public_key: Ed25519PublicKey | None = None,
    workspace_id: str | None = None,
    extra_checkpoints: Sequence[Checkpoint] = (),
    progress: Progress | None = None,
) -> list[VerifyResult]:
    """Verify every workspace chain of ``store`` (or one).

    ``extra_checkpoints`` are checkpoints kept outside the database (an earlier export, a copy
    sent elsewhere): a forger who truncates the tail *and* deletes the stored checkpoints beyond
    it is caught by them."""
    keys, source = resolve_keys(public_key, {} if public_key else store.public_keys())
    results = []
    for ws in [workspace_id] if workspace_id else store.workspaces():
        with store.read_snapshot():
            results.append(_verify_one(store, ws, keys, source, extra_checkpoints, progress))
        if public_key is None and keys:
            results[-1].warnings.append("public key not pinned (--public-key): a forger could replace it")
    return results


def _verify_one(
    store: SnapshotStore,
    ws: str,
    keys: dict[str, Ed25519PublicKey],
    source: str,
    extra_checkpoints: Sequence[Checkpoint],
    progress: Progress | None,
) -> VerifyResult:
    cps = merge_checkpoints(store.checkpoints(ws), [c for c in extra_checkpoints if c.workspace_id == ws])
    head = store.head(ws)
    return verify_chain(
        ws,
        store.rows(ws),
        checkpoints=cps,
        public_keys=keys,
        key_source=source,
        claimed_head=(head.seq, head.row_hash) if head else None,
        progress=progress,
    )


@dataclass(slots=True)
class _Parsed:
    header: dict[str, Any]
    checkpoints: list[Checkpoint]
    trailer: dict[str, Any] | None


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open("rb") as fh:
        for n, raw in enumerate(fh, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise ExportFormatError(f"line {n} is not UTF-8") from None
            if not text.strip():
                continue
            try:
                obj = loads_strict(text)
            except AuditError:
                raise ExportFormatError(f"line {n} is not valid JSON") from None
            if not isinstance(obj, dict) or obj.get("record") not in (
                "header",
                "event",
                "checkpoint",
                "trailer",
            ):
                raise ExportFormatError(f"line {n} is not an export record")
            yield n, obj


def _first_pass(path: Path) -> _Parsed:
    header: dict[str, Any] | None = None
    cps: list[Checkpoint] = []
    trailer: dict[str, Any] | None = None
    for n, obj in _lines(path):
        kind = obj["record"]
        if n == 1 or header is None:
            if kind != "header" or obj.get("format") != FORMAT_NAME:
                raise ExportFormatError("the first line is not a DialPhone audit export header")
            header = obj
        elif kind == "checkpoint":
            cps.append(Checkpoint.from_dict(obj.get("checkpoint") or {}))
        elif kind == "trailer":
            trailer = obj
    if header is None:
        raise ExportFormatError("empty file")
    first_seq, prev_hash = header.get("first_seq"), header.get("prev_hash")
    if not (first_seq is None or (isinstance(first_seq, int) and first_seq >= 1)) or not (
        prev_hash is None or is_hash(prev_hash)
    ):
        raise ExportFormatError("the header's first_seq or prev_hash is malformed")
    return _Parsed(header, cps, trailer)


def verify_export(
    path: str | Path, *, public_key: Ed25519PublicKey | None = None, progress: Progress | None = None
) -> VerifyResult:
    """Verify a JSONL export on its own (no database needed)."""
    path = Path(path)
    parsed = _first_pass(path)
    header = parsed.header
    ws = str(header.get("workspace_id"))
    embedded = {str(k): str(v).encode("ascii") for k, v in (header.get("public_keys") or {}).items()}
    keys, source = resolve_keys(public_key, embedded)
    if header.get("mode") == "filtered":
        return _verify_filtered(path, parsed, keys, source, progress)
    verifier = ChainVerifier(
        workspace_id=ws,
        checkpoints=parsed.checkpoints,
        public_keys=keys,
        key_source=source,
        start_prev_hash=header.get("prev_hash"),
        start_seq=header.get("first_seq"),
    )
    _warn_unpinned(verifier.result, public_key, keys)
    for n, obj in _lines(path):
        if obj["record"] != "event":
            continue
        try:
            row = AuditRecord.from_dict(obj.get("row") or {})
        except MalformedRecordError as exc:
            verifier.fail(Fault(FaultKind.MALFORMED, (verifier.result.last_seq or 0) + 1, f"line {n}: {exc}"))
            break
        if not verifier.feed(row):
            break
        if progress is not None and n % 1000 == 0:
            progress(1000)
    tail_ok = False
    if not verifier.stopped:
        fault, tail_ok = _check_trailer(verifier.result, parsed)
        if fault is not None:
            verifier.fail(fault)
    return verifier.finish(tail_checked=tail_ok)


def _warn_unpinned(
    result: VerifyResult, public_key: Ed25519PublicKey | None, keys: Mapping[str, Any]
) -> None:
    if public_key is None and keys:
        result.warnings.append("public key taken from the export itself (not pinned with --public-key)")


def _check_trailer(res: VerifyResult, parsed: _Parsed) -> tuple[Fault | None, bool]:
    """Trailer consistency and the proof tying the last row to the next checkpoint."""
    last = res.last_seq if res.last_seq is not None else (parsed.header.get("first_seq") or 1) - 1
    trailer = parsed.trailer
    if trailer is None:
        return Fault(FaultKind.TRUNCATED, last + 1, "export has no trailer line"), False
    t_last, t_rows = trailer.get("last_seq"), trailer.get("rows")
    if not isinstance(t_rows, int) or t_rows != res.rows or t_last != res.last_seq:
        if isinstance(t_last, int) and t_last > last:
            return Fault(
                FaultKind.TRUNCATED, last + 1, f"trailer says last seq {t_last}, file ends at {last}"
            ), False
        return Fault(
            FaultKind.HEAD_MISMATCH, last, "trailer row count or last seq differs from the rows"
        ), False
    beyond = sorted((cp for cp in parsed.checkpoints if cp.seq > last), key=lambda c: c.seq)
    if not beyond:
        return None, False
    proof = trailer.get("tail_proof")
    cp = beyond[0]
    if (
        len(beyond) > 1
        or not isinstance(proof, dict)
        or proof.get("checkpoint_seq") != cp.seq
        or proof.get("seq") != last
    ):
        return Fault(
            FaultKind.TRUNCATED, last + 1, f"checkpoint at seq {cp.seq} is beyond the last row {last}"
        ), False
    path = proof.get("path")
    last_hash = trailer.get("last_hash")
    if (
        not isinstance(path, list)
        or not isinstance(last_hash, str)
        or not verify_inclusion(
            last_hash, last - cp.span_start, cp.seq - cp.span_start + 1, [str(p) for p in path], cp.span_root
        )
    ):
        return Fault(
            FaultKind.PROOF_INVALID, last, f"last row {last} is not in the span signed at seq {cp.seq}"
        ), False
    return None, True


def _verify_filtered(
    path: Path, parsed: _Parsed, keys: Mapping[str, Ed25519PublicKey], source: str, progress: Progress | None
) -> VerifyResult:
    header = parsed.header
    ws = str(header.get("workspace_id"))
    res = VerifyResult(workspace_id=ws, key_source=source, checkpoints=len(parsed.checkpoints))
    if source != "pinned" and keys:
        res.warnings.append("public key taken from the export itself (not pinned with --public-key)")
    faults: list[Fault] = []
    sig_fault, res.signatures_checked = check_signatures(ws, parsed.checkpoints, keys)
    if sig_fault is not None:
        faults.append(sig_fault)
    if not keys and parsed.checkpoints:
        res.warnings.append("no public key: checkpoint signatures not checked")
    cps = {cp.seq: cp for cp in parsed.checkpoints}
    flt = header.get("filter") or {}
    prev_seq = 0
    for n, obj in _lines(path):
        if obj["record"] != "event":
            continue
        try:
            row = AuditRecord.from_dict(obj.get("row") or {})
        except MalformedRecordError as exc:
            faults.append(Fault(FaultKind.MALFORMED, prev_seq + 1, f"line {n}: {exc}"))
            break
        fault = _check_filtered_row(row, obj.get("proof"), ws, prev_seq, flt, cps)
        if fault is not None:
            faults.append(fault)
            break
        if obj.get("proof") is None:
            res.unanchored_rows += 1
        res.rows += 1
        res.first_seq = row.seq if res.first_seq is None else res.first_seq
        res.last_seq = prev_seq = row.seq
        if progress is not None and n % 1000 == 0:
            progress(1000)
    trailer = parsed.trailer
    if not faults and (
        trailer is None or trailer.get("rows") != res.rows or trailer.get("last_seq") != res.last_seq
    ):
        faults.append(Fault(FaultKind.TRUNCATED, prev_seq + 1, "trailer missing or row count differs"))
    if res.unanchored_rows:
        res.warnings.append(f"{res.unanchored_rows} rows have no inclusion proof (after the last checkpoint)")
    res.warnings.append("filtered export: rows are proven authentic, not complete (use a contiguous export)")
    res.fault = min(faults, key=lambda f: f.seq) if faults else None
    return res


def _check_filtered_row(
    row: AuditRecord,
    proof: Any,
    ws: str,
    prev_seq: int,
    flt: Mapping[str, Any],
    cps: Mapping[int, Checkpoint],
) -> Fault | None:
    if row.workspace_id != ws:
        return Fault(FaultKind.WRONG_WORKSPACE, row.seq, f"row at seq {row.seq} belongs to another workspace")
    if row.seq <= prev_seq:
        return Fault(FaultKind.SEQ_ORDER, row.seq, f"seq {row.seq} after seq {prev_seq}")
    try:
        if row.recompute_hash() != row.row_hash:
            return Fault(
                FaultKind.HASH_MISMATCH, row.seq, f"content of seq {row.seq} does not match its row_hash"
            )
    except AuditError:
        return Fault(FaultKind.MALFORMED, row.seq, f"row at seq {row.seq} has no canonical form")
    if not _matches(row, flt):
        return Fault(
            FaultKind.OUTSIDE_FILTER, row.seq, f"row at seq {row.seq} does not match the export filter"
        )
    if proof is None:
        return None
    cp_seq = proof.get("checkpoint_seq") if isinstance(proof, dict) else None
    cp = cps.get(cp_seq) if isinstance(cp_seq, int) else None
    path = proof.get("path") if isinstance(proof, dict) else None
    if cp is None or not isinstance(path, list) or not cp.span_start <= row.seq <= cp.seq:
        return Fault(
            FaultKind.PROOF_INVALID, row.seq, f"proof of seq {row.seq} names no checkpoint in the file"
        )
    if not verify_inclusion(
        row.row_hash,
        row.seq - cp.span_start,
        cp.seq - cp.span_start + 1,
        [str(p) for p in path],
        cp.span_root,
    ):
        return Fault(
            FaultKind.PROOF_INVALID, row.seq, f"seq {row.seq} is not in the span signed at seq {cp.seq}"
        )
    return None


def _matches(row: AuditRecord, flt: Mapping[str, Any]) -> bool:
    if flt.get("call_id") is not None and row.call_id != flt["call_id"]:
        return False
    if flt.get("types") and row.type not in flt["types"]:
        return False
    if flt.get("since") is not None and row.ts < flt["since"]:
        return False
    return not (flt.get("until") is not None and row.ts >= flt["until"])


def looks_like_export(path: str | Path) -> bool:
    """True when the file starts like a JSONL export (else treat it as a database)."""
    with Path(path).open("rb") as fh:
        first = fh.readline(1 << 20)
    if not first.lstrip().startswith(b"{"):
        return False
    try:
        obj = json.loads(first)
    except ValueError:
        return False
    return isinstance(obj, dict) and obj.get("record") == "header"


def merge_checkpoints(stored: Sequence[Checkpoint], extra: Sequence[Checkpoint]) -> list[Checkpoint]:
    """Stored checkpoints plus outside copies; a copy that differs from the stored one at the same
    seq is kept too (both are checked, so a rewritten stored checkpoint cannot hide)."""
    seen = {(c.seq, c.signature) for c in stored}
    merged = list(stored) + [c for c in extra if (c.seq, c.signature) not in seen]
    return sorted(merged, key=lambda c: c.seq)


def read_checkpoints(path: str | Path) -> list[Checkpoint]:
    """Checkpoints from a JSONL file: an export, or lines ``{"record": "checkpoint", ...}``."""
    return [
        Checkpoint.from_dict(obj.get("checkpoint") or {})
        for _, obj in _lines(Path(path))
        if obj["record"] == "checkpoint"
    ]
