"""The approval queue in the state store: a request raised by one server process is listed and
decided from any other, and the decision wakes the waiting call where it runs.

A decision is one statement, ``UPDATE ... WHERE id = ? AND status = 'pending'``, so two supervisors
(or a supervisor and the timeout) cannot both win. On PostgreSQL the same transaction sends
``NOTIFY dialphone_approvals, '<id>'``; every process LISTENs on a connection of its own and wakes
the call waiting for that id at once (milliseconds). A waiter also re-reads its request every
``poll_s`` (SQLite, or while the LISTEN connection is being re-established), so a lost notification
costs at most that long, never the decision.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import sqlalchemy as sa

import voice.store.schema as t
from concierge.approvals import ApprovalRequest, ApprovalStatus
from concierge.exceptions import ApprovalError
from voice.store.db import libpq_dsn
from voice.store.exceptions import StoreError
from voice.store.records import now_ts, parse_ts

log = logging.getLogger("dialphone.approvals")
CHANNEL = "dialphone_approvals"
ORPHAN_AFTER_S = 3600.0  # a pending request this old has no waiter left (its process ended): expire it


def _request(r: Any) -> ApprovalRequest:
    return ApprovalRequest(
        id=r.id, workspace_id=r.workspace_id, call_id=r.call_id, proposal_id=r.proposal_id,
        department=r.department, reason=r.reason, context=tuple(json.loads(r.context)),
        created_at=parse_ts(r.created_at), status=ApprovalStatus(r.status), decided_by=r.decided_by,
        decided_at=parse_ts(r.decided_at) if r.decided_at else None, note=r.note,
    )


class SqlApprovalQueue:
    """:class:`concierge.approvals.ApprovalQueue` over the store. ``await start()`` before use on
    PostgreSQL (it opens the LISTEN connection), ``await close()`` at shutdown."""

    def __init__(self, engine: sa.Engine, *, poll_s: float = 1.0) -> None:
        self.engine = engine
        self.poll_s = poll_s
        self.postgresql = engine.dialect.name == "postgresql"
        self._events: dict[str, asyncio.Event] = {}
        self._listener: asyncio.Task[None] | None = None
        self.listening = asyncio.Event()

    # -- LISTEN -----------------------------------------------------------------------
    async def start(self) -> None:
        if self.postgresql and self._listener is None:
            self._listener = asyncio.create_task(self._listen(), name="approvals-listen")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.listening.wait(), timeout=10)

    async def _listen(self) -> None:
        dsn = libpq_dsn(self.engine.url.render_as_string(hide_password=False))
        while True:
            try:
                conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
                async with conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    async for note in conn.notifies():
                        ev = self._events.get(note.payload)
                        if ev is not None:
                            ev.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the server outlives its database connection; waiters poll meanwhile
                log.warning("approval notifications lost (%s); reconnecting", type(exc).__name__)
            self.listening.clear()
            await asyncio.sleep(1.0)

    async def close(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    # -- statements (run off the event loop) ------------------------------------------------
    def _run(self, fn: Any, *args: Any) -> Any:
        try:
            with self.engine.begin() as conn:
                return fn(conn, *args)
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"approval store error: {type(exc).__name__}") from None

    async def _call(self, fn: Any, *args: Any) -> Any:
        return await asyncio.to_thread(self._run, fn, *args)

    async def submit(
        self, *, workspace_id: str, call_id: str, proposal_id: str, department: str, reason: str,
        context: list[dict[str, str]],
    ) -> ApprovalRequest:
        rid = f"apr-{uuid.uuid4().hex[:16]}"
        values = dict(
            id=rid, workspace_id=workspace_id, call_id=call_id, proposal_id=proposal_id, department=department,
            reason=reason, context=json.dumps([dict(c) for c in context]), created_at=now_ts(),
            status=ApprovalStatus.PENDING.value,
        )
        await self._call(lambda c: c.execute(sa.insert(t.approvals).values(**values)))
        found = await self.get(rid)
        assert found is not None
        return found

    async def get(self, request_id: str) -> ApprovalRequest | None:
        def q(c: sa.Connection) -> ApprovalRequest | None:
            row = c.execute(sa.select(t.approvals).where(t.approvals.c.id == request_id)).first()
            return None if row is None else _request(row)

        result: ApprovalRequest | None = await self._call(q)
        return result

    async def pending(self, workspace_id: str | None = None) -> list[ApprovalRequest]:
        a = t.approvals
        stmt = sa.select(a).where(a.c.status == ApprovalStatus.PENDING.value).order_by(a.c.created_at, a.c.id)
        if workspace_id is not None:
            stmt = stmt.where(a.c.workspace_id == workspace_id)
        return list(await self._call(lambda c: [_request(r) for r in c.execute(stmt)]))

    def _decide_sql(self, c: sa.Connection, request_id: str, status: ApprovalStatus, by: str,
                    note: str | None) -> ApprovalRequest | None:
        a = t.approvals
        done = c.execute(
            sa.update(a).where(a.c.id == request_id, a.c.status == ApprovalStatus.PENDING.value)
            .values(status=status.value, decided_by=by, decided_at=now_ts(), note=note)
        ).rowcount
        row = c.execute(sa.select(a).where(a.c.id == request_id)).first()
        if row is None:
            raise ApprovalError(f"unknown approval request {request_id!r}")
        if done != 1:
            return None
        if self.postgresql:
            c.execute(sa.text("SELECT pg_notify(:ch, :id)"), {"ch": CHANNEL, "id": request_id})
        return _request(row)

    async def _decide(self, request_id: str, status: ApprovalStatus, by: str, note: str | None) -> ApprovalRequest:
        done: ApprovalRequest | None = await self._call(self._decide_sql, request_id, status, by, note)
        if done is None:
            current = await self.get(request_id)
            raise ApprovalError(f"approval request {request_id!r} is already {current.status if current else '?'}")
        ev = self._events.get(request_id)
        if ev is not None:  # a call of this process waits: wake it without the round trip
            ev.set()
        return done

    async def approve(self, request_id: str, *, supervisor: str, note: str | None = None) -> ApprovalRequest:
        return await self._decide(request_id, ApprovalStatus.APPROVED, supervisor, note)

    async def reject(self, request_id: str, *, supervisor: str, note: str | None = None) -> ApprovalRequest:
        return await self._decide(request_id, ApprovalStatus.REJECTED, supervisor, note)

    async def cancel(self, request_id: str) -> ApprovalRequest:
        return await self._decide(request_id, ApprovalStatus.CANCELLED, "call_ended", None)

    async def wait(self, request_id: str, timeout_s: float) -> ApprovalRequest:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        ev = self._events.setdefault(request_id, asyncio.Event())
        try:
            while True:
                ev.clear()  # before reading: a decision after the read sets it again
                req = await self.get(request_id)
                if req is None:
                    raise ApprovalError(f"unknown approval request {request_id!r}")
                if req.status is not ApprovalStatus.PENDING:
                    return req
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(ev.wait(), timeout=min(remaining, self.poll_s))
            expired = await self._call(self._decide_sql, request_id, ApprovalStatus.EXPIRED, "timeout", None)
            if expired is not None:
                return expired  # type: ignore[no-any-return]
            current = await self.get(request_id)  # decided at the last instant
            assert current is not None
            return current
        finally:
            self._events.pop(request_id, None)

    async def prune(self, *, retention_s: float, now: datetime | None = None) -> int:
        at = now or datetime.now(UTC)
        cutoff = now_ts(at - timedelta(seconds=retention_s))
        orphaned = now_ts(at - timedelta(seconds=ORPHAN_AFTER_S))
        a = t.approvals

        def q(c: sa.Connection) -> int:
            c.execute(sa.update(a).where(a.c.status == ApprovalStatus.PENDING.value, a.c.created_at < orphaned)
                      .values(status=ApprovalStatus.EXPIRED.value, decided_by="timeout", decided_at=now_ts(at)))
            return int(c.execute(sa.delete(a).where(a.c.status != ApprovalStatus.PENDING.value,
                                                    a.c.decided_at < cutoff)).rowcount)

        return int(await self._call(q))
