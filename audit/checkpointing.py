"""Checkpoint policy: sign the head of a workspace every N rows or T seconds.

Several processes may write one chain (PostgreSQL): before signing, a checkpointer reads the
newest checkpoint in the store, so its span starts after whatever another process signed last.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from audit.events import now_ts
from audit.merkle import merkle_root
from audit.signing import Checkpoint, CheckpointSigner
from audit.store import AuditStore


@dataclass(slots=True)
class _State:
    seq: int
    at: float


class Checkpointer:
    """Writes signed checkpoints for a store. Not thread-safe: one writer owns it."""

    def __init__(
        self,
        *,
        store: AuditStore,
        signer: CheckpointSigner,
        every: int = 1000,
        interval_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if every < 1 or interval_s <= 0:
            raise ValueError("checkpoint every/interval must be positive")
        self._store = store
        self._signer = signer
        self._every = every
        self._interval = interval_s
        self._clock = clock
        self._state: dict[str, _State] = {}
        self._pem = signer.public_key_pem()

    @property
    def interval_s(self) -> float:
        return self._interval

    def _last(self, workspace_id: str) -> _State:
        state = self._state.get(workspace_id)
        if state is None:
            cps = self._store.checkpoints(workspace_id)
            state = _State(cps[-1].seq if cps else 0, self._clock())
            self._state[workspace_id] = state
        return state

    def due(self, workspace_id: str, head_seq: int, *, force: bool = False) -> bool:
        last = self._last(workspace_id)
        if head_seq <= last.seq:
            return False
        return force or head_seq - last.seq >= self._every or self._clock() - last.at >= self._interval

    def seconds_until_due(self) -> float:
        """Time until the oldest pending workspace reaches the interval (the writer's wake-up)."""
        if not self._state:
            return self._interval
        now = self._clock()
        return max(0.0, min(self._interval - (now - s.at) for s in list(self._state.values())))

    def run(self, workspaces: Iterable[str], *, force: bool = False) -> list[Checkpoint]:
        """Checkpoint each of ``workspaces`` whose head is due; returns what was written."""
        written: list[Checkpoint] = []
        for ws in workspaces:
            head = self._store.head(ws)
            if head is None:
                continue
            if self.due(ws, head.seq, force=force):
                self._refresh(ws)
            if not self.due(ws, head.seq, force=force):
                if head.seq <= self._last(ws).seq:
                    self._last(ws).at = self._clock()
                continue
            while head.seq - self._last(ws).seq > self._every:  # a big batch: keep spans at N rows
                written.append(self.checkpoint(ws, at_seq=self._last(ws).seq + self._every))
            written.append(self.checkpoint(ws))
        return written

    def _refresh(self, workspace_id: str) -> None:
        """Catch up with checkpoints another writer of the chain signed."""
        last = self._last(workspace_id)
        newer = self._store.checkpoints(workspace_id, min_seq=last.seq + 1)
        if newer:
            self._state[workspace_id] = _State(newer[-1].seq, last.at)

    def checkpoint(self, workspace_id: str, *, at_seq: int | None = None) -> Checkpoint:
        """Sign the chain of ``workspace_id`` at ``at_seq`` (default: its current head) now."""
        head = self._store.head(workspace_id)
        if head is None:
            raise ValueError("cannot checkpoint an empty chain")
        seq = head.seq if at_seq is None else at_seq
        last = self._last(workspace_id)
        first = self._store.first_seq(workspace_id) or seq
        span_start = max(last.seq + 1, first)
        hashes = self._store.row_hashes(workspace_id, span_start, seq)
        if len(hashes) != seq - span_start + 1:
            raise ValueError("rows of the checkpoint span are missing")
        cp = self._signer.sign(
            workspace_id=workspace_id,
            seq=seq,
            head_hash=hashes[-1],
            span_start=span_start,
            span_root=merkle_root(hashes),
            ts=now_ts(),
        )
        self._store.add_checkpoint(cp, public_key_pem=self._pem)
        self._state[workspace_id] = _State(seq, self._clock())
        return cp
