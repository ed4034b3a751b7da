"""Per-call concierge state shared by the brain, its tools and the transfer coordinator."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from concierge.approvals import ApprovalQueue, InMemoryApprovalQueue
from concierge.audit_sink import AuditSink
from concierge.call_control import CallControl
from concierge.capture import Boundary, SecureCapture
from concierge.config import Transport, Workspace
from concierge.gate import CallState, utcnow


@dataclass(kw_only=True)
class ConciergeCall:
    """One call as the concierge sees it. Build one per call and hand it to the brain factory.

    ``capture`` and ``boundary`` come from the voice layer (:mod:`concierge.capture`).
    ``handed_off`` turns true once the call left the AI loop (IVR fallback, opt-out, hang-up);
    the brains then stay silent. ``caller_quiet(seconds)`` (set by the voice layer) resolves True once
    the caller has been silent that long after their last words, False as soon as they speak again;
    without it the caller counts as done.
    """

    call_id: str
    workspace: Workspace
    audit: AuditSink
    control: CallControl
    approvals: ApprovalQueue = field(default_factory=InMemoryApprovalQueue)
    transport: Transport = Transport.INPROC
    clock: Callable[[], datetime] = utcnow
    state: CallState = field(default_factory=CallState)
    failures: int = 0
    handed_off: bool = False
    caller_quiet: Callable[[float], Awaitable[bool]] | None = None
    capture: SecureCapture | None = None  # secure keypad capture, where the transport has a keypad
    boundary: Boundary | None = None  # the call's egress check (every text leaving for a model or a person)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    async def emit(self, event_type: str, payload: dict[str, object], *, actor: str, durable: bool = False) -> None:
        await self.audit.emit(event_type, payload, call_id=self.call_id, actor=actor, durable=durable)

    def spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """Run a background step of this call (an approval wait) and keep a reference to it."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def wait_background(self) -> None:
        """Await every background step (tests, orderly shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self) -> None:
        """Cancel background steps (the call ended)."""
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
