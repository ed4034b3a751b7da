"""Tool call to logged decision: how long from a ``propose_transfer`` call to a durable audit row.

Each iteration runs the real tool handler on a fresh call, cycling through departments that
allow, deny and need approval, against the real hash-chained audit log (SQLite WAL, the
decision committed with ``synchronous=FULL`` before ``emit`` returns) in a temporary folder.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.services.llm_service import FunctionCallParams

from audit import AuditLog
from audit.sqlite_store import SqliteAuditStore
from concierge.audit_adapter import AuditLogSink
from concierge.audit_sink import AuditSink, EventType
from concierge.call_control import RecordingCallControl
from concierge.config import Workspace
from concierge.session import ConciergeCall
from concierge.tools import PROPOSE_TRANSFER, ConciergeTools

DEPARTMENTS = ("billing", "technical_support", "sales", "clinical", "fraud", "unknown_dept")


class _StampingSink:
    """Wraps a sink and notes when the ``transfer.decided`` row was written."""

    def __init__(self, inner: AuditSink) -> None:
        self.inner = inner
        self.decided_at: float | None = None

    async def emit(
        self, event_type: str, payload: dict[str, object], *, call_id: str, actor: str, durable: bool = False
    ) -> None:
        await self.inner.emit(event_type, payload, call_id=call_id, actor=actor, durable=durable)
        if event_type == EventType.TRANSFER_DECIDED and self.decided_at is None:
            self.decided_at = time.perf_counter()


async def _one(workspace: Workspace, sink: AuditSink, department: str, i: int) -> float:
    stamp = _StampingSink(sink)
    call = ConciergeCall(call_id=f"bench-{i}", workspace=workspace, audit=stamp, control=RecordingCallControl())
    tools = ConciergeTools(call)

    async def result_callback(result: Any, *, properties: Any = None) -> None:
        return None

    params = FunctionCallParams(
        function_name=PROPOSE_TRANSFER,
        tool_call_id=f"toolu_bench_{i}",
        arguments={"department": department, "reason": "caller intent matches [ORG_1]"},
        llm=cast(Any, None),
        pipeline_worker=cast(Any, None),
        context=LLMContext(),
        result_callback=result_callback,
    )
    t0 = time.perf_counter()
    await tools.propose_transfer(params)
    assert stamp.decided_at is not None
    await call.close()
    return (stamp.decided_at - t0) * 1000.0


async def bench_gate(
    workspace: Workspace,
    *,
    iterations: int = 600,
    directory: Path | None = None,
    progress: Callable[[int], None] | None = None,
    sink: AuditSink | None = None,
) -> dict[str, float | int]:
    """Pass ``sink`` to measure another :class:`AuditSink`; by default a fresh audit log in a temp folder."""
    samples: list[float] = []

    async def run(target: AuditSink) -> None:
        for i in range(iterations):
            samples.append(await _one(workspace, target, DEPARTMENTS[i % len(DEPARTMENTS)], i))
            if progress is not None:
                progress(1)

    if sink is not None:
        await run(sink)
    else:
        with tempfile.TemporaryDirectory(dir=directory) as tmp:
            store = SqliteAuditStore(Path(tmp) / "audit.db")
            try:
                async with AuditLog(store=store) as log:
                    await run(AuditLogSink(log, workspace_id=workspace.id))
            finally:
                store.close()
    samples.sort()

    def p(q: float) -> float:
        return samples[min(len(samples) - 1, int(q * len(samples)))]

    return {
        "iterations": iterations,
        "p50_ms": round(p(0.50), 3),
        "p95_ms": round(p(0.95), 3),
        "max_ms": round(samples[-1], 3),
        "mean_ms": round(statistics.fmean(samples), 3),
    }


def run_bench_gate(workspace: Workspace, *, iterations: int = 600) -> dict[str, float | int]:
    return asyncio.run(bench_gate(workspace, iterations=iterations))
