"""Human approval of transfers the gate marks ``needs_approval``.

:class:`ApprovalQueue` is the seam the admin API lists, approves and rejects through
(the PostgreSQL queue, :class:`voice.store.approvals.SqlApprovalQueue`, is another backend: a
request raised by any server process is decided from any other). :class:`InMemoryApprovalQueue`
resolves waiters with asyncio futures. A request not decided within the timeout expires. Decided
and expired requests are kept for the retention period, then :meth:`ApprovalQueue.prune` drops
them (the decision itself stays in the audit log).
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol, runtime_checkable

from concierge.exceptions import ApprovalError


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ApprovalRequest:
    """One transfer awaiting a supervisor. ``context`` holds the tokenized turns the brain had."""

    id: str
    workspace_id: str
    call_id: str
    proposal_id: str
    department: str
    reason: str
    context: tuple[dict[str, str], ...]
    created_at: datetime
    status: ApprovalStatus = ApprovalStatus.PENDING
    decided_by: str | None = None
    decided_at: datetime | None = None
    note: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "workspace_id": self.workspace_id,
            "call_id": self.call_id,
            "proposal_id": self.proposal_id,
            "department": self.department,
            "reason": self.reason,
            "context": [dict(c) for c in self.context],
            "created_at": self.created_at.isoformat(),
            "status": str(self.status),
            "decided_by": self.decided_by,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
            "note": self.note,
        }


@runtime_checkable
class ApprovalQueue(Protocol):
    async def submit(
        self,
        *,
        workspace_id: str,
        call_id: str,
        proposal_id: str,
        department: str,
        reason: str,
        context: list[dict[str, str]],
    ) -> ApprovalRequest: ...

    async def wait(self, request_id: str, timeout_s: float) -> ApprovalRequest:
        """The decided request; EXPIRED (decided_by "timeout") when nobody decided in time."""
        ...

    async def get(self, request_id: str) -> ApprovalRequest | None: ...

    async def pending(self, workspace_id: str | None = None) -> list[ApprovalRequest]: ...

    async def approve(self, request_id: str, *, supervisor: str, note: str | None = None) -> ApprovalRequest: ...

    async def reject(self, request_id: str, *, supervisor: str, note: str | None = None) -> ApprovalRequest: ...

    async def cancel(self, request_id: str) -> ApprovalRequest:
        """Withdraw a pending request (the call ended first); decided_by "call_ended"."""
        ...

    async def prune(self, *, retention_s: float, now: datetime | None = None) -> int:
        """Drop requests decided more than ``retention_s`` ago; returns how many."""
        ...


@dataclass
class InMemoryApprovalQueue:
    """Process-local queue; futures wake the waiting call the moment a supervisor decides."""

    _requests: dict[str, ApprovalRequest] = field(default_factory=dict)
    _futures: dict[str, asyncio.Future[ApprovalRequest]] = field(default_factory=dict)
    _seq: itertools.count[int] = field(default_factory=itertools.count)

    async def submit(
        self,
        *,
        workspace_id: str,
        call_id: str,
        proposal_id: str,
        department: str,
        reason: str,
        context: list[dict[str, str]],
    ) -> ApprovalRequest:
        req = ApprovalRequest(
            id=f"apr-{next(self._seq):05d}-{uuid.uuid4().hex[:8]}",
            workspace_id=workspace_id,
            call_id=call_id,
            proposal_id=proposal_id,
            department=department,
            reason=reason,
            context=tuple(dict(c) for c in context),
            created_at=datetime.now(UTC),
        )
        self._requests[req.id] = req
        self._futures[req.id] = asyncio.get_running_loop().create_future()
        return req

    async def get(self, request_id: str) -> ApprovalRequest | None:
        return self._requests.get(request_id)

    async def pending(self, workspace_id: str | None = None) -> list[ApprovalRequest]:
        return [
            r
            for r in self._requests.values()
            if r.status is ApprovalStatus.PENDING and (workspace_id is None or r.workspace_id == workspace_id)
        ]

    def _decide(self, request_id: str, status: ApprovalStatus, by: str, note: str | None) -> ApprovalRequest:
        req = self._requests.get(request_id)
        if req is None:
            raise ApprovalError(f"unknown approval request {request_id!r}")
        if req.status is not ApprovalStatus.PENDING:
            raise ApprovalError(f"approval request {request_id!r} is already {req.status}")
        done = replace(req, status=status, decided_by=by, decided_at=datetime.now(UTC), note=note)
        self._requests[request_id] = done
        fut = self._futures.pop(request_id, None)
        if fut is not None and not fut.done():
            fut.set_result(done)
        return done

    async def approve(self, request_id: str, *, supervisor: str, note: str | None = None) -> ApprovalRequest:
        return self._decide(request_id, ApprovalStatus.APPROVED, supervisor, note)

    async def reject(self, request_id: str, *, supervisor: str, note: str | None = None) -> ApprovalRequest:
        return self._decide(request_id, ApprovalStatus.REJECTED, supervisor, note)

    async def cancel(self, request_id: str) -> ApprovalRequest:
        return self._decide(request_id, ApprovalStatus.CANCELLED, "call_ended", None)

    async def prune(self, *, retention_s: float, now: datetime | None = None) -> int:
        cutoff = (now or datetime.now(UTC)) - timedelta(seconds=retention_s)
        old = [
            k for k, r in self._requests.items()
            if r.status is not ApprovalStatus.PENDING and r.decided_at is not None and r.decided_at < cutoff
        ]
        for k in old:
            del self._requests[k]
        return len(old)

    async def wait(self, request_id: str, timeout_s: float) -> ApprovalRequest:
        req = self._requests.get(request_id)
        if req is None:
            raise ApprovalError(f"unknown approval request {request_id!r}")
        fut = self._futures.get(request_id)
        if fut is None:
            return req
        try:
            return await asyncio.wait_for(asyncio.shield(fut), timeout=timeout_s)
        except TimeoutError:
            current = self._requests[request_id]
            if current.status is not ApprovalStatus.PENDING:  # decided at the last instant
                return current
            return self._decide(request_id, ApprovalStatus.EXPIRED, "timeout", None)
