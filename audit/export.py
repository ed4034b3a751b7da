"""Streaming export of one workspace chain as JSONL (self-verifying) or CSV (for spreadsheets).

JSONL layout, one JSON object per line, each with a ``record`` kind:

* ``header``: format, version, workspace, the filter, ``mode`` (``contiguous`` or ``filtered``),
  ``first_seq`` and ``prev_hash`` of the first exported row, the public keys (PEM by key id).
* ``event``: ``row`` (all row fields, as hashed) and, in filtered mode, ``proof``.
* ``checkpoint``: a signed checkpoint (after the events).
* ``trailer``: row count, ``last_seq``, ``last_hash`` and, in contiguous mode, ``tail_proof``.

Contiguous mode (no call/type filter; ``since``/``until`` select a run of seqs because row
timestamps never decrease): the rows form an unbroken chain from the header's ``prev_hash``. Every
checkpoint inside the run is included; the first checkpoint after the last row is included with a
Merkle inclusion proof of the last row in that checkpoint's span (``tail_proof``), so the whole
run is tied to a signature even when it ends between checkpoints.

Filtered mode (``--call`` or ``--type``): the rows are not contiguous, so links cannot be checked.
Each row carries a Merkle inclusion proof (RFC 9162 audit path) into the signed span root of the
first checkpoint at or after it. A verifier checks each row's own hash, the proof and the
signature: a modified, forged or reordered row fails. What a filtered export cannot prove is
completeness (that no matching row was left out): use a contiguous export for that. Rows after
the last checkpoint have no proof yet and are reported as unanchored.

CSV is for people, not for verification: one row per event, payload as canonical JSON text.

Every export is on the record twice (:class:`ExportRecord`): ``audit.exported`` with status
``started`` is appended (durably) before the first row is read, and a second one, ``completed`` with
the row count and last seq, or ``aborted`` with what was sent when the export broke off (a client
that went away, an error, an interrupt), shares its ``export_id``. An export with a ``started`` row
and no end row is one whose process died mid-way.
"""

from __future__ import annotations

import bisect
import csv
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TextIO

from audit.builders import audit_exported
from audit.canonical import canonical_text
from audit.events import ROW_FIELDS, SCHEMA_VERSION, AuditEvent, AuditRecord, now_ts
from audit.merkle import MerkleTree
from audit.signing import Checkpoint
from audit.store import AuditStore, RowQuery

FORMAT_NAME = "dialphone-audit-export"
FORMAT_VERSION = 1


class ExportFormat(StrEnum):
    JSONL = "jsonl"
    CSV = "csv"


@dataclass(slots=True)
class ExportSummary:
    workspace_id: str
    rows: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    checkpoints: int = 0
    unanchored_rows: int = 0


@dataclass(slots=True)
class ExportRecord:
    """The two ``audit.exported`` rows of one export: :meth:`started`, then :meth:`ended`."""

    workspace_id: str
    requester: str
    format: str
    query: RowQuery
    export_id: str = ""

    def __post_init__(self) -> None:
        self.export_id = self.export_id or f"exp-{uuid.uuid4().hex[:16]}"

    def _event(self, status: str, summary: ExportSummary | None) -> AuditEvent:
        q = self.query
        return audit_exported(
            workspace_id=self.workspace_id, requester=self.requester, format=self.format,
            rows=summary.rows if summary is not None else None,
            last_seq=summary.last_seq if summary is not None else None,
            since=q.since, until=q.until, call_id=q.call_id, types=q.types, status=status, export_id=self.export_id,
        )

    def started(self) -> AuditEvent:
        return self._event("started", None)

    def ended(self, summary: ExportSummary, *, completed: bool) -> AuditEvent:
        return self._event("completed" if completed else "aborted", summary)


