"""Offline verification core: a streaming checker fed rows in seq order.

It finds the first bad seq and names the fault kind (:class:`FaultKind`). The same checker serves
a database file, a contiguous JSONL export and the tamper trials (:mod:`audit.tamper`).

Checks, per row: workspace, seq continuity, ``prev_hash`` link, recomputed ``row_hash``. Per
checkpoint: Ed25519 signature (against the pinned key, else the keys stored with the data), the
signed head hash equals the row hash at that seq, the signed Merkle root of its span equals the
root recomputed from the rows. At the end: no checkpoint or claimed head beyond the last row
(tail truncation), and a chain that does not start at seq 1 must be vouched for by an
``audit.purged`` record (database) or by the export header (exports). Faults found at different
places are compared and the lowest seq is reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.canonical import GENESIS_HASH, is_hash
from audit.events import AuditRecord, EventType
from audit.exceptions import AuditError, MalformedRecordError
from audit.merkle import merkle_root
from audit.signing import Checkpoint


class FaultKind(StrEnum):
    """What the verifier saw at the first bad seq (and the tampering that usually causes it)."""

    HASH_MISMATCH = "hash_mismatch"  # row content differs from its row_hash: modified
    BROKEN_LINK = "broken_link"  # prev_hash is not the previous row's hash: deleted/inserted/reordered
    SEQ_GAP = "seq_gap"  # a seq number is missing: deleted
    SEQ_ORDER = "seq_order"  # a seq repeats or goes back: inserted or reordered
    TRUNCATED = "truncated"  # rows missing at the tail
    CHECKPOINT_MISMATCH = "checkpoint_mismatch"  # a signed head hash or span root disagrees with the rows
    BAD_SIGNATURE = "bad_signature"  # checkpoint signature invalid or by another key
    HEAD_MISMATCH = "head_mismatch"  # the store's head record disagrees with the last row
    PROOF_INVALID = "proof_invalid"  # inclusion proof of an exported row fails
    WRONG_WORKSPACE = "wrong_workspace"  # a row of another workspace in this chain
    OUTSIDE_FILTER = "outside_filter"  # filtered export holds a row its filter excludes
    MALFORMED = "malformed"  # a row cannot be parsed


CAUSES: dict[FaultKind, str] = {
    FaultKind.HASH_MISMATCH: "row modified",
    FaultKind.BROKEN_LINK: "row deleted, inserted or reordered",
    FaultKind.SEQ_GAP: "row deleted",
    FaultKind.SEQ_ORDER: "row inserted or reordered",
    FaultKind.TRUNCATED: "rows removed from the end",
    FaultKind.CHECKPOINT_MISMATCH: "rows rewritten under a signed checkpoint",
    FaultKind.BAD_SIGNATURE: "checkpoint forged or altered",
    FaultKind.HEAD_MISMATCH: "head record altered or rows appended",
    FaultKind.PROOF_INVALID: "exported row not in the signed chain",
    FaultKind.WRONG_WORKSPACE: "row of another workspace inserted",
    FaultKind.OUTSIDE_FILTER: "row inserted into a filtered export",
    FaultKind.MALFORMED: "row unreadable",
}


@dataclass(frozen=True, slots=True)
class Fault:
    kind: FaultKind
    seq: int
    detail: str

    @property
    def cause(self) -> str:
        return CAUSES[self.kind]


@dataclass(slots=True)
class VerifyResult:
    """Outcome for one workspace chain (or one export)."""

    workspace_id: str
    rows: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    checkpoints: int = 0
    signatures_checked: int = 0
    unanchored_rows: int = 0
    key_source: str = "none"
    fault: Fault | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.fault is None


def check_signatures(
    workspace_id: str, checkpoints: Sequence[Checkpoint], keys: Mapping[str, Ed25519PublicKey]
) -> tuple[Fault | None, int]:
    """Check checkpoint signatures in seq order; returns the first bad one and how many passed.

    With no keys at all, signatures are not checked (the caller warns)."""
    checked = 0
    for cp in sorted(checkpoints, key=lambda c: c.seq):
        if cp.workspace_id != workspace_id:
            return Fault(FaultKind.BAD_SIGNATURE, cp.seq, "checkpoint names another workspace"), checked
        if not keys:
            continue
        key = keys.get(cp.key_id)
        if key is None or not cp.verify(key):
            why = "signed by an unknown key" if key is None else "signature does not verify"
            return Fault(FaultKind.BAD_SIGNATURE, cp.seq, f"checkpoint at seq {cp.seq}: {why}"), checked
        checked += 1
    return None, checked


class ChainVerifier:
    """Feed rows of one workspace in seq order, then call :meth:`finish`.

    ``start_prev_hash`` / ``start_seq`` anchor an export that begins mid-chain; when None (a
    database), a chain not starting at seq 1 must be vouched for by an ``audit.purged`` record.
    ``public_keys`` maps key ids to keys; ``pinned`` says they came from the user, not the data.
    """

    def __init__(
        self,
        *,
        workspace_id: str,
        checkpoints: Sequence[Checkpoint],
        public_keys: Mapping[str, Ed25519PublicKey],
        key_source: str,
        start_prev_hash: str | None = None,
        start_seq: int | None = None,
    ) -> None:
        self.result = VerifyResult(workspace_id=workspace_id, key_source=key_source)
        self._ws = workspace_id
        self._anchor_prev = start_prev_hash
        self._anchor_seq = start_seq
        self._cps: dict[int, list[Checkpoint]] = {}
        for cp in checkpoints:
            self._cps.setdefault(cp.seq, []).append(cp)
        self._faults: list[Fault] = []
        self._row_fault = False
        self._prev: AuditRecord | None = None
        self._span: list[str] = []
        self._span_first: int | None = None
        self._purge_cut: tuple[int, str] | None = None
        self._first_prev_hash: str | None = None
        self.result.checkpoints = len(checkpoints)
        self._check_signatures(checkpoints, public_keys)

    def _check_signatures(
        self, checkpoints: Sequence[Checkpoint], keys: Mapping[str, Ed25519PublicKey]
    ) -> None:
        fault, checked = check_signatures(self._ws, checkpoints, keys)
        self.result.signatures_checked = checked
        if fault is not None:
            self._faults.append(fault)
        if not keys and checkpoints:
            self.result.warnings.append("no public key: checkpoint signatures not checked")

    @property
    def stopped(self) -> bool:
        return self._row_fault

    def fail(self, fault: Fault) -> None:
        """Record a fault found by the caller (e.g. an unparsable row); stops row checks."""
        self._faults.append(fault)
        self._row_fault = True

    def feed(self, row: AuditRecord) -> bool:
        """Check one row; returns False once a row fault was found (stop feeding)."""
        if self._row_fault:
            return False
        fault = self._check_row(row)
        if fault is not None:
            self.fail(fault)
            return False
        res = self.result
        res.rows += 1
        if res.first_seq is None:
            res.first_seq = row.seq
            self._span_first = row.seq
            self._first_prev_hash = row.prev_hash
        res.last_seq = row.seq
        self._prev = row
        self._span.append(row.row_hash)
        if row.type == EventType.AUDIT_PURGED.value:
            cut_seq, cut_hash = row.payload.get("cut_seq"), row.payload.get("cut_hash")
            if (
                isinstance(cut_seq, int)
                and is_hash(cut_hash)
                and (self._purge_cut is None or cut_seq > self._purge_cut[0])
            ):
                self._purge_cut = (cut_seq, str(cut_hash))
        cps = self._cps.get(row.seq)
        if cps:
            for cp in cps:
                self._check_checkpoint(cp, row)
            self._span = []
            self._span_first = row.seq + 1
        return not self._row_fault

    def _check_row(self, row: AuditRecord) -> Fault | None:
        if row.workspace_id != self._ws:
            return Fault(
                FaultKind.WRONG_WORKSPACE, row.seq, f"row at seq {row.seq} belongs to another workspace"
            )
        prev = self._prev
        if prev is None:
            expected_seq = self._anchor_seq if self._anchor_seq is not None else row.seq
            expected_prev = (
                self._anchor_prev
                if self._anchor_prev is not None
                else (GENESIS_HASH if row.seq == 1 else row.prev_hash)
            )
        else:
            expected_seq, expected_prev = prev.seq + 1, prev.row_hash
        if row.seq > expected_seq:
            return Fault(FaultKind.SEQ_GAP, expected_seq, f"expected seq {expected_seq}, found {row.seq}")
        if row.seq < expected_seq:
            return Fault(FaultKind.SEQ_ORDER, row.seq, f"expected seq {expected_seq}, found {row.seq} again")
        if row.prev_hash != expected_prev:
            return Fault(
                FaultKind.BROKEN_LINK,
                row.seq,
                f"prev_hash of seq {row.seq} is not the hash of the row before",
            )
        try:
            recomputed = row.recompute_hash()
        except AuditError:
            return Fault(FaultKind.MALFORMED, row.seq, f"row at seq {row.seq} has no canonical form")
        if recomputed != row.row_hash:
            return Fault(
                FaultKind.HASH_MISMATCH, row.seq, f"content of seq {row.seq} does not match its row_hash"
            )
        return None

    def _check_checkpoint(self, cp: Checkpoint, row: AuditRecord) -> None:
        if cp.head_hash != row.row_hash:
            self.fail(
                Fault(
                    FaultKind.CHECKPOINT_MISMATCH,
                    row.seq,
                    f"signed head hash at seq {row.seq} differs from the row",
                )
            )
            return
        first = self._span_first if self._span_first is not None else row.seq
        if cp.span_start >= first and cp.span_start <= row.seq:
            start = len(self._span) - (row.seq - cp.span_start + 1)
            if start >= 0 and merkle_root(self._span[start:]) != cp.span_root:
                self.fail(
                    Fault(
                        FaultKind.CHECKPOINT_MISMATCH,
                        row.seq,
                        f"signed span root of seq {cp.span_start}..{row.seq} differs",
                    )
                )

    def finish(
        self, *, claimed_head: tuple[int, str] | None = None, tail_checked: bool = False
    ) -> VerifyResult:
        """Final checks; ``claimed_head`` is (seq, hash) the store says is last.

        ``tail_checked``: the caller proved checkpoints beyond the last row (exports)."""
        res = self.result
        last = res.last_seq if res.last_seq is not None else (self._anchor_seq or 1) - 1
        if not self._row_fault:
            beyond = [s for s in self._cps if s > last]
            if beyond and not tail_checked:
                self._faults.append(
                    Fault(
                        FaultKind.TRUNCATED,
                        last + 1,
                        f"checkpoint at seq {min(beyond)} but last row is {last}",
                    )
                )
            if claimed_head is not None:
                hseq, hhash = claimed_head
                if hseq > last:
                    self._faults.append(
                        Fault(FaultKind.TRUNCATED, last + 1, f"head says seq {hseq} but last row is {last}")
                    )
                elif hseq < last or (self._prev is not None and hhash != self._prev.row_hash):
                    self._faults.append(
                        Fault(
                            FaultKind.HEAD_MISMATCH,
                            min(hseq + 1, last),
                            "head record differs from the last row",
                        )
                    )
            self._check_start()
        anchored_to = max([s for s in self._cps if s <= last], default=0)
        if tail_checked:
            anchored_to = last
        if res.rows and not self._row_fault:
            res.unanchored_rows = max(0, last - max(anchored_to, (res.first_seq or 1) - 1))
        if res.unanchored_rows:
            res.warnings.append(
                f"{res.unanchored_rows} rows after the last checkpoint are not covered by a signature"
            )
        if self._faults:
            res.fault = min(self._faults, key=lambda f: f.seq)
        return res

    def _check_start(self) -> None:
        first = self.result.first_seq
        if self._anchor_prev is not None or first is None or first == 1:
            return
        cut = self._purge_cut
        if cut is None:
            self._faults.append(
                Fault(FaultKind.SEQ_GAP, 1, f"chain starts at seq {first} with no audit.purged record")
            )
        elif cut[0] < first - 1:
            self._faults.append(
                Fault(
                    FaultKind.SEQ_GAP,
                    cut[0] + 1,
                    f"rows {cut[0] + 1}..{first - 1} missing after the purge cut",
                )
            )
        elif cut[0] > first - 1:
            self._faults.append(Fault(FaultKind.SEQ_ORDER, first, "rows present before the purge cut"))
        elif self._first_prev_hash != cut[1]:
            self._faults.append(
                Fault(FaultKind.BROKEN_LINK, first, f"prev_hash of seq {first} is not the purge cut hash")
            )


HeadClaim = tuple[int, str] | None


def verify_chain(
    workspace_id: str,
    rows: Iterable[AuditRecord],
    *,
    checkpoints: Sequence[Checkpoint],
    public_keys: Mapping[str, Ed25519PublicKey],
    key_source: str,
    claimed_head: HeadClaim | Callable[[], HeadClaim] = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyResult:
    """Verify one stored chain (rows in seq order). ``claimed_head`` is what the store says its
    last row is; a callable is asked after the rows were read."""
    verifier = ChainVerifier(
        workspace_id=workspace_id, checkpoints=checkpoints, public_keys=public_keys, key_source=key_source
    )
    try:
        for i, row in enumerate(rows):
            if not verifier.feed(row):
                break
            if progress is not None and i % 1000 == 999:
                progress(1000)
    except MalformedRecordError as exc:
        seq = exc.seq if exc.seq is not None else (verifier.result.last_seq or 0) + 1
        verifier.fail(Fault(FaultKind.MALFORMED, seq, str(exc)))
    head = claimed_head() if callable(claimed_head) else claimed_head
    return verifier.finish(claimed_head=head)
