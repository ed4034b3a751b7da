"""Tamper trials: apply a random fault to a copy of a real chain and check the verifier sees it.

Each kind has a naive variant (the attacker edits rows and leaves hashes alone) and a strong one
(the attacker also recomputes every hash after the edit and fixes the head record, but cannot sign
checkpoints). Strong truncation also deletes the stored checkpoints beyond the cut, so it is caught
only by a checkpoint copy kept outside the database (``--checkpoints``); the trials pass the last
checkpoint as that outside copy. Tampered chains are produced lazily: rows after the point where
the verifier stops are never computed, which changes nothing the verifier sees.
"""

from __future__ import annotations

import base64
import dataclasses
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from audit.canonical import GENESIS_HASH
from audit.events import AuditRecord, EventType
from audit.signing import Checkpoint, CheckpointSigner, key_id
from audit.store import AuditStore
from audit.verify import VerifyResult, verify_chain


class TamperKind(StrEnum):
    MODIFY = "modify"
    DELETE = "delete"
    INSERT = "insert"
    SWAP = "swap"
    TRUNCATE = "truncate"
    FORGE_SIGNATURE = "forge_signature"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A whole workspace chain in memory."""

    workspace_id: str
    records: tuple[AuditRecord, ...]
    checkpoints: tuple[Checkpoint, ...]

    @classmethod
    def load(cls, store: AuditStore, workspace_id: str) -> Snapshot:
        return cls(workspace_id, tuple(store.rows(workspace_id)), tuple(store.checkpoints(workspace_id)))


@dataclass(slots=True)
class Tampered:
    variant: str
    rows: Callable[[], Iterator[AuditRecord]]
    checkpoints: list[Checkpoint]
    head: Callable[[], tuple[int, str] | None]
    expected_seq: int | None  # first bad seq the verifier should name (None: not predicted)


def _rechain(rows: Sequence[AuditRecord], start: int, state: dict[str, Any]) -> Iterator[AuditRecord]:
    """Rows as given up to ``start``, then renumbered and re-hashed (a strong attacker)."""
    prev_hash = rows[start - 1].row_hash if start > 0 else GENESIS_HASH
    prev_seq = rows[start - 1].seq if start > 0 else 0
    yield from rows[:start]
    for row in rows[start:]:
        row = dataclasses.replace(row, seq=prev_seq + 1, prev_hash=prev_hash)
        row = dataclasses.replace(row, row_hash=row.recompute_hash())
        prev_hash, prev_seq = row.row_hash, row.seq
        state["head"] = (prev_seq, prev_hash)
        yield row


def _changed(row: AuditRecord, rng: random.Random) -> AuditRecord:
    """The row with one field changed (hashes untouched)."""
    choice = rng.choice(("payload", "payload", "actor", "call_id", "ts", "type"))
    if choice == "payload" and row.payload:
        key = rng.choice(sorted(row.payload))
        value = row.payload[key]
        if isinstance(value, bool):
            new: Any = not value
        elif isinstance(value, int):
            new = value + rng.randint(1, 9)
        elif isinstance(value, str):
            new = value + "x"
        else:
            new = {"tampered": True}
        return dataclasses.replace(row, payload={**row.payload, key: new})
    if choice == "actor":
        return dataclasses.replace(row, actor=row.actor + "-x")
    if choice == "call_id":
        return dataclasses.replace(row, call_id=(row.call_id or "") + "-x")
    if choice == "ts":
        return dataclasses.replace(row, ts=row.ts[:-2] + ("0" if row.ts[-2] != "0" else "1") + "Z")
    other = [t.value for t in EventType if t.value != row.type]
    return dataclasses.replace(row, type=rng.choice(other))


def _same_content(a: AuditRecord, b: AuditRecord) -> bool:
    return a.body() | {"seq": 0, "prev_hash": ""} == b.body() | {"seq": 0, "prev_hash": ""}


def tamper(snap: Snapshot, kind: TamperKind, rng: random.Random) -> Tampered:
    """One random fault of ``kind`` with a random variant."""
    rows = list(snap.records)
    cps = list(snap.checkpoints)
    n = len(rows)
    head = (rows[-1].seq, rows[-1].row_hash)
    strong = rng.random() < 0.5
    state: dict[str, Any] = {"head": head}

    def lazy(r: list[AuditRecord], start: int | None) -> Callable[[], Iterator[AuditRecord]]:
        return (lambda: iter(r)) if start is None else (lambda: _rechain(r, start, state))

    def head_fn() -> tuple[int, str] | None:
        return state["head"] if strong else head

    if kind is TamperKind.MODIFY:
        i = rng.randrange(n)
        rows[i] = _changed(rows[i], rng)
        return Tampered(
            "modify+rehash" if strong else "modify",
            lazy(rows, i if strong else None),
            cps,
            head_fn,
            None if strong else rows[i].seq,
        )
    if kind is TamperKind.DELETE:
        i = rng.randrange(n)
        seq = rows[i].seq
        del rows[i]
        return Tampered(
            "delete+rehash" if strong else "delete",
            lazy(rows, i if strong else None),
            cps,
            head_fn,
            None if strong else seq,
        )
    if kind is TamperKind.INSERT:
        i = rng.randrange(n)  # before row i: between two rows, or before the first
        donor = rows[rng.randrange(n)]
        forged = dataclasses.replace(
            _changed(donor, rng), seq=rows[i].seq, prev_hash=rows[i - 1].row_hash if i else GENESIS_HASH
        )
        forged = dataclasses.replace(forged, row_hash=forged.recompute_hash())
        rows.insert(i, forged)
        if strong:
            return Tampered("insert+rehash", lazy(rows, i), cps, head_fn, None)
        return Tampered("insert", lazy(rows, None), cps, head_fn, forged.seq)
    if kind is TamperKind.SWAP:
        while True:
            i, j = sorted(rng.sample(range(n), 2))
            if not _same_content(rows[i], rows[j]):
                break
        rows[i], rows[j] = rows[j], rows[i]
        return Tampered(
            "swap+rehash" if strong else "swap",
            lazy(rows, i if strong else None),
            cps,
            head_fn,
            None if strong else rows[j].seq,
        )
    if kind is TamperKind.TRUNCATE:
        k = rng.randint(1, min(100, n - 1))
        del rows[n - k :]
        last = rows[-1].seq
        if strong:  # fix the head record and delete the stored checkpoints beyond the cut
            state["head"] = (last, rows[-1].row_hash)
            outside = max(cps, key=lambda c: c.seq)
            cps = [c for c in cps if c.seq <= last] + [outside]
            return Tampered("truncate+head+checkpoints", lazy(rows, None), cps, head_fn, last + 1)
        return Tampered("truncate", lazy(rows, None), cps, lambda: head, last + 1)
    return _forge(rows, cps, head, rng)


def _forge(
    rows: list[AuditRecord], cps: list[Checkpoint], head: tuple[int, str], rng: random.Random
) -> Tampered:
    idx = rng.randrange(len(cps))
    cp = cps[idx]
    how = rng.choice(("flip-bit", "moved-head", "other-key", "other-key-same-id"))
    if how == "flip-bit":
        raw = bytearray(base64.b64decode(cp.signature))
        raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
        forged = dataclasses.replace(cp, signature=base64.b64encode(bytes(raw)).decode())
    elif how == "moved-head":
        other = rng.choice([r for r in rows if r.seq != cp.seq])  # a real move, not the same statement
        forged = dataclasses.replace(cp, seq=other.seq, head_hash=other.row_hash)
    else:
        signer = CheckpointSigner(private_key=Ed25519PrivateKey.generate().private_bytes_raw())
        forged = signer.sign(
            workspace_id=cp.workspace_id,
            seq=cp.seq,
            head_hash=cp.head_hash,
            span_start=cp.span_start,
            span_root=cp.span_root,
            ts=cp.ts,
        )
        if how == "other-key-same-id":
            forged = dataclasses.replace(forged, key_id=cp.key_id)
    cps = cps[:idx] + [forged] + cps[idx + 1 :]
    return Tampered(f"forge:{how}", lambda: iter(rows), cps, lambda: head, forged.seq)


@dataclass(slots=True)
class KindStats:
    trials: int = 0
    detected: int = 0
    located: int = 0
    predicted: int = 0
    faults: dict[str, int] = field(default_factory=dict)
    missed_variants: list[str] = field(default_factory=list)


def run_trial(
    snap: Snapshot, public_key: Ed25519PublicKey, kind: TamperKind, seed: int
) -> tuple[bool, bool | None, str, str]:
    """(detected, named the predicted seq or None if not predicted, fault kind, variant)."""
    t = tamper(snap, kind, random.Random(seed))
    result: VerifyResult = verify_chain(
        snap.workspace_id,
        t.rows(),
        checkpoints=t.checkpoints,
        public_keys={key_id(public_key): public_key},
        key_source="pinned",
        claimed_head=t.head,
    )
    fault = result.fault
    located = None if t.expected_seq is None else (fault is not None and fault.seq == t.expected_seq)
    return fault is not None, located, fault.kind.value if fault else "none", t.variant