def _line(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n"


def export(
    store: AuditStore,
    *,
    workspace_id: str,
    query: RowQuery | None = None,
    fmt: ExportFormat = ExportFormat.JSONL,
    out: TextIO,
    progress: Callable[[int], None] | None = None,
    summary: ExportSummary | None = None,
) -> ExportSummary:
    """Write the export to ``out``, streaming; returns what was written (``summary``, when given, is
    filled as it goes: after an error it says how far the export got)."""
    summary = summary if summary is not None else ExportSummary(workspace_id=workspace_id)
    lines = (
        iter_jsonl(store, workspace_id=workspace_id, query=query, summary=summary)
        if fmt is ExportFormat.JSONL
        else None
    )
    if lines is None:
        _write_csv(store, workspace_id, query or RowQuery(), out, summary, progress)
        return summary
    for i, line in enumerate(lines):
        out.write(line)
        if progress is not None and i % 1000 == 999:
            progress(1000)
    return summary


def _write_csv(
    store: AuditStore,
    ws: str,
    query: RowQuery,
    out: TextIO,
    summary: ExportSummary,
    progress: Callable[[int], None] | None,
) -> None:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(ROW_FIELDS)
    for row in store.rows(ws, query):
        d = row.to_dict()
        d["payload"] = canonical_text(row.payload)
        writer.writerow(["" if d[f] is None else d[f] for f in ROW_FIELDS])
        _count(summary, row)
        if progress is not None and summary.rows % 1000 == 0:
            progress(1000)


def _count(summary: ExportSummary, row: AuditRecord) -> None:
    summary.rows += 1
    summary.first_seq = row.seq if summary.first_seq is None else summary.first_seq
    summary.last_seq = row.seq


def iter_jsonl(
    store: AuditStore,
    *,
    workspace_id: str,
    query: RowQuery | None = None,
    summary: ExportSummary | None = None,
) -> Iterator[str]:
    """The JSONL export as lines (see the module docstring)."""
    q = query or RowQuery()
    summary = summary if summary is not None else ExportSummary(workspace_id=workspace_id)
    first = next(iter(store.rows(workspace_id, q)), None)
    header = {
        "record": "header",
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "schema_version": SCHEMA_VERSION,
        "workspace_id": workspace_id,
        "mode": "contiguous" if q.contiguous else "filtered",
        "filter": {
            "since": q.since,
            "until": q.until,
            "call_id": q.call_id,
            "types": list(q.types) if q.types else None,
        },
        "first_seq": first.seq if first else None,
        "prev_hash": first.prev_hash if first else None,
        "public_keys": {k: v.decode("ascii") for k, v in sorted(store.public_keys().items())},
        "exported_at": now_ts(),
    }
    yield _line(header)
    if q.contiguous:
        yield from _contiguous(store, workspace_id, q, summary)
    else:
        yield from _filtered(store, workspace_id, q, summary)


def _contiguous(store: AuditStore, ws: str, q: RowQuery, summary: ExportSummary) -> Iterator[str]:
    last: AuditRecord | None = None
    for row in store.rows(ws, q):
        _count(summary, row)
        last = row
        yield _line({"record": "event", "row": row.to_dict()})
    tail_proof: dict[str, Any] | None = None
    if last is not None and summary.first_seq is not None:
        inside = store.checkpoints(ws, min_seq=summary.first_seq, max_seq=last.seq)
        after = store.checkpoints(ws, min_seq=last.seq + 1)[:1]
        for cp in inside + after:
            summary.checkpoints += 1
            yield _line({"record": "checkpoint", "checkpoint": cp.to_dict()})
        if after and after[0].span_start <= last.seq and (not inside or inside[-1].seq != last.seq):
            cp = after[0]
            tree = MerkleTree(store.row_hashes(ws, cp.span_start, cp.seq))
            tail_proof = {
                "seq": last.seq,
                "checkpoint_seq": cp.seq,
                "path": tree.path(last.seq - cp.span_start),
            }
        anchored = inside[-1].seq if inside else summary.first_seq - 1
        summary.unanchored_rows = 0 if tail_proof else last.seq - anchored
    yield _line(
        {
            "record": "trailer",
            "rows": summary.rows,
            "last_seq": summary.last_seq,
            "last_hash": last.row_hash if last else None,
            "tail_proof": tail_proof,
        }
    )


def _filtered(store: AuditStore, ws: str, q: RowQuery, summary: ExportSummary) -> Iterator[str]:
    cps: list[Checkpoint] = store.checkpoints(ws)
    cp_seqs = [cp.seq for cp in cps]
    used: dict[int, Checkpoint] = {}
    tree: MerkleTree | None = None
    tree_cp: Checkpoint | None = None
    last: AuditRecord | None = None
    for row in store.rows(ws, q):
        _count(summary, row)
        last = row
        i = bisect.bisect_left(cp_seqs, row.seq)
        proof: dict[str, Any] | None = None
        if i < len(cps) and cps[i].span_start <= row.seq:
            cp = cps[i]
            if tree_cp is not cp:
                hashes = store.row_hashes(ws, cp.span_start, cp.seq)
                tree, tree_cp = (
                    (MerkleTree(hashes), cp) if len(hashes) == cp.seq - cp.span_start + 1 else (None, cp)
                )
            if tree is not None:
                used[cp.seq] = cp
                proof = {"checkpoint_seq": cp.seq, "path": tree.path(row.seq - cp.span_start)}
        if proof is None:
            summary.unanchored_rows += 1
        yield _line({"record": "event", "row": row.to_dict(), "proof": proof})
    for seq in sorted(used):
        summary.checkpoints += 1
        yield _line({"record": "checkpoint", "checkpoint": used[seq].to_dict()})
    yield _line(
        {
            "record": "trailer",
            "rows": summary.rows,
            "last_seq": summary.last_seq,
            "last_hash": last.row_hash if last else None,
        }
    )
