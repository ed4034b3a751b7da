"""The asyncio front end: one writer task, a bounded queue, group commit, durable gating writes.

Many call tasks ``await log.append(event)``; a single writer task drains the queue in batches and
commits each batch in one transaction on a dedicated thread (SQLite calls never block the event
loop). While one batch commits, the next accumulates, so the commit rate adapts to the load: an
event waits for at most one commit in progress plus its own (well under 50 ms at 5,000 events/s).
A batch that holds a durable event (``durable=True``, for ``transfer.decided`` and any event that
gates an action) is committed with ``synchronous=FULL``: ``append`` returns only after the WAL is
fsync'd, so the caller may run the action. If the write fails, ``append`` raises and the action
must not run.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from dataclasses import dataclass, field

from audit.checkpointing import Checkpointer
from audit.events import AuditEvent, AuditRecord
from audit.exceptions import AuditError, AuditLogClosedError, AuditQueueFullError, AuditStoreError
from audit.retention import PurgeOutcome, purge
from audit.signing import CheckpointSigner
from audit.store import AuditStore

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Item:
    event: AuditEvent
    durable: bool
    future: asyncio.Future[AuditRecord]


@dataclass(slots=True)
class LogStats:
    """Counters for metrics: rows committed, batches, durable batches, checkpoints, failures."""

    rows: int = 0
    batches: int = 0
    durable_batches: int = 0
    checkpoints: int = 0
    failed_batches: int = 0
    max_batch: int = 0
    commit_s: list[float] = field(default_factory=list)


class AuditLog:
    """Asynchronous, group-committing writer in front of an :class:`AuditStore`.

    Use as ``async with AuditLog(store=..., signer=...) as log:``. The log does not close the
    store. ``close()`` drains the queue and signs a final checkpoint of every workspace written.
    """

    def __init__(
        self,
        *,
        store: AuditStore,
        signer: CheckpointSigner | None = None,
        checkpoint_every: int = 1000,
        checkpoint_interval_s: float = 30.0,
        queue_max: int = 10_000,
        batch_max: int = 2_000,
    ) -> None:
        self._store = store
        self._checkpointer = (
            Checkpointer(store=store, signer=signer, every=checkpoint_every, interval_s=checkpoint_interval_s)
            if signer
            else None
        )
        self._queue: asyncio.Queue[_Item | None] = asyncio.Queue(maxsize=queue_max)
        self._batch_max = batch_max
        self._executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="audit-writer"
        )
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._touched: set[str] = set()
        self._closing = False
        self.stats = LogStats()

    async def start(self) -> None:
        if self._task is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.create_task(self._writer(), name="audit-writer")

    async def __aenter__(self) -> AuditLog:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done() and not self._closing

    async def append(self, event: AuditEvent, *, durable: bool = False) -> AuditRecord:
        """Queue ``event`` (waiting for room) and return its sealed record once committed."""
        if not self.running:
            raise AuditLogClosedError("the audit log is not running")
        future: asyncio.Future[AuditRecord] = asyncio.get_running_loop().create_future()
        await self._queue.put(_Item(event, durable, future))
        return await future

    def append_nowait(self, event: AuditEvent, *, durable: bool = False) -> asyncio.Future[AuditRecord]:
        """Queue ``event`` without waiting; the future resolves once committed."""
        if not self.running or self._loop is None:
            raise AuditLogClosedError("the audit log is not running")
        future: asyncio.Future[AuditRecord] = self._loop.create_future()
        try:
            self._queue.put_nowait(_Item(event, durable, future))
        except asyncio.QueueFull:
            raise AuditQueueFullError("audit queue is full") from None
        return future

    def append_sync(self, event: AuditEvent, *, durable: bool = True, timeout: float = 10.0) -> AuditRecord:
        """Append from a thread other than the log's event loop (admin or CLI code); blocks."""
        loop = self._loop
        if loop is None or not self.running:
            raise AuditLogClosedError("the audit log is not running")
        with contextlib.suppress(RuntimeError):
            if asyncio.get_running_loop() is loop:
                raise AuditError("append_sync() called from the log's own event loop; await append()")
        return asyncio.run_coroutine_threadsafe(self.append(event, durable=durable), loop).result(timeout)

    async def purge(
        self, *, workspace_id: str, retention_days: int, actor: str = "retention"
    ) -> PurgeOutcome:
        """Apply retention on the writer thread (serialized with appends), then checkpoint."""
        if not self.running or self._loop is None:
            raise AuditLogClosedError("the audit log is not running")

        def run() -> PurgeOutcome:
            outcome = purge(
                self._store, workspace_id=workspace_id, retention_days=retention_days, actor=actor
            )
            if outcome.record is not None and self._checkpointer is not None:
                self._checkpointer.run([workspace_id], force=True)
            return outcome

        return await self._loop.run_in_executor(self._executor, run)

    async def close(self) -> None:
        """Drain, commit, sign final checkpoints, stop the writer."""
        if self._task is None or self._closing:
            return
        self._closing = True
        await self._queue.put(None)
        await self._task
        while not self._queue.empty():  # appends that raced with close()
            item = self._queue.get_nowait()
            if item is not None and not item.future.done():
                item.future.set_exception(
                    AuditLogClosedError("the audit log closed before this event was written")
                )
        if self._checkpointer is not None and self._touched:
            loop = asyncio.get_running_loop()
            cps = await loop.run_in_executor(self._executor, self._checkpoint_safely, True)
            self.stats.checkpoints += cps
        self._executor.shutdown(wait=True)

    # -- writer ---------------------------------------------------------------------------

    async def _writer(self) -> None:
        loop = asyncio.get_running_loop()
        stop = False
        while not stop:
            timeout = self._checkpointer.seconds_until_due() if self._checkpointer and self._touched else None
            try:
                first = await asyncio.wait_for(self._queue.get(), timeout=timeout)
            except TimeoutError:
                self.stats.checkpoints += await loop.run_in_executor(
                    self._executor, self._checkpoint_safely, False
                )
                continue
            if first is None:
                break
            batch = [first]
            while len(batch) < self._batch_max:
                try:
                    item = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            await self._commit(loop, batch)

    async def _commit(self, loop: asyncio.AbstractEventLoop, batch: list[_Item]) -> None:
        durable = any(item.durable for item in batch)
        started = time.perf_counter()
        try:
            records, cps = await loop.run_in_executor(self._executor, self._commit_blocking, batch, durable)
        except Exception as exc:  # the writer must outlive any one batch
            self.stats.failed_batches += 1
            log.error("audit batch of %d events failed: %s", len(batch), type(exc).__name__)
            error = (
                exc
                if isinstance(exc, AuditStoreError)
                else AuditStoreError(f"audit write failed: {type(exc).__name__}")
            )
            for item in batch:
                if not item.future.done():
                    item.future.set_exception(error)
            return
        elapsed = time.perf_counter() - started
        st = self.stats
        st.rows += len(records)
        st.batches += 1
        st.durable_batches += durable
        st.checkpoints += cps
        st.max_batch = max(st.max_batch, len(batch))
        if len(st.commit_s) < 100_000:
            st.commit_s.append(elapsed)
        for item, record in zip(batch, records, strict=True):
            if not item.future.done():
                item.future.set_result(record)

    def _commit_blocking(self, batch: list[_Item], durable: bool) -> tuple[list[AuditRecord], int]:
        records = self._store.append([item.event for item in batch], durable=durable)
        batch_ws = {r.workspace_id for r in records}
        self._touched.update(batch_ws)
        cps = 0
        if self._checkpointer is not None:
            overdue = self._checkpointer.seconds_until_due() <= 0
            cps = self._checkpoint_safely(False, None if overdue else batch_ws)
        return records, cps

    def _checkpoint_safely(self, force: bool, workspaces: set[str] | None = None) -> int:
        if self._checkpointer is None:
            return 0
        try:
            return len(self._checkpointer.run(sorted(workspaces or set(self._touched)), force=force))
        except Exception as exc:  # a failed checkpoint must not stop the writer; the next one covers it
            log.error("audit checkpoint failed: %s", type(exc).__name__)
            return 0
